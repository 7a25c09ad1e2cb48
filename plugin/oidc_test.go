package plugin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"
	"github.com/tcr-promote/tcr-promote/internal/testenv"
	"github.com/tcr-promote/tcr-promote/plugin"
	"github.com/tcr-promote/tcr-promote/tcremu"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

const (
	roleArn    = "qcs::cam::uin/100000000001:roleName/tcr-promote"
	providerID = "github-actions"
	bearer     = "runtime-request-token-0123456789"
)

// fakeGitHub is GitHub's OIDC token endpoint: it checks the bearer and
// mints a token that names the audience it was asked for.
type fakeGitHub struct {
	*httptest.Server
	mu        sync.Mutex
	audiences []string
	status    int
}

func newFakeGitHub(t *testing.T, status int) *fakeGitHub {
	g := &fakeGitHub{status: status}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+bearer || r.URL.Query().Get("api-version") != "2.0" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		aud := r.URL.Query().Get("audience")
		g.mu.Lock()
		g.audiences = append(g.audiences, aud)
		g.mu.Unlock()
		if g.status != 0 {
			http.Error(w, `{"message":"nope"}`, g.status)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"value": oidcToken(aud)})
	}))
	t.Cleanup(g.Close)
	return g
}

func oidcToken(aud string) string { return "eyJ.oidc-token-for-" + aud + ".sig" }

// keylessVars are Drone-style settings without keys, assuming roleArn
// through the emulator's STS.
func (f *fixture) keylessVars() map[string]string {
	return testenv.With(f.droneVars(), map[string]string{
		"PLUGIN_SECRET_ID": "", "PLUGIN_SECRET_KEY": "",
		"PLUGIN_ROLE_ARN": roleArn, "PLUGIN_PROVIDER_ID": providerID, "PLUGIN_STS_ENDPOINT": f.srv.URL,
		"PLUGIN_OUTPUT_FILE": filepath.Join(f.dir, "out.env"),
	})
}

func TestKeyless(t *testing.T) {
	t.Parallel()
	good := oidcToken("sts.tencentcloudapi.com")
	tests := []struct {
		name     string
		github   int // 0: no fake GitHub; otherwise the status it answers (200 = a token)
		vars     func(f *fixture, gh *fakeGitHub) map[string]string
		code     int
		log      []string
		sessions int // STS calls expected
	}{
		{name: "GitHub OIDC end to end", github: 200, code: 0, sessions: 1, vars: func(f *fixture, gh *fakeGitHub) map[string]string {
			return testenv.With(githubize(f.keylessVars(), f.dir), map[string]string{
				"ACTIONS_ID_TOKEN_REQUEST_URL": gh.URL + "/token?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": bearer,
				"GITHUB_REPOSITORY": "acme/app", "GITHUB_RUN_ID": "4242",
			})
		}},
		{name: "GitLab id_tokens in a setting", code: 0, sessions: 1, vars: func(f *fixture, _ *fakeGitHub) map[string]string {
			return testenv.With(f.keylessVars(), map[string]string{"PLUGIN_WEB_IDENTITY_TOKEN": good, "CI_PROJECT_PATH": "acme/app", "CI_PIPELINE_ID": "77"})
		}},
		{name: "token file", code: 0, sessions: 1, vars: func(f *fixture, _ *fakeGitHub) map[string]string {
			path := filepath.Join(f.dir, "token")
			if err := os.WriteFile(path, []byte(good+"\n"), 0o600); err != nil {
				panic(err)
			}
			return testenv.With(f.keylessVars(), map[string]string{"PLUGIN_WEB_IDENTITY_TOKEN_FILE": path})
		}},
		{name: "missing id-token permission", code: 64, log: []string{"permissions: id-token: write"}, vars: func(f *fixture, _ *fakeGitHub) map[string]string {
			return githubize(f.keylessVars(), f.dir)
		}},
		{name: "no token outside GitHub", code: 64, log: []string{"set web_identity_token"}, vars: func(f *fixture, _ *fakeGitHub) map[string]string {
			return f.keylessVars()
		}},
		{name: "rejected token", code: 77, sessions: 1, log: []string{"InvalidParameter.WebIdentityTokenError", "STS refused to assume " + roleArn, "RequestId: "},
			vars: func(f *fixture, _ *fakeGitHub) map[string]string {
				return testenv.With(f.keylessVars(), map[string]string{"PLUGIN_WEB_IDENTITY_TOKEN": "eyJ.forged.sig"})
			}},
		{name: "role does not trust the identity", code: 77, sessions: 1, log: []string{"AuthFailure.UnauthorizedOperation"},
			vars: func(f *fixture, _ *fakeGitHub) map[string]string {
				return testenv.With(f.keylessVars(), map[string]string{"PLUGIN_WEB_IDENTITY_TOKEN": good, "PLUGIN_ROLE_ARN": "qcs::cam::uin/100000000001:roleName/other"})
			}},
		{name: "wrong audience", github: 200, code: 77, sessions: 1, log: []string{"InvalidParameter.WebIdentityTokenError"},
			vars: func(f *fixture, gh *fakeGitHub) map[string]string {
				return testenv.With(githubize(f.keylessVars(), f.dir), map[string]string{
					"ACTIONS_ID_TOKEN_REQUEST_URL": gh.URL + "/token?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": bearer, "INPUT_AUDIENCE": "other",
				})
			}},
		{name: "GitHub refuses the token request", github: 403, code: 77, log: []string{"ClientError.OIDCTokenError", "HTTP 403"},
			vars: func(f *fixture, gh *fakeGitHub) map[string]string {
				return testenv.With(githubize(f.keylessVars(), f.dir), map[string]string{
					"ACTIONS_ID_TOKEN_REQUEST_URL": gh.URL + "/token?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": bearer,
				})
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tcremu.WithWebIdentity(providerID, roleArn, good))
			var gh *fakeGitHub
			if tt.github != 0 {
				gh = newFakeGitHub(t, map[int]int{200: 0}[tt.github]+map[bool]int{true: tt.github}[tt.github != 200])
			}
			vars := tt.vars(f, gh)
			res := run(t, vars)
			if res.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", res.code, tt.code, res.stdout, res.stderr)
			}
			for _, l := range tt.log {
				if !strings.Contains(res.stdout+res.stderr, l) {
					t.Errorf("log lacks %q:\n%s%s", l, res.stdout, res.stderr)
				}
			}
			if tt.code == 77 && tt.sessions == 1 {
				env := readDotenv(t, filepath.Join(f.dir, "out.env"))
				if env["REQUEST_ID"] != f.lastRequestID("AssumeRoleWithWebIdentity") || env["ERROR_CLASS"] != "permission" {
					t.Errorf("outputs %v, want STS's RequestId and the permission class", env)
				}
			}
			if vars["GITHUB_RUN_ID"] == "4242" {
				for _, e := range f.emu.Requests() {
					if e.Action == "AssumeRoleWithWebIdentity" && !strings.Contains(e.Body, `"RoleSessionName":"tcr-promote@acme-app-4242"`) {
						t.Errorf("STS got %s, want the session named after the run", e.Body)
					}
				}
			}
			if n := f.emu.Count("AssumeRoleWithWebIdentity", ""); n != tt.sessions {
				t.Errorf("%d STS calls, want %d", n, tt.sessions)
			}
			if gh != nil {
				want := vars["INPUT_AUDIENCE"]
				if want == "" {
					want = "sts.tencentcloudapi.com"
				}
				if len(gh.audiences) == 0 || gh.audiences[0] != want {
					t.Errorf("GitHub was asked for audiences %q, want %q", gh.audiences, want)
				}
			}
			issued := f.emu.IssuedCredentials()
			if tt.code == 0 {
				if _, ok := f.emu.Lookup("tcr-1", "release", "app", "prd"); !ok {
					t.Fatal("not promoted")
				}
				if len(issued) != 1 {
					t.Fatalf("%d credentials issued, want 1", len(issued))
				}
				// Every TCR call was signed with the temporary key and
				// carried its token (the emulator checks both).
				for _, e := range f.emu.Requests() {
					if e.Action == "AssumeRoleWithWebIdentity" {
						continue
					}
					if e.SecretID != issued[0].SecretID || e.Token != issued[0].Token {
						t.Errorf("%s signed by %q with token %t, want the temporary credentials", e.Action, e.SecretID, e.Token != "")
					}
				}
			}
			secrets := []string{good, "eyJ.forged.sig", bearer}
			for _, c := range issued {
				secrets = append(secrets, c.SecretKey, c.Token)
			}
			assertNoSecrets(t, res, f.dir, secrets)
			if vars["GITHUB_ACTIONS"] == "true" && tt.code == 0 {
				assertMasksFirst(t, res.stdout, good, issued[0].SecretKey, issued[0].Token)
			}
		})
	}
}

// githubize makes Drone-style settings GitHub's, with its output files.
func githubize(vars map[string]string, dir string) map[string]string {
	out := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": filepath.Join(dir, "github_output"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary.md"), "PLUGIN_OUTPUT_FILE": filepath.Join(dir, "out.env"),
	}
	for k, v := range vars {
		if name, ok := strings.CutPrefix(k, "PLUGIN_"); ok {
			out["INPUT_"+name] = v
		} else {
			out[k] = v
		}
	}
	return out
}

// assertNoSecrets checks stdout, stderr and every file the run may have
// written: no secret may appear except on its own ::add-mask:: line.
func assertNoSecrets(t *testing.T, res runResult, dir string, secrets []string) {
	t.Helper()
	texts := map[string]string{"stdout": res.stdout, "stderr": res.stderr}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() == "token" {
			continue // the token file the test wrote
		}
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		texts[e.Name()] = string(b)
	}
	for name, text := range texts {
		for _, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(line, "::add-mask::") {
				continue
			}
			for _, s := range secrets {
				if s != "" && strings.Contains(line, s) {
					t.Errorf("%s leaks a secret: %q", name, line)
				}
			}
		}
	}
}

// assertMasksFirst checks that stdout opens with a mask for each secret.
func assertMasksFirst(t *testing.T, stdout string, secrets ...string) {
	t.Helper()
	lines := strings.Split(stdout, "\n")
	masked := map[string]bool{}
	for _, l := range lines {
		v, ok := strings.CutPrefix(l, "::add-mask::")
		if !ok {
			break
		}
		masked[v] = true
	}
	for _, s := range secrets {
		if !masked[s] {
			t.Errorf("no ::add-mask:: for a secret before the first other line:\n%s", stdout)
		}
	}
}

// TestDefaultCredentialChain: neither keys nor a role — the SDK's default
// chain is asked; what it finds signs the calls, and if it finds nothing
// the step stops with 64 naming the settings to give.
func TestDefaultCredentialChain(t *testing.T) {
	t.Parallel()
	for _, found := range []bool{true, false} {
		t.Run(map[bool]string{true: "found", false: "nothing found"}[found], func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			var stdout, stderr strings.Builder
			r := &plugin.Runner{
				Env:    envconfig.MapLookuper(testenv.With(f.droneVars(), map[string]string{"PLUGIN_SECRET_ID": "", "PLUGIN_SECRET_KEY": ""})),
				Stdout: &stdout, Stderr: &stderr, Backoff: func(int) time.Duration { return 0 },
				DefaultCredentials: func(context.Context) (common.CredentialIface, error) {
					if !found {
						return nil, &os.PathError{Op: "open", Path: "~/.tencentcloud/credentials", Err: os.ErrNotExist}
					}
					return common.NewCredential(secretID, secretKey), nil // e.g. from a profile file
				},
			}
			code := r.Run(context.Background(), []string{"tcr-promote"})
			if found {
				if code != 0 {
					t.Fatalf("exit %d\n%s", code, stderr.String())
				}
				return
			}
			if code != 64 || len(f.emu.Requests()) != 0 {
				t.Fatalf("exit %d after %d requests, want 64 and none", code, len(f.emu.Requests()))
			}
			for _, want := range []string{"no credentials", "secret_id", "role_arn", "profile file"} {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
				}
			}
		})
	}
}
