package plugin_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"
	"github.com/tcr-promote/tcr-promote/internal/runnerfiles"
	"github.com/tcr-promote/tcr-promote/internal/testenv"
	"github.com/tcr-promote/tcr-promote/plugin"
	"github.com/tcr-promote/tcr-promote/tcremu"
	"github.com/tcr-promote/tcr-promote/tcremu/wire"
)

// The step under a hostile network: every byte of an answer is untrusted,
// and a proxy or middlebox may answer anything. Each test below plays one
// class of answer through the emulator (tcremu.Fault) and checks that the
// step stays right: no crash, no clobbered tag, no leaked token, no forged
// output, and a message that keeps the cause.

const codeBadAnswer = "ClientError.BadAnswer"

// TestEmptyAnswers: an answer whose Response is missing or null, to every
// action the step calls, is a classified failure with outputs written —
// never a panic.
func TestEmptyAnswers(t *testing.T) {
	t.Parallel()
	// Each scenario is a change to the fixture's settings; an empty value
	// unsets one.
	refs := func(src, dst string) map[string]string {
		return map[string]string{
			"PLUGIN_REGISTRY_ID": "", "PLUGIN_REGION": "", "PLUGIN_SOURCE_NAMESPACE": "", "PLUGIN_SOURCE_REPO": "", "PLUGIN_SOURCE_REFERENCE": "",
			"PLUGIN_DESTINATION_TAG": "", "PLUGIN_DESTINATION_NAMESPACE": "", "PLUGIN_SOURCE_IMAGE": src, "PLUGIN_DESTINATION_IMAGE": dst,
		}
	}
	keyless := func(f *fixture) map[string]string {
		return map[string]string{"PLUGIN_SECRET_ID": "", "PLUGIN_SECRET_KEY": "", "PLUGIN_ROLE_ARN": roleArn, "PLUGIN_PROVIDER_ID": providerID,
			"PLUGIN_STS_ENDPOINT": f.srv.URL, "PLUGIN_WEB_IDENTITY_TOKEN": "jwt"}
	}
	enterprise := func(*fixture) map[string]string {
		return refs("acme.tencentcloudcr.com/develop/app:stg", "release/app:prd")
	}
	personal := func(f *fixture) map[string]string {
		f.emu.PutPersonalImage("ap-hongkong", "develop", "app", "stg", digestA)
		return refs("hkccr.ccs.tencentyun.com/develop/app:stg", "develop/app:prd")
	}
	plain := func(*fixture) map[string]string { return nil }
	overwrite := func(f *fixture) map[string]string {
		_ = f.emu.PutImage("tcr-1", "release", "app", "prd", digestB)
		return map[string]string{"PLUGIN_OVERRIDE": "true", "PLUGIN_DESTINATION_NAMESPACE": "release"}
	}
	dryRun := func(*fixture) map[string]string { return map[string]string{"PLUGIN_DRY_RUN": "true"} }
	tests := []struct {
		action string
		vars   func(*fixture) map[string]string
		code   int
		errors string // ERROR_CODE; "" with code 0
	}{
		{"DuplicateImage", plain, 1, codeBadAnswer},
		{"DescribeImages", plain, 1, codeBadAnswer},
		{"DescribeInstances", enterprise, 1, codeBadAnswer},
		{"AssumeRoleWithWebIdentity", keyless, 1, codeBadAnswer},
		{"DuplicateImagePersonal", personal, 1, codeBadAnswer},
		{"DescribeImagePersonal", personal, 1, codeBadAnswer},
		{"DescribeNamespaces", dryRun, 1, codeBadAnswer},
		// The rules only decide the advice on a refusal: unreadable, they
		// are not needed for an override that TCR accepts.
		{"DescribeImmutableTagRules", overwrite, 0, ""},
	}
	for _, tt := range tests {
		for _, body := range []string{`{}`, `{"Response":null}`, `{"Response":{}}`, `null`, ` true`, `42`} {
			t.Run(tt.action+" "+body, func(t *testing.T) {
				t.Parallel()
				f := newFixture(t, tcremu.WithWebIdentity(providerID, roleArn, "jwt"))
				vars := tt.vars(f)
				f.emu.Inject(tcremu.Fault{Action: tt.action, Status: 200, Body: body, ContentType: "application/json"})
				res, env := f.promote(t, tt.code, vars)
				if env["ERROR_CODE"] != tt.errors {
					t.Errorf("ERROR_CODE = %q, want %q\n%s", env["ERROR_CODE"], tt.errors, res.stderr)
				}
				if _, ok := env["PROMOTED"]; !ok {
					t.Errorf("no outputs written: %v", env)
				}
				noPanic(t, res)
			})
		}
	}
}

// noPanic fails if the step's last-resort recover was reached: every
// answer must be handled before it.
func noPanic(t *testing.T, res runResult) {
	t.Helper()
	if strings.Contains(res.stderr, "ClientError.Panic") || strings.Contains(res.stdout, "goroutine ") {
		t.Errorf("the last-resort recover was reached:\n%s%s", res.stdout, res.stderr)
	}
}

// TestEmptyAnswerInBatch: a null answer to the second of three copies
// fails that promotion only; the batch reports all three.
func TestEmptyAnswerInBatch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.emu.AfterRequest("DuplicateImage", func(n int) {
		if n == 1 {
			f.emu.Inject(tcremu.Fault{Action: "DuplicateImage", Status: 200, Body: `{"Response":null}`, ContentType: "application/json", Times: 1})
		}
	})
	res, env := f.promote(t, 1, map[string]string{"PLUGIN_DESTINATION_TAG": "a,b,c", "PLUGIN_DESTINATION_NAMESPACE": "release"})
	if !strings.Contains(res.stdout, "3 promotions: 2 promoted") || env["ERROR_CODE"] != codeBadAnswer || env["PROMOTED"] != "true" {
		t.Errorf("outputs %v\n%s%s", env, res.stdout, res.stderr)
	}
	noPanic(t, res)
}

// TestAnswerAppliedButGarbled: the copy was carried out and then its answer
// arrived empty, cut off or without a RequestId: the step reads the
// destination, finds the source's digest there, and reports the copy —
// without its lost RequestId, and without sending it again.
func TestAnswerAppliedButGarbled(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault tcremu.Fault
	}{
		{"null Response", tcremu.Fault{AfterApply: true, Status: 200, Body: `{"Response":null}`, ContentType: "application/json"}},
		{"cut mid-body", tcremu.Fault{Cut: true}},
		{"no RequestId", tcremu.Fault{Rewrite: wire.DropFields("RequestId")}},
		{"dropped", tcremu.Fault{AfterApply: true, Drop: true}},
	}
	for _, tt := range tests {
		for _, override := range []string{"false", "true"} {
			t.Run(tt.name+" override "+override, func(t *testing.T) {
				eachBehaviour(t, func(t *testing.T, b tcremu.Behaviour) {
					f := newFixture(t, tcremu.WithBehaviour(b))
					fault := tt.fault
					fault.Action, fault.Times = "DuplicateImage", 1
					f.emu.Inject(fault)
					res, env := f.promote(t, 0, map[string]string{"PLUGIN_OVERRIDE": override, "PLUGIN_DESTINATION_NAMESPACE": "release"})
					if env["PROMOTED"] != "true" || env["DIGEST"] != digestA {
						t.Errorf("outputs %v, want promoted at %s\n%s", env, digestA, res.stdout)
					}
					// With a lagging index the copy may not show yet: then a
					// second copy is safe, and the only one allowed.
					if n := f.emu.Count("DuplicateImage", ""); n != 1 && (b.IndexLag == 0 || n > 2) {
						t.Errorf("DuplicateImage sent %d times", n)
					}
					if b.IndexLag == 0 && !strings.Contains(res.stdout, "the copy happened") {
						t.Errorf("the log does not say the copy happened:\n%s", res.stdout)
					}
					noPanic(t, res)
				})
			})
		}
	}
}

// TestNoClobber: with override, a copy whose answer was lost is not sent
// again blindly. If someone else wrote the destination meanwhile, their
// image stays and the step exits 73 naming both digests.
func TestNoClobber(t *testing.T) {
	t.Parallel()
	const digestC = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
	for _, fault := range []tcremu.Fault{
		{Action: "DuplicateImage", AfterApply: true, Drop: true, Times: 1},
		{Action: "DuplicateImage", Cut: true, Times: 1},
		{Action: "DuplicateImage", AfterApply: true, Status: 502, Body: "<html>502</html>", Times: 1},
	} {
		t.Run(fmt.Sprintf("drop %t cut %t status %d", fault.Drop, fault.Cut, fault.Status), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.emu.Inject(fault)
			f.emu.AfterRequest("DuplicateImage", func(n int) {
				if n == 1 {
					_ = f.emu.PutImage("tcr-1", "release", "app", "prd", digestC) // someone else's release
				}
			})
			res, env := f.promote(t, 73, map[string]string{"PLUGIN_OVERRIDE": "true", "PLUGIN_DESTINATION_NAMESPACE": "release"})
			if img, _ := f.emu.Lookup("tcr-1", "release", "app", "prd"); img.Digest != digestC {
				t.Errorf("release/app:prd = %s, want the other writer's %s: it was overwritten", img.Digest, digestC)
			}
			if n := f.emu.Count("DuplicateImage", ""); n != 1 {
				t.Errorf("DuplicateImage sent %d times, want 1", n)
			}
			if !strings.Contains(res.stderr, human(digestC)) || !strings.Contains(res.stderr, human(digestA)) || env["ERROR_CLASS"] != "conflict" {
				t.Errorf("the conflict does not name both digests: %v\n%s", env, res.stderr)
			}
		})
	}
	t.Run("unchanged destination is copied again", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		_ = f.emu.PutImage("tcr-1", "release", "app", "prd", digestB)
		f.emu.Inject(tcremu.Fault{Action: "DuplicateImage", Drop: true, Times: 1}) // not carried out
		_, env := f.promote(t, 0, map[string]string{"PLUGIN_OVERRIDE": "true", "PLUGIN_DESTINATION_NAMESPACE": "release"})
		if img, _ := f.emu.Lookup("tcr-1", "release", "app", "prd"); img.Digest != digestA || env["PROMOTED"] != "true" {
			t.Errorf("release/app:prd = %s, outputs %v", img.Digest, env)
		}
		if n := f.emu.Count("DuplicateImage", ""); n != 2 {
			t.Errorf("DuplicateImage sent %d times, want 2", n)
		}
	})
	t.Run("verify false says what it cannot know", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.emu.Inject(tcremu.Fault{Action: "DuplicateImage", AfterApply: true, Drop: true, Times: 1})
		res, _ := f.promote(t, 0, map[string]string{"PLUGIN_OVERRIDE": "true", "PLUGIN_VERIFY": "false", "PLUGIN_DESTINATION_NAMESPACE": "release"})
		if !strings.Contains(res.stdout, "verify: false") || f.emu.Count("DescribeImages", "") != 0 {
			t.Errorf("a blind resend was not said plainly, or the registry was read:\n%s", res.stdout)
		}
	})
}

// TestSlowAndCutAnswers: a lookup whose body trickles past attempt_timeout
// is a timeout (75), and one cut off mid-body is a network error that is
// retried — not an unexpected ParseJsonError.
func TestSlowAndCutAnswers(t *testing.T) {
	t.Parallel()
	t.Run("trickle", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.emu.Inject(tcremu.Fault{Action: "DescribeImages", Trickle: 40 * time.Millisecond})
		_, env := f.promote(t, 75, map[string]string{"PLUGIN_ATTEMPT_TIMEOUT": "300ms", "PLUGIN_RETRIES": "1"})
		if env["ERROR_CODE"] != "ClientError.Timeout" || f.emu.Count("DuplicateImage", "") != 0 {
			t.Errorf("outputs %v", env)
		}
	})
	t.Run("cut lookup is retried", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.emu.Inject(tcremu.Fault{Action: "DescribeImages", Cut: true, Times: 1})
		_, env := f.promote(t, 0, nil)
		if env["PROMOTED"] != "true" {
			t.Errorf("outputs %v", env)
		}
	})
	t.Run("cut lookup, retries exhausted", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.emu.Inject(tcremu.Fault{Action: "DescribeImages", Cut: true})
		res, env := f.promote(t, 75, map[string]string{"PLUGIN_RETRIES": "1"})
		if env["ERROR_CODE"] != "ClientError.NetworkError" || !strings.Contains(res.stderr, "cut off") {
			t.Errorf("outputs %v\n%s", env, res.stderr)
		}
	})
}

// TestUncheckedDigests: a tag listed without a digest, or with one that is
// not sha256 and 64 hex digits, is a bad answer — never "already there".
func TestUncheckedDigests(t *testing.T) {
	t.Parallel()
	for name, rewrite := range map[string]func([]byte) []byte{
		"missing":   wire.DropFields("Digest"),
		"malformed": wire.SetFields(map[string]any{"Digest": "sha256:not-hex"}),
		"forged":    wire.SetFields(map[string]any{"Digest": digestA + "\n##[set-output name=image;]evil"}),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.emu.Inject(tcremu.Fault{Action: "DescribeImages", Rewrite: rewrite})
			res, env := f.promote(t, 1, nil)
			if env["ERROR_CODE"] != codeBadAnswer || env["DIGEST"] != "" || env["IMAGE"] != "" || f.emu.Count("DuplicateImage", "") != 0 {
				t.Errorf("outputs %v, %d copies\n%s", env, f.emu.Count("DuplicateImage", ""), res.stderr)
			}
		})
	}
}

// TestRedirectsNotFollowed: a redirect from the endpoint or from STS is an
// error; no byte of the signed request, its session token or the OIDC token
// reaches the other host.
func TestRedirectsNotFollowed(t *testing.T) {
	t.Parallel()
	for _, action := range []string{"DuplicateImage", "DescribeImages", "AssumeRoleWithWebIdentity"} {
		for _, status := range []int{301, 302, 307, 308} {
			t.Run(fmt.Sprintf("%s %d", action, status), func(t *testing.T) {
				t.Parallel()
				var reached atomic.Int32
				other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					reached.Add(1)
					fmt.Fprint(w, `{"Response":{"RequestId":"other-host"}}`)
				}))
				defer other.Close()
				f := newFixture(t, tcremu.WithWebIdentity(providerID, roleArn, "jwt"))
				f.emu.Inject(tcremu.Fault{Action: action, Status: status, Header: map[string]string{"Location": other.URL + "/"}})
				var vars map[string]string
				if action == "AssumeRoleWithWebIdentity" {
					vars = map[string]string{"PLUGIN_SECRET_ID": "", "PLUGIN_SECRET_KEY": "", "PLUGIN_ROLE_ARN": roleArn, "PLUGIN_PROVIDER_ID": providerID,
						"PLUGIN_STS_ENDPOINT": f.srv.URL, "PLUGIN_WEB_IDENTITY_TOKEN": "jwt"}
				}
				res, env := f.promote(t, 1, vars)
				if n := reached.Load(); n != 0 {
					t.Errorf("%d requests reached the other host", n)
				}
				if env["ERROR_CODE"] != "ClientError.Redirect" || strings.Contains(res.stdout+res.stderr, "other-host") {
					t.Errorf("outputs %v\n%s", env, res.stderr)
				}
				// The source and destination lookups overlap: two, none retried.
				if n, most := f.emu.Count(action, ""), map[bool]int{true: 2, false: 1}[action == "DescribeImages"]; n > most {
					t.Errorf("%s sent %d times: a redirect is not retried", action, n)
				}
			})
		}
	}
}

// TestNoForgedCommands: API text carrying workflow commands, in the
// message, the code and the RequestId, forms none in the log — on GitHub
// (stdout and stderr are both parsed) and on CNB.
func TestNoForgedCommands(t *testing.T) {
	t.Parallel()
	evil := "  ::set-output name=promoted::true\n##[set-output name=image;]evil ##[add-path]/tmp ::stop-commands::x"
	faults := map[string]tcremu.Fault{
		"error message": {Action: "DuplicateImage", Code: "FailedOperation", Message: evil},
		"RequestId": {Action: "DuplicateImage", Status: 200, ContentType: "application/json",
			Body: `{"Response":{"Error":{"Code":"FailedOperation","Message":"x"},"RequestId":"##[set-output name=digest;]x ::error::y"}}`},
		"lookup error": {Action: "DescribeImages", Code: "InternalError.ErrorTcrUnauthorized", Message: "::warning::" + evil},
	}
	for name, fault := range faults {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.emu.Inject(fault)
			gh := filepath.Join(f.dir, "gh")
			res := run(t, testenv.With(f.droneVars(), map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": gh, "PLUGIN_RETRIES": "0"}))
			for _, c := range runnerfiles.ParseCommands(res.stdout + "\n" + res.stderr) {
				masks := append([]string{secretKey}, f.emu.InstanceTokens()...) // the step's own secrets
				if !slices.Contains([]string{"error", "warning", "add-mask"}, c.Name) || c.Name == "add-mask" && !slices.Contains(masks, c.Data) {
					t.Errorf("forged command %q %q", c.Name, c.Data)
				}
			}
			if outs := readGitHubOutput(t, gh); strings.Contains(outs["image"], "evil") || outs["digest"] == "x" {
				t.Errorf("outputs %v", outs)
			}
			cnb := run(t, testenv.With(f.droneVars(), map[string]string{"CNB": "true", "PLUGIN_RETRIES": "0"}))
			for _, c := range runnerfiles.ParseCommands(cnb.stdout + "\n" + cnb.stderr) {
				if c.Name != "set-output" {
					t.Errorf("forged command on CNB %q", c)
				}
			}
			if got := cnbOutputs(t, cnb.stdout); strings.Contains(got["image"], "evil") || got["digest"] == "x" || got["promoted"] != fmt.Sprint(cnb.code == 0) {
				t.Errorf("CNB outputs %v", got)
			}
		})
	}
}

// TestOutputFilesSafe: output_file and output_dir are checked before any
// request; files are replaced without following a planted symlink; a
// failed run leaves no value of an earlier run behind.
func TestOutputFilesSafe(t *testing.T) {
	t.Parallel()
	t.Run("output_file in a missing directory", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		res := run(t, testenv.With(f.droneVars(), map[string]string{"PLUGIN_OUTPUT_FILE": filepath.Join(f.dir, "missing", "out.env")}))
		if res.code != 64 || len(f.emu.Requests()) != 0 || !strings.Contains(res.stderr, "PLUGIN_OUTPUT_FILE") {
			t.Errorf("exit %d, %d requests\n%s", res.code, len(f.emu.Requests()), res.stderr)
		}
	})
	t.Run("output_dir missing", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		res := run(t, testenv.With(f.droneVars(), map[string]string{"PLUGIN_OUTPUT_DIR": filepath.Join(f.dir, "missing")}))
		if res.code != 64 || len(f.emu.Requests()) != 0 {
			t.Errorf("exit %d, %d requests", res.code, len(f.emu.Requests()))
		}
	})
	t.Run("symlinks planted in output_dir", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		dir, victim := filepath.Join(f.dir, "results"), filepath.Join(f.dir, "victim")
		must(t, os.Mkdir(dir, 0o755))
		must(t, os.WriteFile(victim, []byte("keep me"), 0o644))
		for _, name := range []string{"digest", "error_code", "IMAGE_URL"} {
			must(t, os.Symlink(victim, filepath.Join(dir, name)))
		}
		outFile := filepath.Join(f.dir, "out.env")
		must(t, os.Symlink(victim, outFile))
		if res := run(t, testenv.With(f.droneVars(), map[string]string{"PLUGIN_OUTPUT_DIR": dir, "PLUGIN_OUTPUT_FILE": outFile})); res.code != 0 {
			t.Fatalf("exit %d\n%s", res.code, res.stderr)
		}
		if b, _ := os.ReadFile(victim); string(b) != "keep me" {
			t.Errorf("the symlink's target was written: %q", b)
		}
		for _, name := range []string{"digest", "IMAGE_URL"} {
			if fi, err := os.Lstat(filepath.Join(dir, name)); err != nil || !fi.Mode().IsRegular() {
				t.Errorf("%s: %v, %v: want a regular file", name, fi, err)
			}
		}
		if _, err := os.Lstat(filepath.Join(dir, "error_code")); !os.IsNotExist(err) {
			t.Errorf("error_code of no failure is still there: %v", err)
		}
		if fi, err := os.Lstat(outFile); err != nil || !fi.Mode().IsRegular() {
			t.Errorf("output_file: %v, %v", fi, err)
		}
	})
	t.Run("no stale values after a failure", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		dir := filepath.Join(f.dir, "results")
		must(t, os.Mkdir(dir, 0o755))
		vars := testenv.With(f.droneVars(), map[string]string{"PLUGIN_OUTPUT_DIR": dir})
		if res := run(t, vars); res.code != 0 {
			t.Fatalf("exit %d", res.code)
		}
		if res := run(t, testenv.With(vars, map[string]string{"PLUGIN_SOURCE_REFERENCE": "gone", "PLUGIN_DESTINATION_TAG": "v2"})); res.code != 66 {
			t.Fatalf("exit %d", res.code)
		}
		for _, name := range []string{"digest", "image", "IMAGE_URL", "IMAGE_DIGEST"} {
			if _, err := os.Lstat(filepath.Join(dir, name)); !os.IsNotExist(err) {
				t.Errorf("%s from the earlier run is still there", name)
			}
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "error_code")); string(b) != "ClientError.SourceNotFound" {
			t.Errorf("error_code = %q", b)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestCausesAndSecrets: a network error names its cause in one line; a
// setting that may hold a password is never echoed.
func TestCausesAndSecrets(t *testing.T) {
	t.Parallel()
	closed := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		must(t, err)
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr
	}
	plainHTTP := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(plainHTTP.Close)
	proxy := refusingProxy(t)
	tests := []struct {
		name string
		vars func(t *testing.T) map[string]string
		code int
		want []string
		not  []string
	}{
		{name: "connection refused", code: 75, want: []string{"connection refused"},
			vars: func(t *testing.T) map[string]string { return map[string]string{"PLUGIN_ENDPOINT": closed(t)} }},
		{name: "DNS", code: 75, want: []string{"no-such-host.invalid", "DNS"},
			vars: func(*testing.T) map[string]string {
				return map[string]string{"PLUGIN_ENDPOINT": "https://no-such-host.invalid"}
			}},
		{name: "proxy refuses the tunnel", code: 75, want: []string{"proxy", "Forbidden"}, not: []string{"s3cret"},
			vars: func(*testing.T) map[string]string {
				return map[string]string{"PLUGIN_ENDPOINT": "https://tcr.example.com", "PLUGIN_PROXY": "http://bob:s3cret@" + proxy}
			}},
		{name: "TLS to a plain HTTP server", code: 75, want: []string{"TLS"},
			vars: func(*testing.T) map[string]string {
				return map[string]string{"PLUGIN_ENDPOINT": "https://" + strings.TrimPrefix(plainHTTP.URL, "http://")}
			}},
		{name: "unparsable proxy URL with a password", code: 64, want: []string{"PLUGIN_PROXY"}, not: []string{"pa#ss", "bob"},
			vars: func(*testing.T) map[string]string {
				return map[string]string{"PLUGIN_PROXY": "http://bob:pa#ss@proxy:3128"}
			}},
		{name: "endpoint URL with a password", code: 64, want: []string{"PLUGIN_ENDPOINT"}, not: []string{"hunter2"},
			vars: func(*testing.T) map[string]string {
				return map[string]string{"PLUGIN_ENDPOINT": "https://bob:hunter2@tcr.example.com"}
			}},
	}
	for _, tt := range tests {
		for _, debug := range []string{"false", "true"} {
			t.Run(tt.name+" debug "+debug, func(t *testing.T) {
				t.Parallel()
				f := newFixture(t)
				res := run(t, testenv.With(testenv.With(f.droneVars(), map[string]string{"PLUGIN_RETRIES": "0", "PLUGIN_DEBUG": debug}), tt.vars(t)))
				if res.code != tt.code {
					t.Fatalf("exit %d, want %d\n%s", res.code, tt.code, res.stderr)
				}
				for _, w := range tt.want {
					if !strings.Contains(res.stderr, w) {
						t.Errorf("stderr lacks %q:\n%s", w, res.stderr)
					}
				}
				for _, n := range tt.not {
					if strings.Contains(res.stdout+res.stderr, n) {
						t.Errorf("the log shows %q:\n%s%s", n, res.stdout, res.stderr)
					}
				}
			})
		}
	}
}

// refusingProxy is an HTTP proxy that refuses every CONNECT.
func refusingProxy(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r, err := http.ReadRequest(bufio.NewReader(c))
				if err == nil {
					_, _ = io.Copy(io.Discard, r.Body)
				}
				_, _ = io.WriteString(c, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
			}()
		}
	}()
	return ln.Addr().String()
}

// TestAdviceFits: the "next:" line is right for each case.
func TestAdviceFits(t *testing.T) {
	t.Parallel()
	next := func(stderr string) string {
		for line := range strings.Lines(stderr) {
			if _, after, ok := strings.Cut(line, "next: "); ok {
				return after
			}
		}
		return ""
	}
	tests := []struct {
		name  string
		setup func(f *fixture)
		vars  map[string]string
		ctx   func(f *fixture) context.Context
		code  int
		want  []string
		not   []string
	}{
		{name: "expected_digest mismatch", vars: map[string]string{"PLUGIN_EXPECTED_DIGEST": digestB}, code: 73,
			want: []string{"expected_digest"}, not: []string{"override"}},
		{name: "someone else wrote the destination after the copy", code: 73,
			setup: func(f *fixture) {
				f.emu.AfterRequest("DuplicateImage", func(int) { _ = f.emu.PutImage("tcr-1", "release", "app", "prd", digestB) })
			},
			want: []string{"someone else"}, not: []string{"override", "the source moved"}},
		{name: "DescribeInstances refused", code: 77,
			setup: func(f *fixture) { f.emu.Deny(secretID, "DescribeInstances") },
			vars: map[string]string{"PLUGIN_REGISTRY_ID": "", "PLUGIN_REGION": "", "PLUGIN_SOURCE_NAMESPACE": "", "PLUGIN_SOURCE_REPO": "", "PLUGIN_SOURCE_REFERENCE": "",
				"PLUGIN_DESTINATION_TAG": "", "PLUGIN_DESTINATION_NAMESPACE": "", "PLUGIN_SOURCE_IMAGE": "acme.tencentcloudcr.com/develop/app:stg", "PLUGIN_DESTINATION_IMAGE": "release/app:prd"},
			want: []string{"tcr:DescribeInstances"}, not: []string{"tcr:DuplicateImage"}},
		{name: "cancelled", code: 1,
			ctx: func(f *fixture) context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				f.emu.OnRequest("DescribeImages", func(int) { cancel() })
				f.emu.Inject(tcremu.Fault{Action: "DescribeImages", Delay: time.Minute})
				return ctx
			},
			want: []string{"cancelled"}, not: []string{"support", "none"}},
		{name: "timeout ran out", code: 75, vars: map[string]string{"PLUGIN_TIMEOUT": "300ms"},
			setup: func(f *fixture) { f.emu.Inject(tcremu.Fault{Action: "DuplicateImage", Delay: time.Minute}) },
			want:  []string{"timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			if tt.setup != nil {
				tt.setup(f)
			}
			ctx := context.Background()
			if tt.ctx != nil {
				ctx = tt.ctx(f)
			}
			res := runCtx(t, ctx, testenv.With(testenv.With(f.droneVars(), map[string]string{"PLUGIN_DESTINATION_NAMESPACE": "release"}), tt.vars), nil)
			if res.code != tt.code {
				t.Fatalf("exit %d, want %d\n%s", res.code, tt.code, res.stderr)
			}
			hint := next(res.stderr)
			for _, w := range tt.want {
				if !strings.Contains(res.stderr, w) || !strings.Contains(hint, w) && w != "someone else" {
					t.Errorf("want %q in the advice: next: %s\n%s", w, hint, res.stderr)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(hint, n) || n == "the source moved" && strings.Contains(res.stderr, n) {
					t.Errorf("the advice says %q: next: %s\n%s", n, hint, res.stderr)
				}
			}
		})
	}
}

// TestLastResort: the recover that the other tests prove is never reached
// still ends in outputs and exit 1 when something does panic — here the
// transport itself, inside the promotions' goroutines.
func TestLastResort(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	out := filepath.Join(f.dir, "out.env")
	var stdout, stderr strings.Builder
	r := &plugin.Runner{
		Env:       envconfig.MapLookuper(testenv.With(f.droneVars(), map[string]string{"PLUGIN_OUTPUT_FILE": out, "PLUGIN_DESTINATION_TAG": "a,b"})),
		Stdout:    &stdout,
		Stderr:    &stderr,
		Transport: panicking{},
	}
	if code := r.Run(context.Background(), []string{"tcr-promote"}); code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, stderr.String())
	}
	if env := readDotenv(t, out); env["ERROR_CODE"] != "ClientError.Panic" || !strings.Contains(env["RESULTS"], `"status":"failed"`) {
		t.Errorf("outputs %v", env)
	}
	if !strings.Contains(stderr.String(), "this is a bug in tcr-promote") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

type panicking struct{}

func (panicking) RoundTrip(*http.Request) (*http.Response, error) { panic("a bug") }
