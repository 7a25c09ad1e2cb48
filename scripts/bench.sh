#!/usr/bin/env bash
# Measures tcr-promote against its speed and size targets; the README records
# the figures. Targets:
# - one pipeline, 100 promotions: >= 18/s (90% of TCR's 20/s), 0 failed, no
#   request refused, also with 80 ms added to every answer;
# - 10 pipelines x 40 promotions at once under one shared 20/s limit: all
#   succeed, >= 15 promotions/s together, <= 20% of all requests refused;
# - one promotion, process start to exit: <= 1.15x a bare signed request;
# - the static binary <= 10 MB; the default image <= 12 MB.
# COUNT=n repeats each measurement (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
count="${COUNT:-3}"

echo "== machine"
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), $(go version | cut -d' ' -f3-)"

echo "== static binary (target <= 10 MB)"
bin="$(mktemp -d)/tcr-promote"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin" .
size=$(stat -c %s "$bin")
echo "$size bytes ($(awk "BEGIN{printf \"%.1f\", $size/1048576}") MiB)"
rm -rf "$(dirname "$bin")"

echo "== the default image, built with podman (target <= 12 MB)"
scripts/image.sh >/dev/null
podman image inspect --format '{{.Size}} bytes' localhost/tcr-promote:dev

echo "== one pipeline: 100 promotions, emulator enforcing 20/s (target >= 18 promotions/s, 0 failed, 0 rejected)"
go test ./plugin -run '^$' -bench 'Batch100' -benchtime 1x -count "$count"

echo "== N pipelines at once, one shared 20/s limit, 30 ms per answer (target at N=10: 0 failed, >= 15/s, <= 20% refused)"
go test . -run '^$' -bench 'Contention' -benchtime 1x -count "$count" -timeout 30m

echo "== one promotion, process start to exit, side by side with a bare signed request (target default/bare <= 1.15)"
go test . -run '^$' -bench 'Process' -benchtime 200x -count "$count"
