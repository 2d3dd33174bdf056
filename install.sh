#!/bin/sh
# Installs the `swarm` command into $SWARM_INSTALL_DIR (default ~/.local/bin).
#
#   From a checkout:  ./install.sh
#     Uses deno 2.9.6 from PATH or installs it from the npm registry (into .deno/), installs
#     the npm dependencies, then installs a compiled binary when DENORT_BIN names a denort
#     runtime, else a launcher script that runs main.ts with the compile task's flags.
#   A release binary: curl -fsSL <base>/install.sh | SWARM_RELEASE_URL=<archive url> sh
#     Downloads the archive, checks its SHA-256 (SWARM_RELEASE_SHA256, else <url>.sha256)
#     and installs the `swarm` executable in it; nothing is installed on a mismatch.
#
# Knobs: SWARM_INSTALL_DIR, SWARM_RELEASE_URL, SWARM_RELEASE_SHA256, DENORT_BIN,
# SWARM_DENO_DIR. See docs/install.md. POSIX sh, so that it also runs piped into `sh`.
set -eu

install_dir=${SWARM_INSTALL_DIR:-${HOME:-}/.local/bin}
tmp=""
staged=""

cleanup() {
  if [ -n "$staged" ]; then rm -f "$staged"; fi
  if [ -n "$tmp" ]; then rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' HUP TERM

say() {
  printf '%s\n' "$*"
}

warn() {
  printf 'Warning: %s\n' "$*" >&2
}

# Prints one error line and exits non-zero; the EXIT trap removes temporary files.
die() {
  printf 'Error: %s\n' "$*" >&2
  exit 1
}

make_tmp() {
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/swarm-install.XXXXXX") ||
    die "Cannot create a temporary folder"
}

# Prints $1 single-quoted for sh.
quote() {
  printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# Copies $1 to $install_dir/swarm, executable, replacing any previous one in one rename.
place() {
  mkdir -p "$install_dir" 2>/dev/null || die "Cannot create $install_dir"
  staged="$install_dir/.swarm.install.$$"
  if ! { cp "$1" "$staged" && chmod 755 "$staged" && mv -f "$staged" "$install_dir/swarm"; } 2>/dev/null; then
    die "Cannot write $install_dir/swarm"
  fi
  staged=""
}

# Copies the release file at URL or path $1 to file $2; curl only for http(s).
fetch() {
  case $1 in
    http://* | https://*)
      command -v curl >/dev/null 2>&1 ||
        die "Cannot download $1: curl is not installed (install curl, or download the archive and set SWARM_RELEASE_URL to its path)"
      if ! fetch_error=$(curl -fsSL --proto '=http,https' -o "$2" "$1" 2>&1); then
        die "Cannot download $1: $(printf '%s' "$fetch_error" | tr '\n' ' ')"
      fi
      ;;
    file://*)
      fetch_path=${1#file://}
      fetch_path=${fetch_path#localhost}
      cp "$fetch_path" "$2" 2>/dev/null || die "Cannot read $1"
      ;;
    *://*) die "Cannot download $1: unsupported scheme (use http://, https://, file:// or a path)" ;;
    *) cp "$1" "$2" 2>/dev/null || die "Cannot read $1" ;;
  esac
}

# Prints the lowercase hex SHA-256 of file $1.
sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  elif command -v openssl >/dev/null 2>&1; then
    openssl dgst -sha256 -r "$1" | cut -d ' ' -f 1
  else
    die "Cannot check the download: none of sha256sum, shasum or openssl is installed"
  fi
}

install_release() {
  url=$SWARM_RELEASE_URL
  make_tmp
  say "Downloading $url"
  fetch "$url" "$tmp/release.tar.gz"
  if [ -n "${SWARM_RELEASE_SHA256:-}" ]; then
    expected=$SWARM_RELEASE_SHA256
  else
    fetch "$url.sha256" "$tmp/release.sha256"
    expected=$(sed -n '1s/^[[:space:]]*\([^[:space:]]*\).*/\1/p' "$tmp/release.sha256")
  fi
  expected=$(printf '%s' "$expected" | tr 'A-F' 'a-f')
  case $expected in
    *[!0-9a-f]* | '') die "Invalid expected SHA-256 for $url: '$expected' is not 64 hex digits" ;;
  esac
  [ "${#expected}" -eq 64 ] || die "Invalid expected SHA-256 for $url: '$expected' is not 64 hex digits"
  actual=$(sha256_of "$tmp/release.tar.gz")
  [ "$actual" = "$expected" ] ||
    die "Checksum mismatch for $url: expected $expected, got $actual; nothing was installed"
  member=$(tar -tzf "$tmp/release.tar.gz" 2>/dev/null | grep -E -x '(\./)?swarm' | head -n 1 || true)
  [ -n "$member" ] ||
    die "Cannot install from $url: the archive has no swarm executable at its top level"
  mkdir "$tmp/unpacked"
  tar -xzf "$tmp/release.tar.gz" -C "$tmp/unpacked" "$member" 2>/dev/null ||
    die "Cannot unpack $url"
  if [ ! -f "$tmp/unpacked/swarm" ] || [ -L "$tmp/unpacked/swarm" ]; then
    die "Cannot install from $url: swarm in the archive is not a regular file"
  fi
  place "$tmp/unpacked/swarm"
  kind="release binary"
}

# Writes a launcher that runs main.ts of checkout $1 with deno $2 and the compile task's
# permission and unstable flags (scripts/launcher_flags.ts reads them from deno.json). It
# exports its own absolute path as SWARM_LAUNCHER, which 'swarm service' puts in units.
install_launcher() {
  flags=$("$2" run --no-config --allow-read="$1/deno.json" "$1/scripts/launcher_flags.ts" \
    "$1/deno.json") || die "Cannot read the compile task's flags from $1/deno.json"
  mkdir -p "$install_dir" 2>/dev/null || die "Cannot create $install_dir"
  launcher=$(cd "$install_dir" && pwd -P)/swarm || die "Cannot find $install_dir"
  {
    printf '#!/bin/sh\n'
    printf '# swarm launcher written by %s/install.sh: runs main.ts with the\n' "$1"
    printf "# permission and unstable flags of 'deno task compile'. Re-run install.sh to update.\n"
    printf 'DENO_NO_UPDATE_CHECK=1\nexport DENO_NO_UPDATE_CHECK\n'
    printf 'SWARM_LAUNCHER=%s\nexport SWARM_LAUNCHER\n' "$(quote "$launcher")"
    printf 'exec %s run' "$(quote "$2")"
    set -f # flags are split on whitespace, never globbed
    for flag in $flags; do printf ' %s' "$(quote "$flag")"; done
    set +f
    printf ' --config %s %s "$@"\n' "$(quote "$1/deno.json")" "$(quote "$1/main.ts")"
  } >"$tmp/swarm"
  place "$tmp/swarm"
  kind="launcher script"
}

install_checkout() {
  root=$1
  # shellcheck source=scripts/_lib.sh
  . "$root/scripts/_lib.sh"
  deno=$(swarm_ensure_deno "$root") || exit 1 # it printed why
  say "Using $deno ($SWARM_DENO_VERSION)"
  if ! (cd "$root" && "$deno" install --frozen); then
    warn "deno.lock does not match deno.json: updating it (commit the new deno.lock)"
    (cd "$root" && "$deno" install) || die "Cannot install the npm dependencies of $root"
  fi
  make_tmp
  kind=""
  if [ -n "${DENORT_BIN:-}" ]; then
    if [ ! -f "$DENORT_BIN" ]; then
      warn "DENORT_BIN=$DENORT_BIN is not a file: installing a launcher instead of a binary"
    elif ! (cd "$root" && "$deno" task compile); then
      warn "deno task compile failed with DENORT_BIN=$DENORT_BIN: installing a launcher instead"
    elif ! "$root/dist/swarm" --version </dev/null 2>/dev/null | grep -q '^swarm '; then
      # A full deno given as DENORT_BIN compiles "fine" into a plain deno.
      warn "dist/swarm does not answer --version as swarm (is DENORT_BIN=$DENORT_BIN a denort runtime?): installing a launcher instead"
    else
      place "$root/dist/swarm"
      kind="compiled binary"
    fi
  fi
  if [ -z "$kind" ]; then install_launcher "$root" "$deno"; fi
}

# Everything runs from main, called on the last line, so that when this script is piped
# into sh the shell has read all of it before any command could read stdin.
main() {
  case ${1:-} in
    -h | --help)
      sed -n '2,/^set -eu/p' "$0" 2>/dev/null | sed -e '$d' -e 's/^# \{0,1\}//'
      exit 0
      ;;
    '') ;;
    *) die "Unknown argument: $1 (install.sh takes no arguments; see --help)" ;;
  esac

  root=""
  if [ -f "$0" ]; then
    root=$(cd "$(dirname "$0")" && pwd -P)
    if [ ! -f "$root/deno.json" ] || [ ! -f "$root/main.ts" ] || [ ! -f "$root/scripts/_lib.sh" ]; then
      root=""
    fi
  fi

  if [ -n "${SWARM_RELEASE_URL:-}" ]; then
    install_release
  elif [ -n "$root" ]; then
    install_checkout "$root"
  else
    die "Not run from a swarm checkout and SWARM_RELEASE_URL is unset: set it to a release archive, or run ./install.sh in a clone"
  fi

  say "Installed swarm ($kind) at $install_dir/swarm"
  case ":${PATH:-}:" in
    *":$install_dir:"* | *":$install_dir/:"*) ;;
    *) say "Note: $install_dir is not on PATH; add it, e.g. export PATH=\"$install_dir:\$PATH\"" ;;
  esac
  if version=$("$install_dir/swarm" --version 2>&1 </dev/null); then
    say "$version"
  else
    warn "$install_dir/swarm --version failed: $version"
  fi
}

main "$@"
