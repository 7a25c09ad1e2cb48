#!/usr/bin/env bash
# Runs the GitHub examples with a real runner: nektos/act (pinned below),
# over podman's Docker API, offline. Builds act once into the Go cache,
# starts podman's API service on a socket of its own, tags the image
# built by scripts/image.sh (both targets) as action.yml names it, builds
# the job image (the busybox image with bash and a gh stand-in), then runs
# `go test -tags runner`, which runs every workflow in examples/github/
# unmodified against the emulator.
#
#   scripts/image.sh && TARGET=gitlab scripts/image.sh && scripts/runner.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
act_version=v0.2.89

cache="${XDG_CACHE_HOME:-$HOME/.cache}/tcr-promote"
act="$cache/act-$act_version/act"
if [ ! -x "$act" ]; then
  echo "== building act $act_version"
  mkdir -p "$(dirname "$act")"
  # go install path@version builds outside this module; act's go.mod
  # needs -mod=mod.
  (cd "$(mktemp -d)" && GOFLAGS=-mod=mod GOBIN="$(dirname "$act")" go install "github.com/nektos/act@$act_version")
fi
"$act" --version

work="$(mktemp -d)"
podman_pid=""
cleanup() {
  [ -n "$podman_pid" ] && kill "$podman_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The flags this sandbox needs (see scripts/image.sh), as podman's
# configuration, for the containers act asks the API for.
cat > "$work/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
events_logger = "file"
CONF
export CONTAINERS_CONF="$work/containers.conf"
podman system service --time=0 "unix://$work/podman.sock" &
podman_pid=$!
for _ in $(seq 100); do [ -S "$work/podman.sock" ] && break; sleep 0.1; done
export DOCKER_HOST="unix://$work/podman.sock"

image="$(sed -nE 's#^  image: docker://(.*)$#\1#p' action.yml)"
podman tag localhost/tcr-promote:dev "$image"

echo "== job image"
root="$work/job/root"
mkdir -p "$root/usr/local/bin"
cp testdata/act/job/Containerfile "$work/job/"
cp testdata/act/job/gh "$root/usr/local/bin/gh"
# bash (act runs steps with bash -e) and curl (the composite action
# downloads with it), with the libraries they link, from this machine.
command -v curl >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; }
for f in /bin/bash /usr/bin/curl $(ldd /bin/bash /usr/bin/curl | grep -o '/[^ ]*' | grep -v ':$' | sort -u); do
  mkdir -p "$root$(dirname "$f")"
  cp -L "$f" "$root$f"
done
podman build -q -t localhost/tcr-promote-job:test "$work/job" >/dev/null

echo "== go test -tags runner"
TCR_ACT="$act" TCR_ACT_JOB_IMAGE=localhost/tcr-promote-job:test TCR_ACT_ACTION_IMAGE="$image" \
  XDG_CACHE_HOME="$work/cache" go test -tags runner -run '^TestRunnerExamples$' -count=1 -v . 2>&1 | tee "$work/test.log" | grep -E '^(=== RUN|--- |PASS|FAIL|ok|\s+runner_test)' || true
grep -q '^ok' "$work/test.log" || { cat "$work/test.log"; exit 1; }
