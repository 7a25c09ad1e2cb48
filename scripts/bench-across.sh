#!/usr/bin/env bash
# Measures a promotion across instances against crane copy (built from
# go-containerregistry v0.22.1, through the Go module proxy) between two
# registries on loopback: the emulator's and Debian's docker-registry, a
# real registry server. Targets: wall time at crane's in every shape (cold,
# warm, half); moved = the missing bytes exactly; peak RSS below 64 MB
# whatever the layer size. docs/performance.md records a run:
#   scripts/bench-across.sh | tee docs/bench/across.txt
# COUNT=n runs each cell n times (default 7); LAYER_MB the single image's
# layer size (default 50). Needs docker-registry and GNU time
# (apt-get install docker-registry time).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT

echo "== machine"
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), $(go version | cut -d' ' -f3-), $(docker-registry --version 2>/dev/null | head -1)"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$dir/tcr-promote" .
GOBIN="$dir" GOFLAGS=-mod=mod go install github.com/google/go-containerregistry/cmd/crane@v0.22.1
echo "crane $("$dir/crane" version)"
echo
go run ./bench/across -step "$dir/tcr-promote" -crane "$dir/crane" -count "${COUNT:-7}" -layer-mb "${LAYER_MB:-50}"
