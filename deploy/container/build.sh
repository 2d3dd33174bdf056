#!/bin/sh
# Builds the swarm container image without any registry: deploy/container/Containerfile
# starts FROM scratch, and this script assembles the root filesystem it copies in, from
# this machine and this checkout:
#
#   /usr/local/bin/deno         the pinned Deno (scripts/_lib.sh), with exactly the shared
#                               libraries ldd lists for it
#   /usr/bin/bwrap, prlimit, sh the skill sandbox, the skill limits, /bin/sh (dash) and
#   and true                    true (the node's bubblewrap probe runs it), each with its
#                               libraries
#   /opt/swarm                  main.ts, lib/, deno.json, deno.lock, node_modules/ and the
#                               health check script
#   /etc/passwd, /etc/group     root and the unprivileged user swarm (10001:10001)
#   /etc/nsswitch.conf, /etc/ld.so.conf(.cache)
#   /var/lib/swarm, /tmp        the data directory (owned by swarm) and a sticky /tmp
#
# The Containerfile then fills DENO_DIR (/var/cache/deno) by running Deno once, with the
# network off, so a container needs no network to start.
#
# Usage: deploy/container/build.sh [--tag TAG] [--engine podman|docker] [--context DIR]
#                                  [-- ENGINE_BUILD_OPTIONS...]
#   --tag TAG       image name (default: localhost/swarm:VERSION, VERSION from deno.json,
#                   and localhost/swarm:latest)
#   --engine CMD    the build command (default podman)
#   --context DIR   assemble the build context in DIR and keep it (default: a temporary
#                   folder, removed afterwards); --engine none assembles it only
#   -- ...          passed to '<engine> build', e.g. -- --runtime runc
#                   --ulimit nofile=1024:1024 --ulimit nproc=1024:1024
#
# Needs: a POSIX sh, tar, ldd, ldconfig, bwrap (bubblewrap), prlimit (util-linux).
set -eu

here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
# shellcheck source=scripts/_lib.sh
. "$root/scripts/_lib.sh"

die() {
  printf 'Error: %s\n' "$*" >&2
  exit 1
}

tag=""
engine=podman
context=""
while [ $# -gt 0 ]; do
  case $1 in
    --tag) [ $# -ge 2 ] || die "Option --tag needs a value"; tag=$2; shift 2 ;;
    --engine) [ $# -ge 2 ] || die "Option --engine needs a value"; engine=$2; shift 2 ;;
    --context) [ $# -ge 2 ] || die "Option --context needs a value"; context=$2; shift 2 ;;
    --) shift; break ;;
    -h | --help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "Unknown option $1 (see --help)" ;;
  esac
done

version=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$root/deno.json" | head -n 1)
[ -n "$version" ] || die "Cannot read the version from $root/deno.json"
latest=""
if [ -z "$tag" ]; then
  tag="localhost/swarm:$version"
  latest="localhost/swarm:latest"
fi

deno=$(swarm_ensure_deno "$root") || die "Cannot find or install Deno $SWARM_DENO_VERSION"
deno=$(readlink -f "$deno")
bwrap=$(command -v bwrap 2>/dev/null) || die "Cannot find bwrap: install bubblewrap (apt-get install bubblewrap)"
prlimit=$(command -v prlimit 2>/dev/null) || die "Cannot find prlimit: install util-linux"
shell=$(readlink -f /bin/sh)
[ -d "$root/node_modules" ] ||
  die "Cannot find $root/node_modules: run ./install.sh (or scripts/deno install) first"

if [ "$engine" = none ] && [ -z "$context" ]; then
  die "Option --engine none needs --context DIR (the assembled context is all it makes)"
fi
cleanup_context=""
if [ -z "$context" ]; then
  context=$(mktemp -d "${TMPDIR:-/tmp}/swarm-image.XXXXXX") || die "Cannot create a temporary folder"
  cleanup_context=$context
fi
trap 'if [ -n "$cleanup_context" ]; then rm -rf "$cleanup_context"; fi' EXIT
trap 'exit 130' INT
trap 'exit 143' HUP TERM
rootfs="$context/rootfs"
rm -rf "$rootfs" "$context/data"
mkdir -p "$rootfs" "$context/data"

# The host's top-level layout: on a merged-/usr system /bin, /lib, /lib64 and /sbin are
# symlinks into /usr, and so they are in the image (bubblewrap recreates them the same way).
for top in /bin /sbin /lib /lib32 /lib64 /libx32; do
  if [ -L "$top" ]; then
    ln -s "$(readlink "$top")" "$rootfs$top"
  fi
done

# Copies file $1 (symlinks followed) to the same place in the image, the folder part
# resolved as on the host (/lib/x86_64-linux-gnu/libc.so.6 lands in /usr/lib/… when /lib
# is a link), under the name $2 (default: the name in $1).
place() {
  dir=$(cd "$(dirname "$1")" && pwd -P) || die "Cannot resolve $1"
  name=${2:-$(basename "$1")}
  mkdir -p "$rootfs$dir"
  if [ ! -e "$rootfs$dir/$name" ]; then
    cp -L "$1" "$rootfs$dir/$name" || die "Cannot copy $1"
  fi
}

# Copies program $1 to $2 in the image with every shared library ldd lists for it.
program() {
  libs=$(ldd "$1" 2>&1) || case $libs in
    *"not a dynamic executable"* | *"statically linked"*) libs="" ;;
    *) die "Cannot list the libraries of $1: $libs" ;;
  esac
  case $libs in
    *"not found"*) die "A library of $1 is missing: $libs" ;;
  esac
  for lib in $(printf '%s\n' "$libs" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }'); do
    place "$lib"
  done
  mkdir -p "$rootfs$(dirname "$2")"
  cp -L "$1" "$rootfs$2" || die "Cannot copy $1"
  chmod 755 "$rootfs$2"
}

program "$deno" /usr/local/bin/deno
program "$bwrap" /usr/bin/bwrap
program "$prlimit" /usr/bin/prlimit
program "$shell" "/usr/bin/$(basename "$shell")"
# The node checks that bubblewrap works by running 'bwrap --ro-bind / / true'.
for true_program in /usr/bin/true /bin/true; do
  if [ -x "$true_program" ]; then break; fi
done
[ -x "$true_program" ] || die "Cannot find the true program (coreutils)"
program "$true_program" /usr/bin/true
[ "$(basename "$shell")" = sh ] || ln -s "$(basename "$shell")" "$rootfs/usr/bin/sh"
[ -e "$rootfs/bin/sh" ] || { mkdir -p "$rootfs/bin" && ln -s /usr/bin/sh "$rootfs/bin/sh"; }

mkdir -p "$rootfs/etc"
cat >"$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/usr/sbin/nologin
swarm:x:10001:10001:swarm node:/var/lib/swarm:/usr/sbin/nologin
EOF
cat >"$rootfs/etc/group" <<'EOF'
root:x:0:
swarm:x:10001:
EOF
cat >"$rootfs/etc/nsswitch.conf" <<'EOF'
passwd: files
group: files
hosts: files dns
EOF
# The loader's cache for the folders the libraries went to (bubblewrap mounts it too).
lib_dirs=$(find "$rootfs" -path "$rootfs/etc" -prune -o -type f -name '*.so*' -print |
  sed -e "s#^$rootfs##" -e 's#/[^/]*$##' | sort -u)
printf '%s\n' "$lib_dirs" >"$rootfs/etc/ld.so.conf"
if command -v ldconfig >/dev/null 2>&1; then
  ldconfig -r "$rootfs" || die "Cannot write the image's ld.so.cache"
elif [ -x /sbin/ldconfig ]; then
  /sbin/ldconfig -r "$rootfs" || die "Cannot write the image's ld.so.cache"
fi

# The application: what 'deno run main.ts' loads, nothing of tests/ or docs/.
app="$rootfs/opt/swarm"
mkdir -p "$app"
cp -R "$root/main.ts" "$root/deno.json" "$root/deno.lock" "$root/lib" "$app/"
# node_modules as 'deno install' left it, without the lock-poll file a concurrent Deno
# process may create and delete while it is copied.
tar -C "$root" -cf - --exclude=node_modules/.deno/.deno.lock.poll node_modules |
  tar -C "$app" -xf - || die "Cannot copy $root/node_modules"
[ -f "$app/node_modules/.deno/.setup-cache.bin" ] ||
  die "Cannot copy $root/node_modules: it has no .deno/.setup-cache.bin (run ./install.sh)"
cp "$here/healthcheck.ts" "$app/healthcheck.ts"
chmod -R a+rX,go-w "$app"

mkdir -p "$rootfs/tmp" "$rootfs/var/cache/deno" "$rootfs/run/secrets" "$rootfs/root"
chmod 1777 "$rootfs/tmp"
chmod 700 "$rootfs/root"
# Owned by swarm through 'COPY --chown' in the Containerfile (COPY gives root otherwise).
chmod 700 "$context/data"

# Top-level links with nothing behind them in the image (/sbin → usr/sbin) go.
for top in /bin /sbin /lib /lib32 /lib64 /libx32; do
  if [ -L "$rootfs$top" ] && [ ! -e "$rootfs$top" ]; then rm "$rootfs$top"; fi
done

cp "$here/Containerfile" "$context/Containerfile"
if [ "$engine" = none ]; then
  printf 'Build context assembled in %s\n' "$context"
  exit 0
fi
printf 'Building %s from %s (Deno %s)\n' "$tag" "$context" "$SWARM_DENO_VERSION"
# --network=none: the build proves that nothing needs a network, the DENO_DIR step included.
# --format docker (podman, buildah): an OCI image cannot carry a HEALTHCHECK.
# --layers=false (podman, buildah): no intermediate images are left behind.
case $(basename "$engine") in
  podman | buildah) set -- --format docker --layers=false "$@" ;;
esac
if [ -n "$latest" ]; then set -- --tag "$latest" "$@"; fi
"$engine" build --network=none --tag "$tag" "$@" -f "$context/Containerfile" "$context"
