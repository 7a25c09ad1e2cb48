package plugin_test

import (
	"cmp"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/internal/testenv"
	"github.com/tcr-promote/tcr-promote/tcremu"
)

// TestCIStyles promotes through each CI's way of passing settings and
// reading outputs.
func TestCIStyles(t *testing.T) {
	t.Parallel()
	// github turns Drone-style settings into GitHub's: INPUT_ names (with
	// hyphens when asked) and every declared input present, empty if unset.
	github := func(vars map[string]string, hyphens bool, dir string) map[string]string {
		out := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": filepath.Join(dir, "github_output")}
		for k, v := range vars {
			name := strings.TrimPrefix(k, "PLUGIN_")
			if hyphens {
				name = strings.ReplaceAll(name, "_", "-")
			}
			out["INPUT_"+name] = v
		}
		out["INPUT_OVERRIDE"], out["INPUT_OUTPUT_FILE"], out["INPUT_DESTINATION_REPO"] = "", "", ""
		return out
	}
	tests := []struct {
		name  string
		vars  func(f *fixture) map[string]string
		read  func(t *testing.T, f *fixture) map[string]string
		upper bool
	}{
		{
			name: "Drone plugin with output_file",
			vars: func(f *fixture) map[string]string {
				return testenv.With(f.droneVars(), map[string]string{"PLUGIN_OUTPUT_FILE": filepath.Join(f.dir, "out.env")})
			},
			read: func(t *testing.T, f *fixture) map[string]string {
				return readDotenv(t, filepath.Join(f.dir, "out.env"))
			},
			upper: true,
		},
		{
			name: "Harness DRONE_OUTPUT",
			vars: func(f *fixture) map[string]string {
				return testenv.With(f.droneVars(), map[string]string{"DRONE_OUTPUT": filepath.Join(f.dir, "drone.env")})
			},
			read: func(t *testing.T, f *fixture) map[string]string {
				return readDotenv(t, filepath.Join(f.dir, "drone.env"))
			},
			upper: true,
		},
		{
			name: "GitHub inputs with underscores",
			vars: func(f *fixture) map[string]string { return github(f.droneVars(), false, f.dir) },
			read: func(t *testing.T, f *fixture) map[string]string {
				return readGitHubOutput(t, filepath.Join(f.dir, "github_output"))
			},
		},
		{
			name: "GitHub inputs with hyphens",
			vars: func(f *fixture) map[string]string { return github(f.droneVars(), true, f.dir) },
			read: func(t *testing.T, f *fixture) map[string]string {
				return readGitHubOutput(t, filepath.Join(f.dir, "github_output"))
			},
		},
		{
			name: "GitLab job with TENCENTCLOUD_ variables",
			vars: func(f *fixture) map[string]string {
				return testenv.With(f.droneVars(), map[string]string{
					"PLUGIN_SECRET_ID": "", "PLUGIN_SECRET_KEY": "", "PLUGIN_REGION": "",
					"TENCENTCLOUD_SECRET_ID": secretID, "TENCENTCLOUD_SECRET_KEY": secretKey, "TENCENTCLOUD_REGION": "ap-guangzhou",
					"PLUGIN_OUTPUT_FILE": filepath.Join(f.dir, "gitlab.env"),
				})
			},
			read: func(t *testing.T, f *fixture) map[string]string {
				return readDotenv(t, filepath.Join(f.dir, "gitlab.env"))
			},
			upper: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachBehaviour(t, func(t *testing.T, b tcremu.Behaviour) {
				f := newFixture(t, tcremu.WithBehaviour(b))
				res := run(t, tt.vars(f))
				if res.code != 0 {
					t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
				}
				img, ok := f.emu.Lookup("tcr-1", "release", "app", "prd")
				if !ok || img.Digest != digestA {
					t.Errorf("release/app:prd = %v %v, want %s", img, ok, digestA)
				}
				id := f.lastRequestID("DuplicateImage")
				want := map[string]string{
					"request_id": id, "digest": digestA, "promoted": "true",
					"image": "acme.tencentcloudcr.com/release/app:prd@" + digestA, "request_ids": id,
					"results":     `[{"source":"develop/app:stg","destination":"release/app:prd","digest":"` + digestA + `","previous_digest":"","accessories":"","platforms":"linux/amd64","via":"duplicate","change":"create","request_id":"` + id + `","status":"promoted","error_code":"","error_class":""}]`,
					"accessories": "", "platforms": "linux/amd64",
				}
				if tt.upper {
					want = upperKeys(want)
				}
				if diff := gocmp.Diff(want, tt.read(t, f)); diff != "" {
					t.Errorf("outputs (-want +got):\n%s", diff)
				}
				if !strings.Contains(res.stdout, human("promoted develop/app:stg → release/app:prd in tcr-1 ("+digestA+", RequestId "+f.lastRequestID("DuplicateImage")+")")) {
					t.Errorf("stdout lacks the promotion line:\n%s", res.stdout)
				}
				if n := f.emu.Count("DuplicateImage", ""); n != 1 {
					t.Errorf("DuplicateImage sent %d times, want 1", n)
				}
				for _, r := range f.emu.Requests() {
					if r.Language != "en-US" {
						t.Errorf("%s sent X-TC-Language %q, want en-US", r.Action, r.Language)
					}
				}
			})
		})
	}
}

// TestExitCodes drives every failure class end to end and checks the exit
// code, the outputs, and that the RequestId of the failed call is reported.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		setup    func(f *fixture)
		vars     map[string]string
		opts     []tcremu.Option
		code     int
		class    string
		errCode  string
		noSend   bool
		noAnswer bool // no API answer, so no RequestId
		unchange bool // release/app:prd must not exist afterwards
	}{
		{name: "promoted", code: 0},
		{name: "FailedOperation", setup: func(f *fixture) { f.emu.Inject(tcremu.Fault{Code: "FailedOperation", Times: 1}) }, code: 1, class: "unexpected", errCode: "FailedOperation", unchange: true},
		{name: "non-JSON 403 from a proxy", setup: func(f *fixture) {
			f.emu.Inject(tcremu.Fault{Status: 403, Body: "<html>Forbidden</html>", Times: 1})
		}, code: 1, class: "unexpected", errCode: "ClientError.ParseJsonError", unchange: true, noAnswer: true},
		{name: "missing setting", vars: map[string]string{"PLUGIN_REGISTRY_ID": ""}, code: 64, class: "usage", errCode: "ClientError.InvalidSettings", noSend: true, unchange: true},
		{name: "invalid parameter", setup: func(f *fixture) {
			f.emu.Inject(tcremu.Fault{Code: "InvalidParameter.ErrorTcrInvalidParameter", Times: 1})
		}, code: 65, class: "invalid", errCode: "InvalidParameter.ErrorTcrInvalidParameter", unchange: true},
		{name: "unknown parameter", setup: func(f *fixture) { f.emu.Inject(tcremu.Fault{Code: "UnknownParameter", Times: 1}) }, code: 65, class: "invalid", errCode: "UnknownParameter", unchange: true},
		{name: "source tag not found", vars: map[string]string{"PLUGIN_SOURCE_REFERENCE": "nope"}, code: 66, class: "not_found", errCode: "ResourceNotFound.TcrResourceNotFound", unchange: true},
		{name: "destination namespace not found", vars: map[string]string{"PLUGIN_DESTINATION_NAMESPACE": "qa"}, code: 66, class: "not_found", errCode: "ResourceNotFound.TcrResourceNotFound", unchange: true},
		{name: "instance in another region", vars: map[string]string{"PLUGIN_REGION": "ap-shanghai"}, code: 66, class: "not_found", errCode: "ResourceNotFound", unchange: true},
		{name: "unsupported operation", setup: func(f *fixture) { f.emu.Inject(tcremu.Fault{Code: "UnsupportedOperation", Times: 1}) }, code: 69, class: "unavailable", errCode: "UnsupportedOperation", unchange: true},
		{name: "conflict", setup: func(f *fixture) { _ = f.emu.PutImage("tcr-1", "release", "app", "prd", digestB) }, code: 73, class: "conflict", errCode: conflictCode},
		{name: "conflict as InternalError.ErrorTcrResourceConflict", opts: []tcremu.Option{tcremu.WithConflictCode("InternalError.ErrorTcrResourceConflict")},
			setup: func(f *fixture) { _ = f.emu.PutImage("tcr-1", "release", "app", "prd", digestB) }, code: 73, class: "conflict", errCode: "InternalError.ErrorTcrResourceConflict"},
		{name: "immutable destination", vars: map[string]string{"PLUGIN_OVERRIDE": "true"}, setup: func(f *fixture) {
			_ = f.emu.PutImage("tcr-1", "release", "app", "prd", digestB)
			_ = f.emu.SetImmutableRule("tcr-1", tcremu.ImmutableRule{Namespace: "release", RepositoryPattern: "**", TagPattern: "prd"})
		}, code: 73, class: "conflict", errCode: "FailedOperation.PreconditionFailed"},
		{name: "quota", setup: func(f *fixture) { f.emu.Inject(tcremu.Fault{Code: "LimitExceeded.ErrRepoMaxLimit", Times: 1}) }, code: 69, class: "unavailable", errCode: "LimitExceeded.ErrRepoMaxLimit", unchange: true},
		{name: "instance not running", setup: func(f *fixture) {
			f.emu.Inject(tcremu.Fault{Code: "ResourceInsufficient.ErrorInstanceNotRunning", Times: 1})
		}, code: 69, class: "unavailable", errCode: "ResourceInsufficient.ErrorInstanceNotRunning", unchange: true},
		{name: "quota over limit", setup: func(f *fixture) { f.emu.Inject(tcremu.Fault{Code: "OperationDenied.QuotaOverLimit", Times: 1}) }, code: 69, class: "unavailable", errCode: "OperationDenied.QuotaOverLimit", unchange: true},
		{name: "conflict as FailedOperation.ErrorTcrResourceConflict", setup: func(f *fixture) {
			f.emu.Inject(tcremu.Fault{Code: "FailedOperation.ErrorTcrResourceConflict", Times: 1})
			_ = f.emu.PutImage("tcr-1", "release", "app", "prd", digestB)
		}, code: 73, class: "conflict", errCode: "FailedOperation.ErrorTcrResourceConflict"},
		{name: "unknown InternalError is not retried", setup: func(f *fixture) { f.emu.Inject(tcremu.Fault{Code: "InternalError.ErrorTcrInvalidMediaType"}) }, code: 1, class: "unexpected", errCode: "InternalError.ErrorTcrInvalidMediaType", unchange: true},
		{name: "persistent InternalError", setup: func(f *fixture) { f.emu.Inject(tcremu.Fault{Action: "DuplicateImage", Code: "InternalError"}) }, code: 75, class: "temporary", errCode: "InternalError", unchange: true},
		{name: "wrong secret key", vars: map[string]string{"PLUGIN_SECRET_KEY": "wrong"}, code: 77, class: "permission", errCode: "AuthFailure.SignatureFailure", unchange: true},
		{name: "denied by CAM", setup: func(f *fixture) { f.emu.Deny(secretID, "DuplicateImage") }, code: 77, class: "permission", errCode: "AuthFailure.UnauthorizedOperation", unchange: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachBehaviour(t, func(t *testing.T, b tcremu.Behaviour) {
				f := newFixture(t, append([]tcremu.Option{tcremu.WithBehaviour(b)}, tt.opts...)...)
				if tt.setup != nil {
					tt.setup(f)
				}
				errCode := tt.errCode
				if errCode == conflictCode {
					errCode = b.ConflictCode
				}
				out := filepath.Join(f.dir, "out.env")
				gh := filepath.Join(f.dir, "github_output")
				// verify: false isolates the DuplicateImage answer's mapping;
				// the verified flow has its own tests.
				res := run(t, testenv.With(testenv.With(f.droneVars(), map[string]string{"PLUGIN_OUTPUT_FILE": out, "GITHUB_OUTPUT": gh, "PLUGIN_VERIFY": "false"}), tt.vars))
				if res.code != tt.code {
					t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", res.code, tt.code, res.stdout, res.stderr)
				}
				want := map[string]string{"REQUEST_ID": f.lastRequestID("DuplicateImage"), "PROMOTED": fmt.Sprint(tt.code == 0)}
				if tt.noAnswer {
					want["REQUEST_ID"] = "" // the proxy answered, not the API
				}
				got := readDotenv(t, out)
				if tt.code != 64 && got["REQUEST_IDS"] != want["REQUEST_ID"] {
					t.Errorf("REQUEST_IDS = %q, want %q", got["REQUEST_IDS"], want["REQUEST_ID"])
				}
				delete(got, "REQUEST_IDS")
				delete(got, "RESULTS")
				if tt.code != 0 {
					want["ERROR_CODE"], want["ERROR_CLASS"] = errCode, tt.class
				}
				if diff := gocmp.Diff(want, got); diff != "" {
					t.Errorf("output_file (-want +got):\n%s", diff)
				}
				ghWant := map[string]string{}
				for k, v := range want {
					ghWant[strings.ToLower(k)] = v
				}
				ghGot := readGitHubOutput(t, gh)
				delete(ghGot, "request_ids")
				delete(ghGot, "results")
				if diff := gocmp.Diff(ghWant, ghGot); diff != "" {
					t.Errorf("GITHUB_OUTPUT (-want +got):\n%s", diff)
				}
				if tt.noSend && len(f.emu.Requests()) != 0 {
					t.Errorf("sent %d requests, want none", len(f.emu.Requests()))
				}
				if tt.code != 0 && tt.code != 64 {
					if !strings.Contains(res.stderr, "RequestId: "+cmp.Or(want["REQUEST_ID"], "none")) || !strings.Contains(res.stderr, "next: ") || !strings.Contains(res.stderr, errCode) {
						t.Errorf("stderr lacks the code, RequestId or next step:\n%s", res.stderr)
					}
				}
				if _, ok := f.emu.Lookup("tcr-1", "release", "app", "prd"); tt.unchange && ok {
					t.Errorf("release/app:prd exists after a failed promotion")
				}
				if n := f.emu.Count("DuplicateImage", ""); tt.code != 64 && tt.code != 75 && n != 1 {
					t.Errorf("DuplicateImage sent %d times, want once: a %s failure is not retried", n, tt.class)
				}
			})
		})
	}
}

func upperKeys(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[strings.ToUpper(k)] = v
	}
	return out
}
