#!/usr/bin/env bash
# Builds the release binary (make release-binary): stoqctl with the Swift runtime, libyaml, zlib and
# libstdc++ linked in, and the build record compiled in. Output: SwiftPM's release bin directory
# (.build/release/stoqctl) and .build/build-record/.
#
# Reproducible: one commit gives the same bytes from any clone. The compiler puts traces of the
# build's own paths into the binary that no flag maps away (lengths of path strings, a hash over
# each object's output path), so the working tree as git sees it (tracked and untracked files, not
# ignored ones) is copied to one fixed directory, RELEASE_DIR (default /tmp/stoqctl-release), and
# built there; later builds there are incremental. RELEASE_CLEAN=1 starts from an empty directory
# (make rebuild-check does). RESOLVE_FLAGS is passed to SwiftPM (rebuild-check:
# --force-resolved-versions, with the recorded Package.resolved in the tree).
set -euo pipefail
cd "$(dirname "$0")/.."
here="$(pwd)"
dir="${RELEASE_DIR:-/tmp/stoqctl-release}"
src="$dir/src"
read -r -a resolve <<<"${RESOLVE_FLAGS:-}"

mkdir -p "$dir"
# One release build at a time in that directory.
exec 9>"$dir.lock"
flock 9
[ "${RELEASE_CLEAN:-0}" = 1 ] && rm -rf "$src"
mkdir -p "$src"
# The tree as git sees it; files removed here since the last copy go there too (.build stays).
find "$src" -mindepth 1 -maxdepth 1 ! -name .build -exec rm -rf {} +
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$src"
else
  # A source tree without git (the action's own download): everything but build products.
  tar --exclude=./.build --exclude=./dist -cf - . | tar -xf - -C "$src"
fi
[ -f Package.resolved ] && cp Package.resolved "$src/Package.resolved"

# What the build is made from, read here, where git knows the commit.
commit="$(git rev-parse HEAD 2>/dev/null || true)"
modified=0
[ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] && modified=1

cd "$src"
libs="$src/.build/static-libs"
mkdir -p "$libs"
cp "$(pkg-config --variable=libdir yaml-0.1)/libyaml.a" "$libs/"
cp "$(gcc -print-file-name=libz.a)" "$(gcc -print-file-name=libstdc++.a)" "$libs/"
STOQCTL_STATIC_LINK=1 swift package resolve "${resolve[@]}"
STOQCTL_SOURCE_COMMIT="$commit" STOQCTL_SOURCE_MODIFIED="$modified" python3 scripts/build-record.py .build/build-record
# Swift 5 packages expand #file to the absolute source path (log calls, fatalError keep it):
# ConciseMagicFile makes it Module/File.swift, as in Swift 6. The prefix maps cover C and C++
# (__FILE__) and debug info; without incremental LLVM code generation no object carries a hash
# of its own output path (.swift_modhash). The linker's build id hashes the unstripped binary,
# whose symbols and debug info stay apart between builds; the shipped binary is stripped and has none.
STOQCTL_STATIC_LINK=1 swift build -c release --product stoqctl --static-swift-stdlib "${resolve[@]}" \
  -Xlinker -L"$libs" -Xlinker --build-id=none \
  -Xswiftc -enable-upcoming-feature -Xswiftc ConciseMagicFile \
  -Xswiftc -file-prefix-map -Xswiftc "$src=." \
  -Xswiftc -Xfrontend -Xswiftc -disable-incremental-llvm-codegen \
  -Xcc -ffile-prefix-map="$src=." -Xcxx -ffile-prefix-map="$src=." \
  -Xcc -I"$src/.build/build-record"
built="$src/.build/release/stoqctl"

# Into this clone's release directory, where SwiftPM would put it.
cd "$here"
triple="$(swiftc -print-target-info | python3 -c 'import json, sys; print(json.load(sys.stdin)["target"]["unversionedTriple"])')"
bin=".build/$triple/release"
mkdir -p "$bin"
[ -e .build/release ] || ln -s "$triple/release" .build/release
cp "$built" "$bin/stoqctl"
rm -rf .build/build-record
cp -R "$src/.build/build-record" .build/build-record
echo "release binary: .build/release/stoqctl (built in $src)"
