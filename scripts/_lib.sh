# shellcheck shell=sh
# Shared shell code of install.sh and scripts/deno: finding or installing the pinned
# Deno. POSIX sh; sourced, never run. Every message goes to stderr, so functions that
# answer a path can be used as "$(…)".

# The one Deno version swarm is built, tested and run with.
SWARM_DENO_VERSION=2.9.6

swarm_say() {
  printf '%s\n' "$*" >&2
}

swarm_warn() {
  printf 'Warning: %s\n' "$*" >&2
}

# Prints the version of the deno executable $1 ("2.9.6"), or nothing when it does not run.
swarm_deno_version() {
  SWARM_DENO_LOOKUP=1 "$1" --version 2>/dev/null | sed -n '1s/^deno \([^ ]*\).*/\1/p'
}

# Prints the folder for the pinned Deno: $SWARM_DENO_DIR when set, else .deno/ in the
# checkout $1 when that is writable, else ~/.swarm/deno.
swarm_deno_dir() {
  if [ -n "${SWARM_DENO_DIR:-}" ]; then
    printf '%s\n' "$SWARM_DENO_DIR"
  elif [ -n "${1:-}" ] && [ -w "$1" ]; then
    printf '%s\n' "$1/.deno"
  else
    printf '%s\n' "${HOME:?HOME is not set}/.swarm/deno"
  fi
}

# Installs Deno $SWARM_DENO_VERSION from the npm registry into folder $1 and points the
# stable symlink $1/bin/deno at its native executable.
swarm_install_deno() {
  swarm_dir=$1
  if ! command -v npm >/dev/null 2>&1; then
    swarm_say "Error: Cannot install Deno $SWARM_DENO_VERSION: npm is not on PATH (install Node.js and npm, or put deno $SWARM_DENO_VERSION on PATH)"
    return 1
  fi
  swarm_say "Installing Deno $SWARM_DENO_VERSION from the npm registry into $swarm_dir"
  mkdir -p "$swarm_dir/bin" || return 1
  if ! npm install --prefix "$swarm_dir" --prefer-offline --no-save --no-package-lock --no-audit --no-fund \
    --loglevel=error "deno@$SWARM_DENO_VERSION" >&2; then
    swarm_say "Error: Cannot install Deno $SWARM_DENO_VERSION: npm install failed"
    return 1
  fi
  # npm may skip the package's postinstall step, which puts the native executable at
  # node_modules/deno/deno; the platform package always has it, and .bin/deno (a Node
  # shim) works either way.
  for swarm_candidate in "$swarm_dir"/node_modules/deno/deno \
    "$swarm_dir"/node_modules/@deno/*/deno "$swarm_dir"/node_modules/.bin/deno; do
    if [ -f "$swarm_candidate" ] &&
      [ "$(swarm_deno_version "$swarm_candidate")" = "$SWARM_DENO_VERSION" ]; then
      swarm_target=${swarm_candidate#"$swarm_dir"/}
      ln -sfn "../$swarm_target" "$swarm_dir/bin/deno.tmp.$$" &&
        mv -f "$swarm_dir/bin/deno.tmp.$$" "$swarm_dir/bin/deno" || return 1
      swarm_say "Installed Deno $SWARM_DENO_VERSION at $swarm_dir/bin/deno"
      return 0
    fi
  done
  swarm_say "Error: Cannot install Deno $SWARM_DENO_VERSION: npm installed it into $swarm_dir but no deno executable there runs"
  return 1
}

# Prints the absolute path of a deno $SWARM_DENO_VERSION: the one on PATH when it is that
# version (otherwise a warning), else the pinned one in swarm_deno_dir "$1", installed
# first when missing. $1 is the checkout, or empty outside one.
swarm_ensure_deno() {
  swarm_path_deno=$(command -v deno 2>/dev/null || true)
  # A deno on PATH that leads back to this wrapper (a link to scripts/deno, or a script
  # calling it) would ask itself its version without end: while a version is being asked
  # (SWARM_DENO_LOOKUP), and for this wrapper itself, PATH is not consulted.
  if [ -n "${SWARM_DENO_LOOKUP:-}" ] ||
    { [ -n "$swarm_path_deno" ] && [ -n "${SWARM_DENO_SELF:-}" ] &&
      [ "$(swarm_real "$swarm_path_deno")" = "$(swarm_real "$SWARM_DENO_SELF")" ]; }; then
    swarm_path_deno=""
  fi
  if [ -n "$swarm_path_deno" ]; then
    swarm_found=$(swarm_deno_version "$swarm_path_deno")
    if [ "$swarm_found" = "$SWARM_DENO_VERSION" ]; then
      # The executable itself, not a wrapper that may lead back here (and exec it again).
      swarm_exec=$(SWARM_DENO_LOOKUP=1 "$swarm_path_deno" eval 'console.log(Deno.execPath())' \
        2>/dev/null || true)
      if [ -n "$swarm_exec" ] && [ -x "$swarm_exec" ]; then
        printf '%s\n' "$swarm_exec"
      else
        swarm_abs "$swarm_path_deno"
      fi
      return
    fi
    swarm_warn "deno on PATH ($swarm_path_deno) is version ${swarm_found:-unknown}, not the pinned $SWARM_DENO_VERSION: using the pinned one"
  fi
  swarm_dir=$(swarm_deno_dir "${1:-}") || return 1
  if [ "$(swarm_deno_version "$swarm_dir/bin/deno")" != "$SWARM_DENO_VERSION" ]; then
    swarm_install_deno "$swarm_dir" >&2 || return 1
  fi
  swarm_abs "$swarm_dir/bin/deno"
}

# Prints the real path of $1 (every symlink resolved), or $1 made absolute without readlink -f.
swarm_real() {
  readlink -f "$1" 2>/dev/null || swarm_abs "$1"
}

# Prints path $1 made absolute (its folder resolved, the file name kept).
swarm_abs() {
  case $1 in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s/%s\n' "$(cd "$(dirname "$1")" && pwd -P)" "$(basename "$1")" ;;
  esac
}
