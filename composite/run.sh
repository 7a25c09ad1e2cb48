#!/usr/bin/env bash
# Runs tcr-promote on any GitHub runner (Linux, macOS, Windows; x64, arm64):
# downloads the release binary for this runner, checks it against the
# SHA-256 that the release pinned in action.yml (not against a checksum
# file fetched from the same place), and runs it with the INPUT_* variables
# action.yml maps. Its exit code is the step's.
set -euo pipefail

version="${TCR_PROMOTE_VERSION:-dev}"
case "${RUNNER_OS:-}" in
  Linux) os=linux ;;
  macOS) os=darwin ;;
  Windows) os=windows ;;
  *) echo "::error::tcr-promote: no release binary for runner OS '${RUNNER_OS:-}'"; exit 1 ;;
esac
case "${RUNNER_ARCH:-}" in
  X64) arch=amd64 ;;
  ARM64) arch=arm64 ;;
  *) echo "::error::tcr-promote: no release binary for runner architecture '${RUNNER_ARCH:-}'"; exit 1 ;;
esac
ext=""
if [ "$os" = windows ]; then ext=".exe"; fi

# The pinned SHA-256, from TCR_PROMOTE_SHA256_<OS>_<ARCH> (bash 3.2 on macOS:
# no ${var^^}).
var="TCR_PROMOTE_SHA256_$(printf '%s_%s' "$os" "$arch" | tr '[:lower:]' '[:upper:]')"
want="${!var:-}"
if [ "$version" = dev ] || [ -z "$want" ]; then
  echo "::error::tcr-promote: this copy of the composite action is not a release, so it pins no binary; use tcr-promote/tcr-promote/composite@v1 (or a release's commit)"
  exit 64
fi

name="tcr-promote-${version}-${os}-${arch}${ext}"
base="${TCR_PROMOTE_DOWNLOAD_URL:-https://github.com/tcr-promote/tcr-promote/releases/download}"
dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/tcr-promote-${version}"
bin="$dir/$name"
mkdir -p "$dir"
if [ ! -f "$bin" ]; then
  curl -fsSL --retry 3 --proto '=https,http' -o "$bin.part" "$base/$version/$name"
  mv "$bin.part" "$bin"
fi
if command -v sha256sum >/dev/null 2>&1; then
  got="$(sha256sum "$bin" | cut -d' ' -f1)"
else
  got="$(shasum -a 256 "$bin" | cut -d' ' -f1)"
fi
if [ "$got" != "$want" ]; then
  rm -f "$bin"
  echo "::error::tcr-promote: $name has SHA-256 $got, not the $want this release pinned; not running it"
  exit 1
fi
chmod +x "$bin"
exec "$bin"
