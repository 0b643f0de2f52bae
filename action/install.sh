#!/usr/bin/env bash
# Installs stoqctl for the GitHub Action: the release tarball for this runner (checked against its
# published SHA-256), or, when there is none, a build from the action's own source.
#
# INPUT_VERSION       version to install (default: the version of the action's source)
# INPUT_RELEASE_URL   where releases are downloaded from (default: the repository's GitHub releases)
# INSTALL_DIR         where the binary goes (default: $RUNNER_TEMP/stoqctl-bin); added to GITHUB_PATH
# STOQCTL_SOURCE      the source to build from (default: the action's directory)
# STOQCTL_NO_BUILD=1  only try the tarball (the action then builds in a cached step)
#
# Prints `source=release` or `source=build` to GITHUB_OUTPUT, and first `build-key`: the key of the
# cached source build, which changes with the stoqctl version, its sources and the Swift toolchain.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source_dir="${STOQCTL_SOURCE:-$(dirname "$here")}"
release_file="$source_dir/Sources/StoqCore/Release.swift"
field() { sed -n "s/.*static let $1 = \"\\(.*\\)\".*/\\1/p" "$release_file"; }
version="${INPUT_VERSION:-$(field version)}"
version="${version#v}"
repository="$(field repository)"
base="${INPUT_RELEASE_URL:-https://github.com/$repository/releases/download}"
dir="${INSTALL_DIR:-${RUNNER_TEMP:-/tmp}/stoqctl-bin}"
mkdir -p "$dir"

arch="$(uname -m)"
os="$(uname -s | tr '[:upper:]' '[:lower:]')"
name="stoqctl-$version-$os-$arch"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

output() { [ -n "${GITHUB_OUTPUT:-}" ] && echo "$1=$2" >>"$GITHUB_OUTPUT"; return 0; }
add_path() { [ -n "${GITHUB_PATH:-}" ] && echo "$dir" >>"$GITHUB_PATH"; return 0; }

sources="$(cd "$source_dir" && find Package.swift Sources -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
toolchain="$( (swift --version 2>/dev/null || echo none) | head -n 1 | sha256sum | cut -c1-12)"
output build-key "stoqctl-build-$os-$arch-$version-$sources-$toolchain"

if curl -fsSL --retry 3 -o "$work/$name.tar.gz" "$base/v$version/$name.tar.gz" 2>"$work/curl.log" &&
  curl -fsSL --retry 3 -o "$work/$name.tar.gz.sha256" "$base/v$version/$name.tar.gz.sha256" 2>>"$work/curl.log"; then
  (cd "$work" && sha256sum -c "$name.tar.gz.sha256" >/dev/null) || {
    echo "::error::stoqctl $version: $name.tar.gz does not match its published SHA-256; not installed"
    exit 1
  }
  tar -xzf "$work/$name.tar.gz" -C "$work"
  install -m 0755 "$work/$name/stoqctl" "$dir/stoqctl"
  add_path
  output source release
  echo "stoqctl $("$dir/stoqctl" --version) installed from $base/v$version/$name.tar.gz"
  exit 0
fi

echo "No release tarball $name.tar.gz at $base/v$version ($(tail -n 1 "$work/curl.log"))."
if [ "${STOQCTL_NO_BUILD:-0}" = 1 ]; then
  echo "Not building here (STOQCTL_NO_BUILD=1): the action builds from source in its next step, with a cache."
  exit 1
fi
echo "Building stoqctl $version from source."
if [ "$os" != "linux" ] && [ "$os" != "darwin" ]; then
  echo "::error::stoqctl builds on Linux and macOS only, not $os"
  exit 1
fi
if ! command -v swift >/dev/null; then
  echo "::error::no release tarball for $name and no Swift toolchain to build one; add a Swift setup step or pin a released version"
  exit 1
fi
if ! pkg-config --exists yaml-0.1 2>/dev/null; then
  if command -v apt-get >/dev/null; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq libyaml-dev pkg-config zlib1g-dev
  else
    brew install libyaml pkg-config
  fi
fi
# Built inside the action's .build, which the action caches between runs.
(cd "$source_dir" && RELEASE_DIR="$source_dir/.build/release-tree" make release-binary)
install -m 0755 "$source_dir/.build/release/stoqctl" "$dir/stoqctl"
add_path
output source build
echo "stoqctl $("$dir/stoqctl" --version) built from source"
