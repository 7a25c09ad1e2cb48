#!/usr/bin/env bash
# Builds the release image with podman, from a binary built here: the
# Dockerfile's own stages, with `build` (the binary and the CA bundle) and
# `busybox` given as named build contexts, so nothing is pulled.
#
#   scripts/image.sh            # default target -> localhost/tcr-promote:dev
#   TARGET=gitlab scripts/image.sh   # -> localhost/tcr-promote:dev-gitlab (busybox from Debian's busybox-static)
#
# Installs podman, runc, busybox-static and ca-certificates from Debian when
# they are missing. PODMAN_FLAGS are the flags this sandbox needs (cgroupfs,
# runc, ulimits): the sandboxes this project is built in refuse raising
# rlimits and have hybrid cgroups.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
target="${TARGET:-runtime}"
tag="localhost/tcr-promote:dev"
[ "$target" = runtime ] || tag="$tag-$target"
version="${VERSION:-dev}"

need=()
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v runc >/dev/null 2>&1 || need+=(runc)
# The GitLab variant needs a static busybox (Debian's busybox is dynamic).
ldd /bin/busybox 2>&1 | grep -q 'not a dynamic executable' || need+=(busybox-static)
[ -f /etc/ssl/certs/ca-certificates.crt ] || need+=(ca-certificates)
if [ "${#need[@]}" -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "== installing ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/build/out/tmp" "$ctx/build/etc/ssl/certs" "$ctx/busybox/bin"
chmod 1777 "$ctx/build/out/tmp"
echo "== go build (static, as the Dockerfile's build stage)"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/tcr-promote/tcr-promote/plugin.Version=${version}" -o "$ctx/build/out/tcr-promote" .
cp /etc/ssl/certs/ca-certificates.crt "$ctx/build/etc/ssl/certs/ca-certificates.crt"
cp "$(readlink -f /bin/busybox)" "$ctx/busybox/bin/busybox"

echo "== podman build --target $target -> $tag"
# shellcheck disable=SC2086
podman --cgroup-manager=cgroupfs build ${PODMAN_BUILD_FLAGS:---runtime runc --ulimit nofile=1024:1024 --ulimit nproc=1024:1024} \
  --build-context build="$ctx/build" --build-context busybox="$ctx/busybox" \
  --build-arg VERSION="$version" --build-arg TARGETOS=linux --build-arg TARGETARCH="$(go env GOARCH)" \
  --target "$target" -t "$tag" .
podman image inspect --format '{{.Id}} {{.Size}} bytes' "$tag"
