#!/usr/bin/env bash
# Builds a release tarball again from what it records, and compares the two byte for byte.
#
# The tarball's build/build-record.json names the source commit and the toolchain; its
# build/Package.resolved is the dependency graph. This script clones the repository at that
# commit into a fresh directory, puts the recorded Package.resolved in place, runs `make release`
# there with --force-resolved-versions (exactly those revisions, nothing newer) from an empty build
# directory (RELEASE_CLEAN=1: nothing of an earlier build is reused), and compares the new
# tarball's SHA-256 with the given one.
# On a difference it lists the files that differ and keeps the rebuilt tarball beside the given one
# (NAME.rebuilt.tar.gz) for a closer look (diffoscope, or cmp and objdump -h).
#
# Usage: scripts/rebuild-check.sh [TARBALL]   (default: the one tarball in dist/)
# The repository to clone is the one this script is in; it must hold the recorded commit.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

tarball="${1:-}"
if [ -z "$tarball" ]; then
  shopt -s nullglob
  found=(dist/stoqctl-*.tar.gz)
  [ "${#found[@]}" = 1 ] || { echo "rebuild-check: name the tarball (TARBALL=dist/…tar.gz); dist/ holds ${#found[@]}" >&2; exit 64; }
  tarball="${found[0]}"
fi
tarball="$(realpath "$tarball")"
name="$(basename "$tarball" .tar.gz)"

work="$(mktemp -d "${TMPDIR:-/tmp}/stoqctl-rebuild.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/given" "$work/again"
tar -xzf "$tarball" -C "$work/given"
record="$work/given/$name/build/build-record.json"
[ -f "$record" ] || { echo "rebuild-check: $tarball has no build/build-record.json; it cannot be rebuilt" >&2; exit 1; }

field() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, {"r": r}))' "$record" "$1"; }
commit="$(field 'r["source"]["commit"] or ""')"
modified="$(field 'r["source"]["modified"]')"
swift_recorded="$(field 'r["toolchain"]["swift"]')"
swift_here="$(swift --version 2>/dev/null | grep -m1 '^Swift version' || true)"

[ -n "$commit" ] || { echo "rebuild-check: the record names no source commit (not built from a git clone)" >&2; exit 1; }
[ "$modified" = "False" ] || { echo "rebuild-check: $name was built from $commit with uncommitted changes; it cannot be rebuilt" >&2; exit 1; }
if [ "$swift_recorded" != "$swift_here" ]; then
  echo "rebuild-check: $name was built with '$swift_recorded'; this machine has '$swift_here'" >&2
  exit 1
fi

echo "rebuild-check: $name: commit $commit, $swift_recorded, $(field 'len(r["packages"])') packages"
git clone -q --no-checkout "$repo" "$work/src"
git -C "$work/src" checkout -q "$commit"
cp "$work/given/$name/build/Package.resolved" "$work/src/Package.resolved"
start=$(date +%s)
make -C "$work/src" release RESOLVE_FLAGS=--force-resolved-versions RELEASE_CLEAN=1 >"$work/build.log" 2>&1 || {
  tail -n 40 "$work/build.log" >&2
  echo "rebuild-check: the rebuild in $work/src failed" >&2
  exit 1
}
again="$work/src/dist/$name.tar.gz"
echo "rebuild-check: rebuilt in $(($(date +%s) - start)) s at $work/src"

given_sum="$(sha256sum "$tarball" | cut -d' ' -f1)"
again_sum="$(sha256sum "$again" | cut -d' ' -f1)"
echo "  given:   $given_sum  $tarball ($(wc -c <"$tarball") bytes)"
echo "  rebuilt: $again_sum  $again ($(wc -c <"$again") bytes)"
if [ "$given_sum" = "$again_sum" ]; then
  echo "rebuild-check: identical"
  exit 0
fi
tar -xzf "$again" -C "$work/again"
kept="${tarball%.tar.gz}.rebuilt.tar.gz"
cp "$again" "$kept"
echo "rebuild-check: the tarballs differ (the rebuilt one is kept as $kept); files that differ:" >&2
(cd "$work/given" && find . -type f | sort | xargs sha256sum) >"$work/given.sums"
(cd "$work/again" && find . -type f | sort | xargs sha256sum) >"$work/again.sums"
diff "$work/given.sums" "$work/again.sums" >&2 || true
exit 1
