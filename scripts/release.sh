#!/usr/bin/env bash
# Packs the release binary (make release-binary) into dist/stoqctl-VERSION-OS-ARCH.tar.gz with its
# SHA-256, shell completions, the man page, the JSON Schemas and the example shop. The version is the binary's own
# (`stoqctl --version`, from Sources/StoqCore/Release.swift), so the name cannot disagree with it.
# The tarball is reproducible: sorted names, no owners, a fixed date, fixed modes (whatever the
# umask), so two clones of one commit give the same bytes (see `make rebuild-check`). It carries the
# build record: what the binary was built from, and the resolved dependency graph to build it again.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=.build/release/stoqctl
[ -x "$binary" ] || { echo "release.sh: $binary is missing; run make release-binary first" >&2; exit 1; }
record=.build/build-record
[ -f "$record/build-record.json" ] || { echo "release.sh: $record/build-record.json is missing; run make release-binary first" >&2; exit 1; }
version="$("$binary" --version)"
os="$(uname -s | tr '[:upper:]' '[:lower:]')"
name="stoqctl-$version-$os-$(uname -m)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
root="$stage/$name"
mkdir -p "$root/completions" "$root/man" "$root/schema" "$root/examples" "$root/build" dist

cp "$binary" "$root/stoqctl"
strip "$root/stoqctl" 2>/dev/null || true
cp README.md CHANGELOG.md LICENSE "$root/"
cp "$record/build-record.json" "$record/Package.resolved" "$root/build/"
cp schema/*.json "$root/schema/"
# The example shop, so the first command of the README works from the unpacked tarball.
cp -R examples/shop "$root/examples/shop"
"$binary" --generate-completion-script bash >"$root/completions/stoqctl.bash"
"$binary" --generate-completion-script zsh >"$root/completions/_stoqctl"
"$binary" --generate-completion-script fish >"$root/completions/stoqctl.fish"
scripts/manpage.py "$binary" >"$root/man/stoqctl.1"

find "$root" -type d -exec chmod 0755 {} +
find "$root" -type f -exec chmod 0644 {} +
chmod 0755 "$root/stoqctl"

rm -f "dist/$name.tar.gz" "dist/$name.tar.gz.sha256"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='@0' -C "$stage" -cf - "$name" | gzip -n -9 >"dist/$name.tar.gz"
(cd dist && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
echo "dist/$name.tar.gz: $(wc -c <"dist/$name.tar.gz") bytes, sha256 $(cut -d' ' -f1 "dist/$name.tar.gz.sha256")"
