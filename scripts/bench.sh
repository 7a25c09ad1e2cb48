#!/usr/bin/env bash
# Measures tcr-promote against its speed and size targets; the README records
# the figures. Targets: 100 promotions sustain >= 18/s (90% of TCR's 20/s)
# with 0 failed and <= 1% of requests rejected, also with 80 ms added to every
# answer; one promotion costs <= 5 ms more than a bare signed request, process
# start to exit; the static binary stays <= 10 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

echo "== machine"
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), $(go version | cut -d' ' -f3-)"

echo "== static binary (target <= 10 MB)"
bin="$(mktemp -d)/tcr-promote"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin" .
size=$(stat -c %s "$bin")
echo "$size bytes ($(awk "BEGIN{printf \"%.1f\", $size/1048576}") MiB)"
rm -rf "$(dirname "$bin")"

echo "== 100 promotions, emulator enforcing 20/s (target >= 18 promotions/s, 0 failed, <= 1% rejected)"
go test ./plugin -run '^$' -bench 'Batch100' -benchtime 1x -count "${COUNT:-3}"

echo "== one promotion, process start to exit, vs a bare signed request (target <= +5 ms)"
go test . -run '^$' -bench 'Process' -benchtime 200x -count "${COUNT:-3}"
