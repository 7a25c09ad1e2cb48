package plugin_test

import (
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http/httptest"
	"net/http/httputil"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/internal/testenv"
	"github.com/tcr-promote/tcr-promote/tcremu"
)

// cnbOutputs reads CNB's ##[set-output name=value] lines from stdout as
// CNB does; it fails the test on any other line that starts like one.
func cnbOutputs(t *testing.T, stdout string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range strings.Split(stdout, "\n") {
		if !strings.HasPrefix(line, "##[") {
			continue
		}
		body, ok := strings.CutPrefix(line, "##[set-output ")
		name, v, ok2 := strings.Cut(strings.TrimSuffix(body, "]"), "=")
		if !ok || !ok2 || !strings.HasSuffix(body, "]") {
			t.Fatalf("a line CNB would misread: %q", line)
		}
		if b64, ok := strings.CutPrefix(v, "base64,"); ok {
			b, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			v = string(b)
		}
		out[name] = v
	}
	return out
}

// TestCNB: outputs as stdout lines, CNB's channel, only on CNB.
func TestCNB(t *testing.T) {
	t.Parallel()
	t.Run("a promotion", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		res := run(t, testenv.With(f.droneVars(), map[string]string{"CNB": "true", "CNB_REPO_SLUG": "acme/app", "CNB_BUILD_ID": "cnb-42"}))
		if res.code != 0 {
			t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
		got := cnbOutputs(t, res.stdout)
		id := f.lastRequestID("DuplicateImage")
		want := map[string]string{
			"request_id": id, "digest": digestA, "promoted": "true", "request_ids": id,
			"image": "acme.tencentcloudcr.com/release/app:prd@" + digestA, "accessories": "", "platforms": "linux/amd64",
		}
		var results []map[string]string
		if err := json.Unmarshal([]byte(got["results"]), &results); err != nil || len(results) != 1 || results[0]["status"] != "promoted" {
			t.Errorf("results = %q (%v)", got["results"], err)
		}
		if !strings.Contains(res.stdout, "##[set-output results=base64,") {
			t.Errorf("the JSON results were not base64-encoded:\n%s", res.stdout)
		}
		delete(got, "results")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("outputs (-want +got):\n%s", diff)
		}
	})
	t.Run("API text cannot forge a line", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		body := `{"Response":{"Error":{"Code":"FailedOperation","Message":"x\n##[set-output promoted=true]\n##[set-output error_class=ok]"},` +
			`"RequestId":"id]\n##[set-output request_id=forged]"}}`
		f.emu.Inject(tcremu.Fault{Status: 200, Body: body, ContentType: "application/json"})
		res := run(t, testenv.With(f.droneVars(), map[string]string{"CNB": "true"}))
		if res.code != 1 {
			t.Fatalf("exit %d, want 1", res.code)
		}
		got := cnbOutputs(t, res.stdout+res.stderr)
		if got["promoted"] != "false" || got["error_class"] != "unexpected" || got["request_id"] != "id]\n##[set-output request_id=forged]" {
			t.Errorf("outputs %q: want the RequestId whole inside its own line, nothing forged", got)
		}
	})
	t.Run("never outside CNB", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		res := run(t, testenv.With(f.droneVars(), map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": filepath.Join(f.dir, "gh")}))
		if res.code != 0 || strings.Contains(res.stdout+res.stderr, "##[") {
			t.Errorf("exit %d; a ##[ line outside CNB:\n%s%s", res.code, res.stdout, res.stderr)
		}
	})
}

// TestOutputDir: one file per output, exactly the value; Tekton Chains'
// IMAGE_URL and IMAGE_DIGEST; the failure's code and class; the budget.
func TestOutputDir(t *testing.T) {
	t.Parallel()
	read := func(t *testing.T, dir string) map[string]string {
		t.Helper()
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, e := range entries {
			b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			out[e.Name()] = string(b)
		}
		return out
	}
	t.Run("a promotion", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		dir := t.TempDir()
		if res := run(t, testenv.With(f.droneVars(), map[string]string{"PLUGIN_OUTPUT_DIR": dir})); res.code != 0 {
			t.Fatalf("exit %d\n%s", res.code, res.stderr)
		}
		got := read(t, dir)
		id := f.lastRequestID("DuplicateImage")
		image := "acme.tencentcloudcr.com/release/app:prd"
		for name, want := range map[string]string{
			"request_id": id, "digest": digestA, "image": image + "@" + digestA, "promoted": "true", "request_ids": id,
			"IMAGE_URL": image, "IMAGE_DIGEST": digestA,
		} {
			if got[name] != want {
				t.Errorf("%s holds %q, want exactly %q", name, got[name], want)
			}
		}
	})
	t.Run("a failure", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		dir := t.TempDir()
		res := run(t, testenv.With(f.droneVars(), map[string]string{"PLUGIN_OUTPUT_DIR": dir, "PLUGIN_SOURCE_REFERENCE": "gone"}))
		got := read(t, dir)
		if res.code != 66 || got["error_code"] != "ClientError.SourceNotFound" || got["error_class"] != "not_found" || got["promoted"] != "false" {
			t.Errorf("exit %d, files %v", res.code, got)
		}
	})
	t.Run("within Tekton's budget", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		dir := t.TempDir()
		tags := make([]string, 20)
		for i := range tags {
			tags[i] = "t" + strings.Repeat("x", i+1)
		}
		res := run(t, testenv.With(f.droneVars(), map[string]string{"PLUGIN_OUTPUT_DIR": dir, "PLUGIN_DESTINATION_TAG": strings.Join(tags, ",")}))
		got := read(t, dir)
		total := 0
		for _, v := range got {
			total += len(v)
		}
		if _, ok := got["results"]; res.code != 0 || ok || total > 4000 || got["promoted"] != "true" {
			t.Errorf("exit %d, %d bytes in %d files; want results left out under Tekton's ~4 KB", res.code, total, len(got))
		}
		if !strings.Contains(res.stdout, "left out output results") {
			t.Errorf("no warning about results:\n%s", res.stdout)
		}
	})
	t.Run("not a directory", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		res := run(t, testenv.With(f.droneVars(), map[string]string{"PLUGIN_OUTPUT_DIR": filepath.Join(f.dir, "nope")}))
		if res.code != 64 || len(f.emu.Requests()) != 0 {
			t.Errorf("exit %d, %d requests; want 64 before any", res.code, len(f.emu.Requests()))
		}
		// One cause, one error: no second "writing the outputs" after it.
		if lines := strings.Split(strings.TrimSpace(res.stderr), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "PLUGIN_OUTPUT_DIR") {
			t.Errorf("stderr, want one error naming the setting:\n%s", res.stderr)
		}
	})
}

// TestPrivateCA: an endpoint whose certificate a private CA signed is
// trusted through ca_cert, as PEM text or a file — added to the system's
// roots, not in place of them.
func TestPrivateCA(t *testing.T) {
	t.Parallel()
	for _, form := range []string{"PEM text", "a file"} {
		t.Run(form, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			srv := f.tlsServer(t)
			ca := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
			if form == "a file" {
				path := filepath.Join(f.dir, "ca.pem")
				if err := os.WriteFile(path, []byte(ca), 0o644); err != nil {
					t.Fatal(err)
				}
				ca = path
			}
			res := run(t, testenv.With(f.droneVars(), map[string]string{"PLUGIN_ENDPOINT": srv.URL, "PLUGIN_CA_CERT": ca}))
			if res.code != 0 {
				t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
			}
			if img, ok := f.emu.Lookup("tcr-1", "release", "app", "prd"); !ok || img.Digest != digestA {
				t.Errorf("release/app:prd = %v %t", img, ok)
			}
		})
	}
	t.Run("not a certificate", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		res := run(t, testenv.With(f.droneVars(), map[string]string{"PLUGIN_CA_CERT": "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n"}))
		if res.code != 64 || !strings.Contains(res.stderr, "PLUGIN_CA_CERT: holds no PEM certificate") {
			t.Errorf("exit %d, want 64 naming the setting\n%s", res.code, res.stderr)
		}
	})
}

// TestProxy: proxy sends the API calls through a forward proxy; no_proxy
// lists what goes direct, read as Go reads $NO_PROXY (loopback is never
// proxied). The endpoint is a name only the proxy can resolve, as behind a
// corporate proxy: what bypasses it fails to resolve.
func TestProxy(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		noProxy string
		via     bool
	}{
		{"through the proxy", "", true},
		{"no_proxy lists the host's domain", "example.com, .proxied.test", false},
		{"no_proxy lists another host", "example.com,.internal,10.0.0.0/8", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			var proxied atomic.Int64
			emulator := strings.TrimPrefix(f.srv.URL, "http://")
			proxy := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
				proxied.Add(1)
				r.Out.URL = r.In.URL // a forward proxy: the request names its target
				r.Out.URL.Host = emulator
				r.Out.Host = r.In.Host
			}})
			t.Cleanup(proxy.Close)
			_, port, _ := strings.Cut(emulator, ":")
			res := run(t, testenv.With(f.droneVars(), map[string]string{"PLUGIN_ENDPOINT": "http://tcr.proxied.test:" + port, "PLUGIN_PROXY": proxy.URL,
				"PLUGIN_NO_PROXY": tt.noProxy, "PLUGIN_RETRIES": "0", "PLUGIN_REGISTRY_ENDPOINT": f.reg.URL}))
			switch {
			case tt.via && (res.code != 0 || proxied.Load() != int64(len(f.emu.Requests()))):
				t.Errorf("exit %d, %d of %d requests through the proxy\n%s", res.code, proxied.Load(), len(f.emu.Requests()), res.stderr)
			case !tt.via && (proxied.Load() != 0 || !strings.Contains(res.stderr, "DNS lookup of tcr.proxied.test failed")):
				t.Errorf("%d requests through the proxy; want none, and the direct call to fail to resolve:\n%s", proxied.Load(), res.stderr)
			}
		})
	}
	t.Run("a proxy's password stays secret", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		res := run(t, testenv.With(f.droneVars(), map[string]string{"PLUGIN_PROXY": "ftp://user:hunter2@proxy:21"}))
		if res.code != 64 || strings.Contains(res.stdout+res.stderr, "hunter2") {
			t.Errorf("exit %d; the password in the log:\n%s%s", res.code, res.stdout, res.stderr)
		}
	})
}

// TestDotenvPrefix: dotenv_prefix goes before every dotenv key, in
// output_file and Harness' $DRONE_OUTPUT, and nowhere else.
func TestDotenvPrefix(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	out, drone, gh := filepath.Join(f.dir, "out.env"), filepath.Join(f.dir, "drone.env"), filepath.Join(f.dir, "gh")
	res := run(t, testenv.With(f.droneVars(), map[string]string{"PLUGIN_OUTPUT_FILE": out, "DRONE_OUTPUT": drone, "GITHUB_OUTPUT": gh, "PLUGIN_DOTENV_PREFIX": "TCR_"}))
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	for _, path := range []string{out, drone} {
		env := readDotenv(t, path)
		if env["TCR_REQUEST_ID"] != f.lastRequestID("DuplicateImage") || env["TCR_IMAGE"] == "" || env["TCR_PROMOTED"] != "true" {
			t.Errorf("%s: %v, want every key prefixed", filepath.Base(path), env)
		}
		for k := range env {
			if !strings.HasPrefix(k, "TCR_") {
				t.Errorf("%s: key %s without the prefix", filepath.Base(path), k)
			}
		}
	}
	if outs := readGitHubOutput(t, gh); outs["image"] == "" {
		t.Errorf("GitHub's outputs changed too: %v", outs)
	}
	before := len(f.emu.Requests())
	if bad := run(t, testenv.With(f.droneVars(), map[string]string{"PLUGIN_DOTENV_PREFIX": "1X"})); bad.code != 64 || len(f.emu.Requests()) != before {
		t.Errorf("a bad prefix: exit %d, %d requests sent", bad.code, len(f.emu.Requests())-before)
	}
}
