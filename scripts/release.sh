#!/bin/sh
# Packs a compiled swarm binary as a release: swarm-<version>-<os>-<arch>.tar.gz holding
# one `swarm` executable at its top level, and beside it <archive>.sha256 in sha256sum
# format, the pair install.sh's SWARM_RELEASE_URL path expects.
#
#   scripts/deno task compile   # needs a denort runtime (DENORT_BIN); see docs/install.md
#   scripts/release.sh [--bin FILE] [--out DIR]
#
# --bin defaults to dist/swarm, --out to dist/. The version comes from deno.json, the os
# and arch from this machine (uname).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd -P)
bin=$root/dist/swarm
out=$root/dist
tmp=""
trap 'if [ -n "$tmp" ]; then rm -rf "$tmp"; fi' EXIT
trap 'exit 130' INT
trap 'exit 143' HUP TERM

die() {
  printf 'Error: %s\n' "$*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case $1 in
    --bin) [ $# -ge 2 ] || die "Missing value for --bin"; bin=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || die "Missing value for --out"; out=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) die "Unknown argument: $1 (see --help)" ;;
  esac
done

[ -f "$bin" ] ||
  die "No compiled binary at $bin: run 'scripts/deno task compile' first (it needs a denort runtime in DENORT_BIN; see docs/install.md)"
[ -x "$bin" ] || die "Compiled binary $bin is not executable"

# shellcheck source=scripts/_lib.sh
. "$root/scripts/_lib.sh"
deno=$(swarm_ensure_deno "$root") || exit 1 # it printed why
version=$(SWARM_DENO_JSON="$root/deno.json" "$deno" eval \
  'console.log(JSON.parse(Deno.readTextFileSync(Deno.env.get("SWARM_DENO_JSON"))).version)') ||
  die "Cannot read the version from $root/deno.json"

os=$(uname -s | tr '[:upper:]' '[:lower:]')
case $(uname -m) in
  x86_64 | amd64) arch=x86_64 ;;
  aarch64 | arm64) arch=aarch64 ;;
  *) arch=$(uname -m) ;;
esac
name="swarm-$version-$os-$arch.tar.gz"

mkdir -p "$out" || die "Cannot create $out"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/swarm-release.XXXXXX") || die "Cannot create a temporary folder"
mkdir "$tmp/stage"
cp "$bin" "$tmp/stage/swarm"
chmod 755 "$tmp/stage/swarm"
tar -czf "$tmp/$name" -C "$tmp/stage" swarm || die "Cannot create $name"
if command -v sha256sum >/dev/null 2>&1; then
  hash=$(sha256sum "$tmp/$name" | cut -d ' ' -f 1)
else
  hash=$(shasum -a 256 "$tmp/$name" | cut -d ' ' -f 1)
fi
printf '%s  %s\n' "$hash" "$name" >"$tmp/$name.sha256"
mv -f "$tmp/$name" "$out/$name"
mv -f "$tmp/$name.sha256" "$out/$name.sha256"
printf '%s\n' "$out/$name" "$out/$name.sha256"
