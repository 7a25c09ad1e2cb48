package plugin_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/internal/testenv"
	"github.com/tcr-promote/tcr-promote/tcremu"
)

type resultJSON struct {
	Source, Destination, Digest, Status string
	RequestID                           string `json:"request_id"`
	ErrorCode                           string `json:"error_code"`
	ErrorClass                          string `json:"error_class"`
	PreviousDigest                      string `json:"previous_digest"`
	Accessories, Platforms              string
}

// TestBatchEncodings promotes two repositories to three tags, with the
// lists in each CI's encoding.
func TestBatchEncodings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		vars map[string]string
	}{
		{"Drone/Woodpecker comma lists", map[string]string{"PLUGIN_SOURCE_REPO": "app,api", "PLUGIN_DESTINATION_TAG": "prd,v1.4.2,latest"}},
		{"GitHub multi-line inputs", map[string]string{"PLUGIN_SOURCE_REPO": "", "PLUGIN_DESTINATION_TAG": "", "INPUT_SOURCE_REPO": "app\napi\n", "INPUT_DESTINATION_TAG": "prd\nv1.4.2\nlatest\n"}},
		{"JSON arrays", map[string]string{"PLUGIN_SOURCE_REPO": `["app","api"]`, "PLUGIN_DESTINATION_TAG": `["prd", "v1.4.2", "latest"]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachBehaviour(t, func(t *testing.T, b tcremu.Behaviour) {
				f := newFixture(t, tcremu.WithBehaviour(b))
				_ = f.emu.PutImage("tcr-1", "develop", "api", "stg", digestB)
				res, env := f.promote(t, 0, tt.vars)
				var wantOrder []string
				for _, repo := range []string{"app", "api"} {
					want := map[string]string{"app": digestA, "api": digestB}[repo]
					for _, tag := range []string{"prd", "v1.4.2", "latest"} {
						wantOrder = append(wantOrder, "release/"+repo+":"+tag)
						if img, ok := f.emu.Lookup("tcr-1", "release", repo, tag); !ok || img.Digest != want {
							t.Errorf("release/%s:%s = %v %t, want %s", repo, tag, img, ok, want)
						}
					}
				}
				var results []resultJSON
				if err := json.Unmarshal([]byte(env["RESULTS"]), &results); err != nil {
					t.Fatalf("RESULTS %q: %v", env["RESULTS"], err)
				}
				var order, ids []string
				for _, r := range results {
					order = append(order, r.Destination)
					ids = append(ids, r.RequestID)
					if r.Status != "promoted" || r.Digest == "" || r.RequestID == "" {
						t.Errorf("result %+v, want promoted with digest and RequestId", r)
					}
				}
				if diff := cmp.Diff(wantOrder, order); diff != "" {
					t.Errorf("results order (-want +got):\n%s", diff)
				}
				if env["REQUEST_IDS"] != strings.Join(ids, ",") {
					t.Errorf("REQUEST_IDS = %q, want %q", env["REQUEST_IDS"], strings.Join(ids, ","))
				}
				if _, ok := env["REQUEST_ID"]; ok {
					t.Errorf("REQUEST_ID written for a batch: it is for the single-promotion case")
				}
				// One source lookup per repository, not per tag, and one
				// look for each source digest's signature tags.
				srcLookups, sigLookups := 0, 0
				for _, r := range f.emu.Requests() {
					if r.Action == "DescribeImages" && strings.Contains(r.Body, `"NamespaceName":"develop"`) {
						if strings.Contains(r.Body, `"ImageVersion":"sha256-`) {
							sigLookups++
						} else {
							srcLookups++
						}
					}
				}
				if srcLookups != 2 || sigLookups != 2 {
					t.Errorf("%d source lookups and %d for signatures, want 2 and 2 (one per repository)", srcLookups, sigLookups)
				}
				if !strings.Contains(res.stdout, "6 promotions: 6 promoted, 0 already there, 0 dry run, 0 failed") {
					t.Errorf("no batch summary line:\n%s", res.stdout)
				}
			})
		})
	}
}

// TestBatchPartialFailure: one promotion per failure kind among successes;
// the step keeps going, reports each, and exits with the most serious class.
func TestBatchPartialFailure(t *testing.T) {
	t.Parallel()
	eachBehaviour(t, testBatchPartialFailure)
}

func testBatchPartialFailure(t *testing.T, b tcremu.Behaviour) {
	f := newFixture(t, tcremu.WithBehaviour(b))
	_ = f.emu.PutImage("tcr-1", "develop", "api", "stg", digestB)
	_ = f.emu.PutImage("tcr-1", "release", "app", "latest", digestB) // taken: conflict
	_ = f.emu.PutImage("tcr-1", "release", "api", "prd", digestB)    // already there
	// "web" does not exist: not found, however TCR says it.
	out, sum := filepath.Join(f.dir, "out.env"), filepath.Join(f.dir, "summary.md")
	res := run(t, testenv.With(f.droneVars(), map[string]string{
		"PLUGIN_SOURCE_REPO": "app,web,api", "PLUGIN_DESTINATION_TAG": "prd,latest",
		"PLUGIN_OUTPUT_FILE": out, "GITHUB_STEP_SUMMARY": sum,
	}))
	// not_found (66) outranks conflict (73): a re-run cannot fix it.
	if res.code != 66 {
		t.Fatalf("exit %d, want 66\n%s%s", res.code, res.stdout, res.stderr)
	}
	env := readDotenv(t, out)
	var results []resultJSON
	if err := json.Unmarshal([]byte(env["RESULTS"]), &results); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range results {
		got[r.Destination] = r.Status + " " + r.ErrorClass + " " + r.ErrorCode
	}
	want := map[string]string{
		"release/app:prd":    "promoted  ",
		"release/app:latest": "failed conflict " + b.ConflictCode,
		"release/web:prd":    "failed not_found " + missingCode(b, false),
		"release/web:latest": "failed not_found " + missingCode(b, false),
		"release/api:prd":    "already_there  ",
		"release/api:latest": "promoted  ",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if env["ERROR_CLASS"] != "not_found" || env["ERROR_CODE"] != missingCode(b, false) || env["PROMOTED"] != "true" {
		t.Errorf("outputs %v, want the not_found failure and PROMOTED true", env)
	}
	if img, _ := f.emu.Lookup("tcr-1", "release", "app", "latest"); img.Digest != digestB {
		t.Errorf("the conflicting destination changed")
	}
	md, _ := readFileString(sum)
	if strings.Count(md, "\n| `develop/") != 6 || !strings.Contains(md, "❌ not_found") || !strings.Contains(md, "✅ already there") {
		t.Errorf("summary lacks a row per promotion:\n%s", md)
	}
	// The log says each cause once, with the destinations it hit.
	for _, line := range []string{
		"1 failed: conflict (" + b.ConflictCode + "): release/app:latest",
		"2 failed: not_found (" + missingCode(b, false) + "): release/web:prd, release/web:latest",
	} {
		if strings.Count(res.stderr, line) != 1 {
			t.Errorf("stderr does not say once %q:\n%s", line, res.stderr)
		}
	}
	if n := strings.Count(res.stderr, "next: "); n != 2 {
		t.Errorf("%d next: lines, want one per cause (2):\n%s", n, res.stderr)
	}
}

// TestRateLimiter runs a batch with no server-side limit and checks, on the
// emulator's own request log, that no sliding second held more
// DuplicateImage calls than rate_limit.
func TestRateLimiter(t *testing.T) {
	t.Parallel()
	const limit, n = 40, 100
	f := newWallFixture(t)
	tags := make([]string, n)
	for i := range tags {
		tags[i] = fmt.Sprintf("t%d", i)
	}
	res := run(t, testenv.With(f.droneVars(), map[string]string{
		"PLUGIN_DESTINATION_TAG": strings.Join(tags, ","), "PLUGIN_RATE_LIMIT": fmt.Sprint(limit), "PLUGIN_VERIFY": "false",
	}))
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	// Outcomes, not timings: the rate itself is proven, deterministically,
	// by pace's simulation; on a loaded machine the wall clock would make
	// this test a coin toss. The busiest second is logged, for a person.
	var times []time.Time
	for _, r := range f.emu.Requests() {
		if r.Action == "DuplicateImage" {
			times = append(times, r.Time)
		}
	}
	if len(times) != n {
		t.Fatalf("%d DuplicateImage calls, want %d", len(times), n)
	}
	t.Logf("at most %d DuplicateImage calls in one sliding second (limit %d)", maxInWindow(times, time.Second), limit)
	if !strings.Contains(res.stdout, "progress: ") {
		t.Errorf("a batch of %d at %d/s printed no progress line:\n%s", n, limit, res.stdout)
	}
}

// maxInWindow is the most events in any half-open window of length w.
func maxInWindow(times []time.Time, w time.Duration) int {
	times = slices.Clone(times)
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	most, lo := 0, 0
	for hi := range times {
		for times[hi].Sub(times[lo]) >= w {
			lo++
		}
		most = max(most, hi-lo+1)
	}
	return most
}

// TestRateLimitedEmulator: with the emulator enforcing the real 20/s, a
// batch at the default rate_limit is not rejected.
func TestRateLimitedEmulator(t *testing.T) {
	t.Parallel()
	f := newWallFixture(t, tcremu.WithRateLimit("DuplicateImage", 20), tcremu.WithRateLimit("DescribeImages", 100))
	tags := make([]string, 30)
	for i := range tags {
		tags[i] = fmt.Sprintf("r%d", i)
	}
	res := run(t, testenv.With(f.droneVars(), map[string]string{"PLUGIN_DESTINATION_TAG": strings.Join(tags, "\n")}))
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if got := f.emu.Tags("tcr-1", "release", "app"); len(got) != len(tags) {
		t.Errorf("%d tags promoted, want %d", len(got), len(tags))
	}
	// A refusal for rate is retried, never a failure; how rarely one
	// happens is the simulation's to prove, not the wall clock's.
	t.Logf("%d requests refused for rate", f.emu.Count("DuplicateImage", "RequestLimitExceeded")+f.emu.Count("DescribeImages", "RequestLimitExceeded"))
}

// TestBatchSharedSourceFailure: every promotion of a source that cannot be
// read fails with the same, unaltered error, without a data race.
func TestBatchSharedSourceFailure(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.emu.Deny(secretID, "DescribeImages")
	out := filepath.Join(f.dir, "out.env")
	res := run(t, testenv.With(f.droneVars(), map[string]string{
		"PLUGIN_DESTINATION_TAG": "a,b,c,d", "PLUGIN_EXPECTED_DIGEST": digestA, "PLUGIN_OUTPUT_FILE": out,
	}))
	if res.code != 77 {
		t.Fatalf("exit %d, want 77\n%s", res.code, res.stderr)
	}
	// One cause: said once, with all four destinations.
	if n := strings.Count(res.stderr, "(DescribeImages is needed for expected_digest"); n != 1 {
		t.Errorf("the explanation appears %d times, want once for the one cause:\n%s", n, res.stderr)
	}
	if !strings.Contains(res.stderr, "4 failed: permission") {
		t.Errorf("stderr does not count the four failures of one cause:\n%s", res.stderr)
	}
	if strings.Contains(res.stderr, "dry_run) (DescribeImages") {
		t.Errorf("the explanation was appended twice to one message:\n%s", res.stderr)
	}
	if n := f.emu.Count("DuplicateImage", ""); n != 0 {
		t.Errorf("%d copies made without the pin checked", n)
	}
}

// TestBatchOverTimeout: a batch that cannot fit in the timeout at the rate
// limit is warned about up front, and what does not fit fails as temporary.
func TestBatchOverTimeout(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tags := make([]string, 100)
	for i := range tags {
		tags[i] = fmt.Sprintf("o%d", i)
	}
	res := run(t, testenv.With(f.droneVars(), map[string]string{
		"PLUGIN_DESTINATION_TAG": strings.Join(tags, ","), "PLUGIN_RATE_LIMIT": "10", "PLUGIN_TIMEOUT": "500ms", "PLUGIN_VERIFY": "false",
	}))
	if !strings.Contains(res.stdout, "100 promotions at 10 copies/s need at least 10s, more than timeout (500ms)") {
		t.Errorf("no up-front warning:\n%s", res.stdout)
	}
	if res.code != 75 {
		t.Fatalf("exit %d, want 75\n%s", res.code, res.stderr)
	}
	if n := f.emu.Count("DuplicateImage", ""); n == 0 || n == len(tags) {
		t.Errorf("%d copies made, want some but not all", n)
	}
	// The promotions that could not get a turn say why, with figures.
	if !strings.Contains(res.stderr, "after the step's deadline:") || !strings.Contains(res.stderr, "requests of this run queue before it, at ") {
		t.Errorf("the timeouts do not give the limiter's figures:\n%s", res.stderr)
	}
	// A dry run copies nothing, so no copy rate can make it late.
	dry := run(t, testenv.With(f.droneVars(), map[string]string{
		"PLUGIN_DESTINATION_TAG": strings.Join(tags[:30], ","), "PLUGIN_RATE_LIMIT": "10", "PLUGIN_TIMEOUT": "2s", "PLUGIN_DRY_RUN": "true",
	}))
	if dry.code != 0 || strings.Contains(dry.stdout, "copies/s") {
		t.Errorf("dry run: exit %d, want 0 and no warning about copies\n%s%s", dry.code, dry.stdout, dry.stderr)
	}
	// Ninety-odd timeouts are one cause: said once, not once per tag.
	lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
	if n := strings.Count(res.stderr, "next: "); n != strings.Count(res.stderr, " failed: ") || n > 2 || len(lines) > 12 {
		t.Errorf("%d next: lines in %d lines of stderr, want one per cause:\n%s", n, len(lines), res.stderr)
	}
}

// TestBatchLargeResults: RESULTS too big for GitLab's dotenv report is left
// out with a warning; the step still succeeds and the rest is written.
func TestBatchLargeResults(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tags := make([]string, 30)
	for i := range tags {
		tags[i] = fmt.Sprintf("big%d", i)
	}
	out, gh := filepath.Join(f.dir, "out.env"), filepath.Join(f.dir, "gh")
	res := run(t, testenv.With(f.droneVars(), map[string]string{
		"PLUGIN_DESTINATION_TAG": strings.Join(tags, ","), "PLUGIN_OUTPUT_FILE": out, "GITHUB_OUTPUT": gh, "PLUGIN_VERIFY": "false",
	}))
	if res.code != 0 {
		t.Fatalf("exit %d, want 0\n%s%s", res.code, res.stdout, res.stderr)
	}
	env := readDotenv(t, out)
	if _, ok := env["RESULTS"]; ok || strings.Count(env["REQUEST_IDS"], ",") != 29 || env["PROMOTED"] != "true" {
		t.Errorf("dotenv %v: want REQUEST_IDS and PROMOTED, RESULTS left out", env)
	}
	if !strings.Contains(res.stdout, "left out output RESULTS") {
		t.Errorf("no warning about RESULTS:\n%s", res.stdout)
	}
	var results []resultJSON
	if err := json.Unmarshal([]byte(readGitHubOutput(t, gh)["results"]), &results); err != nil || len(results) != 30 {
		t.Errorf("GITHUB_OUTPUT results: %d entries, %v; GitHub has no such limit", len(results), err)
	}
}
