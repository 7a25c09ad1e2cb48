package tcremu_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tcr-promote/tcr-promote/tcremu"
)

var (
	npmOnce     sync.Once
	nodeModules string
	installErr  error
)

// nodeSigner returns the path of node and the node_modules holding
// Tencent's Node.js SDK, installed once from testdata/node's lock file
// into the user's cache — never into the work tree. Where node is absent,
// or npm cannot install the SDK (no registry), the test is skipped with the
// reason; TCR_REQUIRE_NODE_SDK=1 (.ci/run sets it) makes that a failure.
func nodeSigner(t *testing.T) (node, modules string) {
	t.Helper()
	skip := func(format string, args ...any) {
		if os.Getenv("TCR_REQUIRE_NODE_SDK") == "1" {
			t.Fatalf(format+" (TCR_REQUIRE_NODE_SDK=1)", args...)
		}
		t.Skipf(format, args...)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		skip("node is not installed; the Node.js SDK cross-check needs it")
	}
	npmOnce.Do(func() { nodeModules, installErr = installNodeSDK() })
	if installErr != nil {
		skip("the Node.js SDK cross-check is skipped: its SDK could not be installed: %v", installErr)
	}
	return node, nodeModules
}

// installNodeSDK runs npm ci for testdata/node's lock file in a cache
// directory named by the lock file's hash, once per machine.
func installNodeSDK() (string, error) {
	lock, err := os.ReadFile(filepath.Join("testdata", "node", "package-lock.json"))
	if err != nil {
		return "", err
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	sum := sha256.Sum256(lock)
	dir := filepath.Join(base, "tcr-promote", "node-sdk-"+hex.EncodeToString(sum[:6]))
	modules := filepath.Join(dir, "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "tencentcloud-sdk-nodejs", "package.json")); err == nil {
		return modules, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for _, f := range []string{"package.json", "package-lock.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "node", f))
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			return "", err
		}
	}
	// Few, short retries: where no registry answers, the skip should come
	// in seconds, not after npm's minute of backoff.
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error", "--fetch-retries=2", "--fetch-retry-mintimeout=1000", "--fetch-retry-maxtimeout=4000")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm ci in %s: %v: %s", dir, err, bytes.TrimSpace(out))
	}
	return modules, nil
}

// TestNodeSDKSigner checks the emulator's verifier against Tencent's
// official Node.js SDK, which signs "host" without the port.
func TestNodeSDKSigner(t *testing.T) {
	t.Parallel()
	node, modules := nodeSigner(t)
	params := `{"RegistryId":"tcr-1","SourceNamespace":"develop","SourceRepo":"app","SourceReference":"stg","DestinationTag":"prd"}`
	tests := []struct {
		name   string
		key    string
		clock  time.Duration
		tamper bool // change one byte of the body on the way
		want   string
	}{
		{name: "signed by the Node.js SDK", key: secretKey},
		{name: "wrong key", key: "not-the-key", want: "AuthFailure.SignatureFailure"},
		{name: "one byte of the body changed", key: secretKey, tamper: true, want: "AuthFailure.SignatureFailure"},
		{name: "timestamp six minutes old", key: secretKey, clock: 6 * time.Minute, want: "AuthFailure.SignatureExpire"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			emu := tcremu.New(tcremu.WithCredential(secretID, secretKey), tcremu.WithClock(func() time.Time { return time.Now().Add(tt.clock) }))
			emu.AddInstance("tcr-1", region, "acme.tencentcloudcr.com")
			if err := emu.PutImage("tcr-1", "develop", "app", "stg", digestA); err != nil {
				t.Fatal(err)
			}
			var h http.Handler = emu
			if tt.tamper {
				h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					b, _ := io.ReadAll(r.Body)
					b = bytes.Replace(b, []byte(`"prd"`), []byte(`"prx"`), 1)
					r.Body = io.NopCloser(bytes.NewReader(b))
					emu.ServeHTTP(w, r)
				})
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			u, _ := url.Parse(srv.URL)

			cmd := exec.Command(node, filepath.Join("testdata", "node", "duplicate.js"), u.Port(), secretID, tt.key, params)
			cmd.Env = append(os.Environ(), "NODE_PATH="+modules) // the SDK lives in the cache, not beside the script
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("node: %v: %s", err, out)
			}
			var got struct{ Code, RequestID, Message string }
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("node printed %q: %v", out, err)
			}
			if got.Code != tt.want {
				t.Fatalf("code = %q (%s), want %q", got.Code, got.Message, tt.want)
			}
			if got.RequestID == "" {
				t.Errorf("no RequestId in %s", out)
			}
			_, promoted := emu.Lookup("tcr-1", "develop", "app", "prd")
			if promoted != (tt.want == "") {
				t.Errorf("promoted = %t, want %t", promoted, tt.want == "")
			}
			reqs := emu.Requests()
			if len(reqs) != 1 || reqs[0].Language != "en-US" || reqs[0].SecretID != secretID {
				t.Errorf("request log = %+v, want one en-US request by %s", reqs, secretID)
			}
		})
	}
}
