#!/usr/bin/env bash
# Measures tcr-promote against its speed and size targets; docs/performance.md records
# the figures. Targets, against an emulator enforcing TCR's 20 copies/s for
# all pipelines together, by the sliding second:
# - one pipeline, 25 repos x 4 tags, 80 ms per answer: >= 19 promotions/s
#   (100 / process wall time), 0 refused;
# - 10 pipelines x 40 promotions at once, 30 ms: >= 18/s together, <= 7 % of
#   all requests refused, 0 failed;
# - 20 pipelines x 40 at once: >= 18/s, <= 15 % refused, 0 failed;
# - 10 / 20 / 50 pipelines sharing rate_store (Debian's redis-server):
#   >= 19/s together, <= 2 % refused;
# - sequential round trips: an unverified promotion 1, a verified one 3;
# - one promotion, process start to exit: within 1 ms of a bare signed request;
# - a promotion file of 1,000 destinations over 200 repositories: plans in
#   close to the time 100/s DescribeImages needs, applies at >= 19 copies/s;
# - the static binary <= 13 MB; the default image <= 13 MB.
# Record a run for docs/performance.md (TestPerformanceFiguresMeasured holds
# the page to it): scripts/bench.sh | tee docs/bench/latest.txt
# COUNT=n repeats each measurement (default 3). Needs redis-server in PATH
# (apt-get install redis-server), or TCR_TEST_REDIS=redis://… .
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
count="${COUNT:-3}"

echo "== machine"
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), $(go version | cut -d' ' -f3-)"

echo "== static binary (target <= 13 MB)"
bin="$(mktemp -d)/tcr-promote"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin" .
size=$(stat -c %s "$bin")
echo "$size bytes ($(awk "BEGIN{printf \"%.1f\", $size/1048576}") MiB)"
echo "== what each module costs in it (the same build with its symbols)"
CGO_ENABLED=0 go build -trimpath -ldflags "-w" -o "$bin.sym" .
go run ./bench/depsize "$bin.sym"
rm -rf "$(dirname "$bin")"

echo "== the default image, built with podman (target <= 13 MB)"
scripts/image.sh >/dev/null
podman image inspect --format '{{.Size}} bytes' localhost/tcr-promote:dev

echo "== sequential round trips of each flow (targets: unverified 1, verified 3)"
go test ./plugin -run '^$' -bench 'RoundTrips' -benchtime 1x

echo "== one pipeline in-process: 100 promotions, emulator enforcing 20/s"
go test ./plugin -run '^$' -bench 'Batch100' -benchtime 1x -count "$count"

echo "== a promotion file: 1,000 destinations over 200 repositories, planned then applied"
go test ./plugin -run '^$' -bench 'File1000' -benchtime 1x -count "$count"

echo "== pipelines as processes: lone; 10 and 20 pacing on their own; 10, 20 and 50 sharing rate_store"
go test . -run '^$' -bench 'Pipelines' -benchtime 1x -count "$count" -timeout 60m

echo "== one promotion, process start to exit, side by side with a bare signed request (target: within 1 ms)"
go test . -run '^$' -bench 'Process' -benchtime 200x -count "$count"
