package tcremu_test

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/tcr-promote/tcr-promote/tcremu"
	"github.com/tcr-promote/tcr-promote/tcremu/wire"
)

// capture keeps the raw answer of the last request sent through it, as it
// came off the wire: no decoding, the body read to its end or its error.
type capture struct {
	mu      sync.Mutex
	status  int
	header  http.Header
	body    []byte
	readErr error
}

func (c *capture) RoundTrip(r *http.Request) (*http.Response, error) {
	t := &http.Transport{DisableCompression: true}
	resp, err := t.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	body, readErr := io.ReadAll(resp.Body)
	resp.Body.Close()
	c.mu.Lock()
	c.status, c.header, c.body, c.readErr = resp.StatusCode, resp.Header, body, readErr
	c.mu.Unlock()
	return nil, errors.New("captured")
}

// TestHostileFaults: each hostile class the emulator plays, as it goes on
// the wire, and whether the action was carried out.
func TestHostileFaults(t *testing.T) {
	t.Parallel()
	copyParams := map[string]any{"RegistryId": "tcr-1", "SourceNamespace": "develop", "SourceRepo": "app", "SourceReference": "stg",
		"DestinationNamespace": "release", "DestinationTag": "prd"}
	listParams := map[string]any{"RegistryId": "tcr-1", "NamespaceName": "develop", "RepositoryName": "app", "ImageVersion": "stg", "ExactMatch": true}
	tests := []struct {
		name    string
		fault   tcremu.Fault
		action  string
		applied bool // release/app:prd exists afterwards
		check   func(t *testing.T, c *capture)
	}{
		{name: "drop: not carried out", action: "DuplicateImage", fault: tcremu.Fault{Drop: true},
			check: func(t *testing.T, c *capture) {}},
		{name: "apply then drop", action: "DuplicateImage", fault: tcremu.Fault{Drop: true, AfterApply: true}, applied: true,
			check: func(t *testing.T, c *capture) {}},
		{name: "apply then cut mid-body", action: "DuplicateImage", fault: tcremu.Fault{Cut: true}, applied: true,
			check: func(t *testing.T, c *capture) {
				if !errors.Is(c.readErr, io.ErrUnexpectedEOF) || len(c.body) == 0 {
					t.Errorf("body %q, read error %v: want half an answer, then the connection closed", c.body, c.readErr)
				}
			}},
		{name: "apply then a null answer", action: "DuplicateImage", applied: true,
			fault: tcremu.Fault{AfterApply: true, Status: 200, Body: `{"Response":null}`, ContentType: "application/json"},
			check: func(t *testing.T, c *capture) {
				if string(c.body) != `{"Response":null}` || c.header.Get("Content-Type") != "application/json" {
					t.Errorf("answer %q %v", c.body, c.header)
				}
			}},
		{name: "redirect", action: "DuplicateImage", fault: tcremu.Fault{Status: 307, Header: map[string]string{"Location": "http://elsewhere.example/"}},
			check: func(t *testing.T, c *capture) {
				if c.status != 307 || c.header.Get("Location") != "http://elsewhere.example/" {
					t.Errorf("answer %d %v", c.status, c.header)
				}
			}},
		{name: "rewrite: digests dropped", action: "DescribeImages", fault: tcremu.Fault{Rewrite: wire.DropFields("Digest")},
			check: func(t *testing.T, c *capture) {
				if strings.Contains(string(c.body), "Digest") || !strings.Contains(string(c.body), `"ImageVersion":"stg"`) {
					t.Errorf("answer %s", c.body)
				}
			}},
		{name: "rewrite: RequestId set", action: "DescribeImages", fault: tcremu.Fault{Rewrite: wire.SetFields(map[string]any{"RequestId": "##[x]"})},
			check: func(t *testing.T, c *capture) {
				var v struct{ Response struct{ RequestId string } }
				if json.Unmarshal(c.body, &v); v.Response.RequestId != "##[x]" {
					t.Errorf("answer %s", c.body)
				}
			}},
		{name: "flood", action: "DescribeImages", fault: tcremu.Fault{Flood: 3 << 20},
			check: func(t *testing.T, c *capture) {
				if len(c.body) != 3<<20 || !strings.HasPrefix(string(c.body), `{"Response":{"RequestId":"flood"`) {
					t.Errorf("%d bytes, want %d of JSON-looking filler", len(c.body), 3<<20)
				}
			}},
		{name: "gzip", action: "DescribeImages", fault: tcremu.Fault{Gzip: true},
			check: func(t *testing.T, c *capture) {
				gz, err := gzip.NewReader(strings.NewReader(string(c.body)))
				if err != nil || c.header.Get("Content-Encoding") != "gzip" {
					t.Fatalf("not gzip: %v %v", err, c.header)
				}
				plain, _ := io.ReadAll(gz)
				if !strings.Contains(string(plain), `"ImageVersion":"stg"`) {
					t.Errorf("decoded %s", plain)
				}
			}},
		{name: "trickle", action: "DescribeImages", fault: tcremu.Fault{Trickle: 1},
			check: func(t *testing.T, c *capture) {
				if !strings.Contains(string(c.body), `"ImageVersion":"stg"`) || c.readErr != nil {
					t.Errorf("answer %s, %v", c.body, c.readErr)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			emu, srv := fixture(t)
			tt.fault.Action = tt.action
			emu.Inject(tt.fault)
			var mu sync.Mutex
			var after []bool
			emu.AfterRequest("DuplicateImage", func(int) {
				_, ok := emu.Lookup("tcr-1", "release", "app", "prd")
				mu.Lock()
				defer mu.Unlock()
				after = append(after, ok)
			})
			c := &capture{}
			params := listParams
			if tt.action == "DuplicateImage" {
				params = copyParams
			}
			send(sdkClient(srv, secretID, secretKey, c), tt.action, params)
			tt.check(t, c)
			if _, ok := emu.Lookup("tcr-1", "release", "app", "prd"); ok != tt.applied {
				t.Errorf("release/app:prd exists: %t, want %t", ok, tt.applied)
			}
			mu.Lock()
			defer mu.Unlock()
			if tt.applied && (len(after) != 1 || !after[0]) {
				t.Errorf("AfterRequest saw the copy: %v, want it run once, after the copy", after)
			}
		})
	}
}
