#!/usr/bin/env bash
# Runs tcr-promote on any GitHub runner (Linux, macOS, Windows; x64, arm64):
# downloads the release binary for this runner, checks it against the
# SHA-256 that the release pinned in action.yml (not against a checksum
# file fetched from the same place), and runs it with the INPUT_* variables
# action.yml maps. Its exit code is the step's. A failure before the binary
# runs ends as the binary's own would: an ::error annotation, the outputs
# error_code and error_class, and a documented exit code (64 not a release,
# 69 no binary for this runner, 75 the download failed, 1 a binary that is
# not the one pinned).
set -euo pipefail

# fail CODE CLASS ERROR_CODE MESSAGE
fail() {
  echo "::error title=tcr-promote: $2::$4"
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    printf 'promoted=false\nerror_code=%s\nerror_class=%s\n' "$3" "$2" >> "$GITHUB_OUTPUT"
  fi
  exit "$1"
}

version="${TCR_PROMOTE_VERSION:-dev}"
case "${RUNNER_OS:-}" in
  Linux) os=linux ;;
  macOS) os=darwin ;;
  Windows) os=windows ;;
  *) fail 69 unavailable ClientError.UnsupportedRunner "no release binary for runner OS '${RUNNER_OS:-}'" ;;
esac
case "${RUNNER_ARCH:-}" in
  X64) arch=amd64 ;;
  ARM64) arch=arm64 ;;
  *) fail 69 unavailable ClientError.UnsupportedRunner "no release binary for runner architecture '${RUNNER_ARCH:-}'" ;;
esac
ext=""
if [ "$os" = windows ]; then ext=".exe"; fi

# The pinned SHA-256, from TCR_PROMOTE_SHA256_<OS>_<ARCH> (bash 3.2 on macOS:
# no ${var^^}).
var="TCR_PROMOTE_SHA256_$(printf '%s_%s' "$os" "$arch" | tr '[:lower:]' '[:upper:]')"
want="${!var:-}"
if [ "$version" = dev ] || [ -z "$want" ]; then
  fail 64 usage ClientError.InvalidSettings "this copy of the composite action is not a release, so it pins no binary; use tcr-promote/tcr-promote/composite@v1 (or a release's commit)"
fi

name="tcr-promote-${version}-${os}-${arch}${ext}"
base="${TCR_PROMOTE_DOWNLOAD_URL:-https://github.com/tcr-promote/tcr-promote/releases/download}"
dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/tcr-promote-${version}"
bin="$dir/$name"
mkdir -p "$dir"
if [ ! -f "$bin" ]; then
  status=0
  curl -fsSL --retry 3 --proto '=https,http' -o "$bin.part" "$base/$version/$name" || status=$?
  if [ "$status" != 0 ]; then
    rm -f "$bin.part"
    fail 75 temporary ClientError.DownloadFailed "downloading $name from $base failed (curl exit $status: 22 is an HTTP error such as 404, 6 and 7 a host that cannot be reached); re-run, or point TCR_PROMOTE_DOWNLOAD_URL at a mirror"
  fi
  mv "$bin.part" "$bin"
fi
if command -v sha256sum >/dev/null 2>&1; then
  got="$(sha256sum "$bin" | cut -d' ' -f1)"
else
  got="$(shasum -a 256 "$bin" | cut -d' ' -f1)"
fi
if [ "$got" != "$want" ]; then
  rm -f "$bin"
  fail 1 unexpected ClientError.ChecksumMismatch "$name has SHA-256 $got, not the $want this release pinned; not running it"
fi
chmod +x "$bin"
exec "$bin"
