#!/usr/bin/env bash
# Proves the release binary runs on a bare Linux machine: no Swift toolchain, no libyaml.
#  1. ldd lists only the C library's own parts (libc, libm, the loader, …): no libswift*,
#     no Foundation, no libyaml.
#  2. A root file system holding nothing but the binary, those libraries and the example shop:
#     inside it (chroot, so no toolchain path can leak in), with an empty environment, stoqctl
#     plans the example shop against its in-process emulator and prints the expected plan.
# Usage: scripts/check-bare.sh [BINARY] (default .build/release/stoqctl); needs root for chroot.
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${1:-.build/release/stoqctl}"

libraries="$(ldd "$binary" | awk '/=>/ { print $3 } /^[[:space:]]*\/[^ ]+ \(/ { print $1 }')"
echo "ldd $binary:"
ldd "$binary" | sed 's/^/  /'
allowed='^(libc|libm|libdl|libpthread|librt|libutil|libgcc_s|libstdc\+\+|ld-linux[-a-z0-9_]*)\.so'
bad=0
for library in $libraries; do
  if ! basename "$library" | grep -Eq "$allowed"; then
    echo "check-bare: $binary needs $library, which a bare machine does not have" >&2
    bad=1
  fi
done
[ "$bad" = 0 ] || exit 1
echo "newest glibc symbol version it needs: $(objdump -T "$binary" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n 1)"

root="$(mktemp -d)"
trap 'umount "$root/proc" 2>/dev/null; rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/tmp" "$root/shop" "$root/proc"
# Every Linux machine has /proc (the Swift runtime reads the command line from it).
mount -t proc proc "$root/proc"
cp "$binary" "$root/bin/stoqctl"
for library in $libraries; do
  mkdir -p "$root$(dirname "$library")"
  cp -L "$library" "$root$library"
done
cp -R examples/shop/. "$root/shop/"
echo "bare root: $(find "$root" -path "$root/proc" -prune -o -type f -print | wc -l) files, $(du -sh --exclude=proc "$root" | cut -f1)"

set +e
env -i PATH=/bin "$(command -v chroot)" "$root" /bin/stoqctl plan /shop --endpoint emulator:/shop/remote-state.json --color never >"$root/plan.txt" 2>"$root/err.txt"
rc=$?
set -e
if [ "$rc" != 0 ] || ! grep -q '^Plan: ' "$root/plan.txt"; then
  echo "check-bare: stoqctl plan in the bare root exited $rc" >&2
  cat "$root/err.txt" "$root/plan.txt" >&2
  exit 1
fi
version="$(env -i "$(command -v chroot)" "$root" /bin/stoqctl --version)"
echo "check-bare: stoqctl $version planned the example shop in a bare root:"
grep '^Plan: ' "$root/plan.txt"
