#!/usr/bin/env bash
# Pins a release in the action files, as the release workflow does before it
# moves the tags: action.yml names the image by version and digest, and
# composite/action.yml the version and every binary's SHA-256. Pinning the
# action by commit then pins what runs.
#
#   scripts/pin-release.sh v1.4.2 sha256:<image digest> dist/SHA256SUMS
set -euo pipefail
cd "$(dirname "$0")/.."
version="$1" digest="$2" sums="$3"
[[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "pin-release: version '$version' is not vX.Y.Z" >&2; exit 2; }
[[ "$digest" =~ ^sha256:[a-f0-9]{64}$ ]] || { echo "pin-release: '$digest' is not an image digest" >&2; exit 2; }

# sed -i differs between GNU and BSD (macOS): write and move instead.
edit() { sed -E "$1" "$2" > "$2.tmp" && mv "$2.tmp" "$2"; }

edit "s#^(  image: )docker://ghcr\.io/tcr-promote/tcr-promote:.*#\1docker://ghcr.io/tcr-promote/tcr-promote:${version}@${digest}#" action.yml
grep -q "tcr-promote:${version}@${digest}" action.yml || { echo "pin-release: action.yml has no image line" >&2; exit 1; }

edit "s#^(        TCR_PROMOTE_VERSION: ).*#\1${version}#" composite/action.yml
for target in linux-amd64 linux-arm64 darwin-amd64 darwin-arm64 windows-amd64 windows-arm64; do
  ext=""; [[ "$target" == windows-* ]] && ext=".exe"
  sum="$(awk -v f="tcr-promote-${version}-${target}${ext}" '{ n = $2; sub(/^\*?(\.\/)?/, "", n) } n == f { print $1 }' "$sums")"
  [[ "$sum" =~ ^[a-f0-9]{64}$ ]] || { echo "pin-release: no SHA-256 for ${target} in ${sums}" >&2; exit 1; }
  var="TCR_PROMOTE_SHA256_$(tr '[:lower:]-' '[:upper:]_' <<<"$target")"
  edit "s#^(        ${var}: ).*#\1\"${sum}\"#" composite/action.yml
  grep -q "${var}: \"${sum}\"" composite/action.yml || { echo "pin-release: composite/action.yml has no ${var}" >&2; exit 1; }
done
echo "pinned ${version}: image ${digest}, 6 binaries"
