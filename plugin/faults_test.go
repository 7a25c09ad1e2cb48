package plugin_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tcr-promote/tcr-promote/internal/testenv"
	"github.com/tcr-promote/tcr-promote/tcremu"
)

// TestFaultMatrix runs promotions through the faults a network, a proxy and
// the API produce, and checks the exit code and the emulator's final state.
func TestFaultMatrix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		faults     []tcremu.Fault
		vars       map[string]string
		existing   string // digest already at release/app:prd
		code       int
		errCode    string
		wantDigest string // at release/app:prd afterwards; "" = absent
		duplicates int    // DuplicateImage requests sent
		// lost: the copy happened and its answer was lost; the step finds
		// it in place and sends no second copy (under a lagging index the
		// read may not show it yet: then one second copy, which is safe).
		lost bool
	}{
		{name: "rate-limited ×3", faults: []tcremu.Fault{{Action: "DuplicateImage", Code: "RequestLimitExceeded", Times: 3}},
			code: 0, wantDigest: digestA, duplicates: 4},
		{name: "InternalError ×2", faults: []tcremu.Fault{{Action: "DuplicateImage", Code: "InternalError.DbError", Times: 2}},
			code: 0, wantDigest: digestA, duplicates: 3},
		{name: "dropped connection", faults: []tcremu.Fault{{Action: "DuplicateImage", Drop: true, Times: 1}},
			code: 0, wantDigest: digestA, duplicates: 2},
		{name: "applied then dropped, override false", faults: []tcremu.Fault{{Action: "DuplicateImage", Drop: true, AfterApply: true, Times: 1}},
			code: 0, wantDigest: digestA, duplicates: 1, lost: true},
		{name: "applied then dropped, override true", faults: []tcremu.Fault{{Action: "DuplicateImage", Drop: true, AfterApply: true, Times: 1}},
			vars: map[string]string{"PLUGIN_OVERRIDE": "true"}, code: 0, wantDigest: digestA, duplicates: 1, lost: true},
		{name: "HTML 502 from a proxy", faults: []tcremu.Fault{{Action: "DuplicateImage", Status: 502, Body: "<html><body><h1>502 Bad Gateway</h1></body></html>", Times: 1}},
			code: 0, wantDigest: digestA, duplicates: 2},
		{name: "3 s slow answer", faults: []tcremu.Fault{{Action: "DuplicateImage", Delay: 3 * time.Second, Times: 1}},
			vars: map[string]string{"PLUGIN_ATTEMPT_TIMEOUT": "200ms"}, code: 0, wantDigest: digestA, duplicates: 2},
		{name: "persistent InternalError", faults: []tcremu.Fault{{Action: "DuplicateImage", Code: "InternalError"}},
			code: 75, errCode: "InternalError", duplicates: 6},
		{name: "rate-limited ×3, no retries: refusals are not retries", faults: []tcremu.Fault{{Action: "DuplicateImage", Code: "RequestLimitExceeded", Times: 3}},
			vars: map[string]string{"PLUGIN_RETRIES": "0"}, code: 0, wantDigest: digestA, duplicates: 4},
		{name: "deadline exceeded", faults: []tcremu.Fault{{Action: "DuplicateImage", Delay: 3 * time.Second}},
			vars: map[string]string{"PLUGIN_TIMEOUT": "300ms"}, code: 75, errCode: "ClientError.Timeout", duplicates: 1},
		{name: "re-run, destination already at the source's digest", existing: digestA,
			code: 0, wantDigest: digestA, duplicates: 0},
		{name: "re-run without verify, destination already at the source's digest", existing: digestA,
			vars: map[string]string{"PLUGIN_VERIFY": "false"}, code: 0, wantDigest: digestA, duplicates: 1},
		{name: "re-run, destination elsewhere", existing: digestB,
			code: 73, errCode: conflictCode, wantDigest: digestB, duplicates: 1},
		{name: "auth failure is not retried", vars: map[string]string{"PLUGIN_SECRET_KEY": "wrong"},
			code: 77, errCode: "AuthFailure.SignatureFailure", duplicates: 1},
		{name: "not found is not retried", vars: map[string]string{"PLUGIN_DESTINATION_NAMESPACE": "qa"},
			code: 66, errCode: "ResourceNotFound.TcrResourceNotFound", duplicates: 1},
		{name: "invalid is not retried", faults: []tcremu.Fault{{Action: "DuplicateImage", Code: "InvalidParameter"}},
			code: 65, errCode: "InvalidParameter", duplicates: 1},
		{name: "non-JSON 404 is not retried", faults: []tcremu.Fault{{Action: "DuplicateImage", Status: 404, Body: "not here"}},
			code: 1, errCode: "ClientError.ParseJsonError", duplicates: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachBehaviour(t, func(t *testing.T, b tcremu.Behaviour) {
				f := newFixture(t, tcremu.WithBehaviour(b))
				wantCode := tt.errCode
				if wantCode == conflictCode {
					wantCode = b.ConflictCode
				}
				if tt.existing != "" {
					if err := f.emu.PutImage("tcr-1", "release", "app", "prd", tt.existing); err != nil {
						t.Fatal(err)
					}
				}
				for _, fault := range tt.faults {
					f.emu.Inject(fault)
				}
				start := time.Now()
				_, env := f.promote(t, tt.code, tt.vars)
				elapsed := time.Since(start)
				img, ok := f.emu.Lookup("tcr-1", "release", "app", "prd")
				if got := map[bool]string{true: img.Digest}[ok]; got != tt.wantDigest {
					t.Errorf("release/app:prd = %q, want %q", got, tt.wantDigest)
				}
				duplicates, lostID := tt.duplicates, tt.lost
				if tt.lost && b.IndexLag > 0 {
					duplicates, lostID = 2, false
				}
				if n := f.emu.Count("DuplicateImage", ""); n != duplicates {
					t.Errorf("DuplicateImage sent %d times, want %d", n, duplicates)
				}
				if env["ERROR_CODE"] != wantCode {
					t.Errorf("ERROR_CODE = %q, want %q", env["ERROR_CODE"], wantCode)
				}
				// The RequestId reported is the last DuplicateImage answer's
				// (empty when the last answer never came or came from a proxy).
				last := f.emu.Requests()
				var lastDup tcremu.Entry
				for _, r := range last {
					if r.Action == "DuplicateImage" {
						lastDup = r
					}
				}
				if lostID {
					lastDup.RequestID = "" // the only answer was lost
				}
				if tt.errCode != "ClientError.Timeout" && tt.errCode != "ClientError.ParseJsonError" && env["REQUEST_ID"] != lastDup.RequestID {
					t.Errorf("REQUEST_ID = %q, want the last DuplicateImage's %q", env["REQUEST_ID"], lastDup.RequestID)
				}
				if tt.code == 75 && elapsed > 10*time.Second {
					// Not a timing assertion on speed: a 75 must come from
					// the step's own deadline, far below the test's.
					t.Errorf("gave up after %s", elapsed)
				}
			})
		})
	}
}

// conflictCode stands for the behaviour's own conflict code in a table.
const conflictCode = "(the behaviour's conflict code)"

// TestConflictCheckForbidden: DescribeImages is not allowed, so an existing
// destination cannot be compared; the step says so and reports a conflict.
func TestConflictCheckForbidden(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_ = f.emu.PutImage("tcr-1", "release", "app", "prd", digestB)
	f.emu.Deny(secretID, "DescribeImages")
	res := run(t, f.droneVars())
	if res.code != 73 {
		t.Fatalf("exit %d, want 73\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{"warning: cannot verify: DescribeImages: AuthFailure.UnauthorizedOperation", "DescribeImages is not permitted"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("no warning %q:\n%s", want, res.stdout)
		}
	}
	// The first lookups overlap, so compare the calls made, not their
	// order. The registry's token is asked for at the start, beside them,
	// as the run may carry referrers.
	if diff := cmp.Diff([]string{"CreateInstanceToken", "DescribeImageManifests", "DescribeImages", "DescribeImages", "DescribeImages", "DescribeInstances", "DuplicateImage"}, actions(f.emu.Requests()), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func actions(entries []tcremu.Entry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Action)
	}
	return out
}

// TestCancelled: SIGTERM (a cancelled pipeline) stops a slow call at once;
// the step still reports and writes its outputs.
func TestCancelled(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.emu.Inject(tcremu.Fault{Action: "DuplicateImage", Delay: time.Minute})
	f.emu.OnRequest("DuplicateImage", func(int) { cancel() })
	out := filepath.Join(f.dir, "out.env")
	if res := runCtx(t, ctx, testenv.With(f.droneVars(), map[string]string{"PLUGIN_OUTPUT_FILE": out}), nil); res.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", res.code, res.stderr)
	}
	if env := readDotenv(t, out); env["ERROR_CODE"] != "ClientError.Canceled" {
		t.Errorf("outputs %v, want ERROR_CODE ClientError.Canceled", env)
	}
	if n := f.emu.Count("DuplicateImage", ""); n != 1 {
		t.Errorf("%d DuplicateImage calls, want 1: a cancelled step does not retry", n)
	}
}

// TestCancelledWhileQueued: a promotion still waiting for its turn under
// the rate limit when the step is cancelled reports a cancellation, not a
// timeout.
func TestCancelledWhileQueued(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.emu.OnRequest("DuplicateImage", func(n int) {
		if n == 1 {
			cancel() // the other copies are queued behind the 1/s limit
		}
	})
	out := filepath.Join(f.dir, "out.env")
	res := runCtx(t, ctx, testenv.With(f.droneVars(), map[string]string{
		"PLUGIN_OUTPUT_FILE": out, "PLUGIN_DESTINATION_TAG": "a,b,c", "PLUGIN_RATE_LIMIT": "1", "PLUGIN_VERIFY": "false",
	}), nil)
	if res.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", res.code, res.stderr)
	}
	if strings.Contains(readDotenv(t, out)["RESULTS"], "ClientError.Timeout") {
		t.Errorf("a queued promotion was reported as a timeout: %s", readDotenv(t, out)["RESULTS"])
	}
}

// TestPersistentThrottling: refusals for rate are sent again, slower and
// slower, until the step's deadline — not until retries runs out — and the
// step then exits 75 with the last refusal and its RequestId.
func TestPersistentThrottling(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.emu.Inject(tcremu.Fault{Action: "DuplicateImage", Code: "RequestLimitExceeded"})
	res, env := f.promote(t, 75, map[string]string{"PLUGIN_VERIFY": "false", "PLUGIN_RETRIES": "0", "PLUGIN_TIMEOUT": "4s"})
	if env["ERROR_CODE"] != "RequestLimitExceeded" || env["REQUEST_ID"] != f.lastRequestID("DuplicateImage") {
		t.Errorf("outputs %v, want the last refusal and its RequestId", env)
	}
	sent := f.emu.Count("DuplicateImage", "")
	if sent < 2 {
		t.Errorf("%d DuplicateImage calls: refusals were counted against retries (0)", sent)
	}
	cuts := strings.Count(res.stdout, "DuplicateImage: throttled by TCR, slowing to")
	if cuts == 0 || cuts > sent {
		t.Errorf("%d lines about slowing down for %d refusals: want one per change of pace", cuts, sent)
	}
	if !strings.Contains(res.stdout, fmt.Sprintf("%d requests refused by TCR's rate limit", sent)) {
		t.Errorf("no count of refusals at the end:\n%s", res.stdout)
	}
	if strings.Contains(res.stdout, "retry 1 of") {
		t.Errorf("a resend after a refusal was logged as a retry:\n%s", res.stdout)
	}
}
