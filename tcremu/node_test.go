package tcremu_test

import (
	"bytes"
	"encoding/json"
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

var npmOnce sync.Once

// nodeSigner returns the path of node and makes sure Tencent's Node.js SDK
// is installed beside the script (.ci/run installs it; a developer's first
// run does too). Skips only where node is absent.
func nodeSigner(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed; the Node.js SDK cross-check needs it")
	}
	dir := filepath.Join("testdata", "node")
	var installErr error
	npmOnce.Do(func() {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "tencentcloud-sdk-nodejs")); err == nil {
			return
		}
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			installErr = &exec.Error{Name: "npm ci: " + string(out), Err: err}
		}
	})
	if installErr != nil {
		t.Fatalf("installing tencentcloud-sdk-nodejs in %s: %v", dir, installErr)
	}
	return node
}

// TestNodeSDKSigner checks the emulator's verifier against Tencent's
// official Node.js SDK, which signs "host" without the port.
func TestNodeSDKSigner(t *testing.T) {
	t.Parallel()
	node := nodeSigner(t)
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
