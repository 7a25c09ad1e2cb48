package plugin_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sethvargo/go-envconfig"
	"github.com/tcr-promote/tcr-promote/internal/testenv"
	"github.com/tcr-promote/tcr-promote/plugin"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"github.com/tcr-promote/tcr-promote/tcremu"
)

func TestHelpAndVersion(t *testing.T) {
	t.Parallel()
	var out, errOut strings.Builder
	if code := plugin.Main(context.Background(), []string{"tcr-promote", "--help"}, envconfig.MapLookuper(nil), &out, &errOut); code != 0 {
		t.Fatalf("--help exit %d", code)
	}
	help := out.String()
	for _, s := range settings.All() {
		for _, name := range append([]string{s.Flag()}, s.Names()[:2]...) {
			if !strings.Contains(help, name) {
				t.Errorf("--help lacks %s", name)
			}
		}
		if s.Default != "" && !strings.Contains(help, s.Default) {
			t.Errorf("--help lacks the default of %s (%s)", s.Name, s.Default)
		}
	}
	for _, code := range []string{" 0 ", " 1 ", " 64 ", " 65 ", " 66 ", " 69 ", " 73 ", " 75 ", " 77 "} {
		if !strings.Contains(help, code) {
			t.Errorf("--help lacks exit code%s", code)
		}
	}
	out.Reset()
	if code := plugin.Main(context.Background(), []string{"tcr-promote", "--version"}, envconfig.MapLookuper(nil), &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "tcr-promote ") {
		t.Errorf("--version: exit %d, %q", code, out.String())
	}
	if code := plugin.Main(context.Background(), []string{"tcr-promote", "--bogus"}, envconfig.MapLookuper(nil), &out, &errOut); code != 64 {
		t.Errorf("unknown flag: exit %d, want 64", code)
	}
}

// TestUntrustedAnswers feeds the step an answer whose RequestId and code
// try to forge outputs and workflow commands.
func TestUntrustedAnswers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	body := `{"Response":{"Error":{"Code":"FailedOperation\nerror_class=ok","Message":"bad\n::add-mask::x\n::error::forged"},` +
		`"RequestId":"id\nrequest_id=forged\nREQUEST_ID=forged"}}`
	f.emu.Inject(tcremu.Fault{Status: 200, Body: body, ContentType: "application/json"})
	gh, out := filepath.Join(f.dir, "gh"), filepath.Join(f.dir, "out.env")
	res := run(t, testenv.With(f.droneVars(), map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": gh, "PLUGIN_OUTPUT_FILE": out}))
	if res.code != 1 {
		t.Fatalf("exit %d, want 1", res.code)
	}
	outs := readGitHubOutput(t, gh)
	if outs["request_id"] != "id\nrequest_id=forged\nREQUEST_ID=forged" || len(outs) != 6 || outs["promoted"] != "false" || outs["request_ids"] != outs["request_id"] {
		t.Errorf("GITHUB_OUTPUT = %q: want the RequestId verbatim inside its own entry and nothing forged", outs)
	}
	env := readDotenv(t, out)
	_, id := env["REQUEST_ID"]
	_, ids := env["REQUEST_IDS"]
	if id || ids || env["ERROR_CLASS"] != "unexpected" || env["RESULTS"] == "" {
		t.Errorf("dotenv = %q: want the unsafe REQUEST_ID(S) and ERROR_CODE left out, ERROR_CLASS and the JSON-escaped RESULTS kept", env)
	}
	for _, line := range strings.Split(res.stdout+res.stderr, "\n") {
		// Our own commands carry the answer only escaped, inside one line.
		if strings.HasPrefix(line, "::") && !strings.HasPrefix(line, "::add-mask::"+secretKey) && !strings.HasPrefix(line, "::error title=tcr-promote") && !strings.HasPrefix(line, "::warning::") {
			t.Errorf("a workflow command came from the answer: %q", line)
		}
	}
}

// TestNoSecretsInOutput runs successes and failures, in debug mode, and
// checks the secret key never appears outside its own ::add-mask:: line.
func TestNoSecretsInOutput(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"success", "failure"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			if name == "failure" {
				f.emu.Inject(tcremu.Fault{Action: "DuplicateImage", Code: "InternalError", Message: "boom"})
			}
			gh, out, sum := filepath.Join(f.dir, "gh"), filepath.Join(f.dir, "out.env"), filepath.Join(f.dir, "summary")
			vars := testenv.With(f.droneVars(), map[string]string{
				"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": gh, "GITHUB_STEP_SUMMARY": sum, "PLUGIN_OUTPUT_FILE": out,
				"PLUGIN_DEBUG": "true", "PLUGIN_SESSION_TOKEN": "session-token-secret",
			})
			// The emulator knows only permanent keys; a token on them is ignored.
			res := run(t, vars)
			texts := []string{res.stdout, res.stderr}
			for _, p := range []string{gh, out, sum} {
				if b, err := os.ReadFile(p); err == nil {
					texts = append(texts, string(b))
				}
			}
			for _, text := range texts {
				for _, line := range strings.Split(text, "\n") {
					if strings.HasPrefix(line, "::add-mask::") {
						continue
					}
					for _, secret := range []string{secretKey, "session-token-secret"} {
						if strings.Contains(line, secret) {
							t.Errorf("secret in %q", line)
						}
					}
				}
			}
			if !strings.HasPrefix(res.stdout, "::add-mask::"+secretKey+"\n::add-mask::session-token-secret\n") {
				t.Errorf("stdout does not start with the masks:\n%s", res.stdout)
			}
			if !strings.Contains(res.stdout, "debug: POST DuplicateImage: HTTP 200") {
				t.Errorf("debug mode logged no exchange:\n%s", res.stdout)
			}
		})
	}
}

// TestOutputFileUnwritable: output_file's directory is there when the
// step starts, and gone by the time the outputs are written: the promotion
// happened but later steps cannot see it, so the step fails (1) — a re-run
// finds the tag in place.
func TestOutputFileUnwritable(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := filepath.Join(f.dir, "vanishing")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f.emu.OnRequest("DuplicateImage", func(int) { _ = os.RemoveAll(dir) })
	res := run(t, testenv.With(f.droneVars(), map[string]string{"PLUGIN_OUTPUT_FILE": filepath.Join(dir, "out.env")}))
	if res.code != 1 || !strings.Contains(res.stderr, "writing the outputs") {
		t.Fatalf("exit %d, want 1 with the reason\n%s", res.code, res.stderr)
	}
	// One error, naming the file once.
	if lines := strings.Split(strings.TrimSpace(res.stderr), "\n"); len(lines) != 1 || strings.Count(lines[0], "vanishing") != 1 {
		t.Errorf("stderr, want one line naming the file once:\n%s", res.stderr)
	}
	if _, ok := f.emu.Lookup("tcr-1", "release", "app", "prd"); !ok {
		t.Error("the promotion itself did not happen")
	}
	rerun := run(t, testenv.With(f.droneVars(), map[string]string{"PLUGIN_OUTPUT_FILE": filepath.Join(f.dir, "out.env")}))
	if rerun.code != 0 || readDotenv(t, filepath.Join(f.dir, "out.env"))["PROMOTED"] != "false" {
		t.Errorf("re-run: exit %d, want 0 with nothing to do\n%s", rerun.code, rerun.stderr)
	}
}
func TestPlainHTTPWarning(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// A non-loopback http endpoint is warned about; the promotion itself
	// goes to the emulator through a loopback name.
	res := run(t, testenv.With(f.droneVars(), map[string]string{"PLUGIN_ENDPOINT": strings.Replace(f.srv.URL, "127.0.0.1", "localhost", 1), "PLUGIN_REGISTRY_ENDPOINT": f.reg.URL}))
	if res.code != 0 || strings.Contains(res.stdout, "warning") {
		t.Errorf("loopback http: exit %d, stdout %q; want 0 and no warning", res.code, res.stdout)
	}
	// A usage error elsewhere keeps this run from sending anything: the
	// host is never contacted.
	res = run(t, testenv.With(f.droneVars(), map[string]string{"PLUGIN_ENDPOINT": "http://tcr.example.com:1", "PLUGIN_DESTINATION_TAG": ""}))
	if res.code != 64 || !strings.Contains(res.stdout, "warning: PLUGIN_ENDPOINT sends credentials-signed requests over plain http to tcr.example.com:1") {
		t.Errorf("no plain-http warning in %q", res.stdout)
	}
}

// TestHelpWidth: --help fits a terminal, 80 columns.
func TestHelpWidth(t *testing.T) {
	t.Parallel()
	for i, line := range strings.Split(plugin.Help(), "\n") {
		if n := utf8.RuneCountInString(line); n > 80 {
			t.Errorf("line %d has %d columns: %s", i+1, n, line)
		}
	}
}

// TestDebugNamesEachCall: under debug, every call the emulator answered
// has a line naming its action, what it was about and its RequestId; and
// the human lines keep their digests whole.
func TestDebugNamesEachCall(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	res := run(t, testenv.With(f.droneVars(), map[string]string{"PLUGIN_DEBUG": "true"}))
	if res.code != 0 {
		t.Fatalf("exit %d:\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, r := range f.emu.Requests() {
		if !strings.Contains(res.stdout, "(RequestId "+r.RequestID+")") {
			t.Errorf("no debug line names %s's RequestId %s:\n%s", r.Action, r.RequestID, res.stdout)
		}
	}
	for _, want := range []string{
		"debug: DuplicateImage develop/app:stg → release/app:prd: answered in ",
		"debug: DescribeImages develop/app:stg: answered in ",
		"debug: DescribeImages release/app:prd: ", // a destination that does not exist yet: answered, or an error's code
		"promoted develop/app:stg → release/app:prd in tcr-1 (" + digestA + ", RequestId ",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, res.stdout)
		}
	}
}
