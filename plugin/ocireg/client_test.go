package ocireg

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/tcremu/oci"
)

// TestGuardKeepsCredentialsHome: a request to the endpoint's host keeps
// its credentials and the endpoint's scheme; one to any other host — a
// blob redirect to object storage, a token realm elsewhere — goes without.
func TestGuardKeepsCredentialsHome(t *testing.T) {
	t.Parallel()
	var sawAuth atomic.Value
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawAuth.Store(r.Header.Get("Authorization"))
	}))
	t.Cleanup(other.Close)
	home := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			w.WriteHeader(401)
		}
	}))
	t.Cleanup(home.Close)
	host := strings.TrimPrefix(home.URL, "http://")
	g := guard{base: http.DefaultTransport, scheme: "http", host: host}
	for _, tt := range []struct {
		url    string
		status int
	}{
		{"https://" + host + "/v2/", 200}, // the library's guess of https is mended: the endpoint says http
		{other.URL + "/bucket/blob", 200},
	} {
		req, _ := http.NewRequest("GET", tt.url, nil)
		req.Header.Set("Authorization", "Basic c2VjcmV0")
		resp, err := g.RoundTrip(req)
		if err != nil {
			t.Fatalf("%s: %v", tt.url, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s: %d, want %d", tt.url, resp.StatusCode, tt.status)
		}
	}
	if got, _ := sawAuth.Load().(string); got != "" {
		t.Errorf("the other host was sent %q", got)
	}
}

// TestAnswersBounded: a manifest or index past 4 MiB is refused, never
// read whole; a blob is not bounded here (its reader checks its digest).
func TestAnswersBounded(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(strings.Repeat("a", maxAnswer+10)))
	}))
	t.Cleanup(srv.Close)
	g := guard{base: http.DefaultTransport, scheme: "http", host: strings.TrimPrefix(srv.URL, "http://")}
	for _, tt := range []struct {
		path string
		err  error
	}{
		{"/v2/ns/a/manifests/latest", ErrTooLarge},
		// Past the bound: its reader checks it against its digest.
		{"/v2/ns/a/blobs/sha256:" + strings.Repeat("0", 64), nil},
	} {
		req, _ := http.NewRequest("GET", srv.URL+tt.path, nil)
		resp, err := g.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		var buf [64 << 10]byte
		for err == nil {
			_, err = resp.Body.Read(buf[:])
		}
		resp.Body.Close()
		if want := tt.err; !errors.Is(err, want) && !(want == nil && err.Error() == "EOF") {
			t.Errorf("%s: read ended with %v, want %v", tt.path, err, want)
		}
	}
}

// TestFailClasses: a registry that cannot be reached is temporary, a
// refused token a permission failure, anything else unexpected; each
// message names the endpoint.
func TestFailClasses(t *testing.T) {
	t.Parallel()
	st := oci.NewStore()
	tests := []struct {
		name  string
		serve http.Handler
		class failure.Class
		code  string
	}{
		{"the token refused", oci.NewServer(st, oci.Options{Check: func(string, string) bool { return false }}), failure.ClassPermission, failure.CodeRegistryDenied},
		{"503 throughout", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }), failure.ClassTemporary, failure.CodeRegistryUnreachable},
		{"nobody listening", nil, failure.ClassTemporary, failure.CodeRegistryUnreachable},
		{"a manifest too large", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/v2/" {
				return
			}
			w.Header().Set("Content-Type", "application/vnd.oci.image.index.v1+json")
			_, _ = w.Write([]byte(strings.Repeat(" ", maxAnswer+1)))
		}), failure.ClassUnexpected, failure.CodeAnswerTooLarge},
	}
	tests = append(tests, struct {
		name  string
		serve http.Handler
		class failure.Class
		code  string
	}{"an untrusted certificate", oci.NewServer(st, oci.Options{}), failure.ClassUnexpected, failure.CodeCertificate})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewUnstartedServer(tt.serve)
			srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshakes refused on purpose
			if tt.code == failure.CodeCertificate {
				srv.StartTLS()
			} else {
				srv.Start()
			}
			t.Cleanup(srv.Close)
			if tt.serve == nil {
				srv.Close()
			}
			c, err := New(Config{Endpoint: srv.URL, Username: "uin", Token: "tok", Retries: 0})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			_, err = c.Referrers(ctx, "ns/a", "sha256:"+strings.Repeat("a", 64))
			e, ok := errors.AsType[*failure.Error](c.Fail(ctx, "reading", err))
			if !ok || e.Class != tt.class || e.Code != tt.code || !strings.Contains(e.Message, srv.URL) {
				t.Errorf("Fail(%v) = %+v, want class %s, code %s, naming %s", err, e, tt.class, tt.code, srv.URL)
			}
		})
	}
}

// TestBlobRedirectWithoutCredentials: a blob served from object storage
// on another host (as TCR serves them from COS) is followed, read whole
// and verified, and that host is sent no credentials.
func TestBlobRedirectWithoutCredentials(t *testing.T) {
	t.Parallel()
	st := oci.NewStore()
	data := []byte(strings.Repeat("layer bytes ", 1000))
	d := st.PutBlob("ns/a", data)
	var sawAuth atomic.Value
	cos := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawAuth.Store(r.Header.Get("Authorization"))
		_, _ = w.Write(data)
	}))
	t.Cleanup(cos.Close)
	srv := httptest.NewServer(oci.NewServer(st, oci.Options{BlobRedirect: cos.URL + "/bucket", Check: func(u, p string) bool { return u == "uin" && p == "tok" }}))
	t.Cleanup(srv.Close)
	c, err := New(Config{Endpoint: srv.URL, Username: "uin", Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	repo, _ := c.repo("ns/a")
	ctx := context.Background()
	layer, err := remote.Layer(repo.Digest(d), c.options(ctx)...)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layer.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(got) != string(data) {
		t.Fatalf("read %d bytes (%v), want the blob", len(got), err)
	}
	if auth, _ := sawAuth.Load().(string); auth != "" {
		t.Errorf("object storage was sent %q", auth)
	}
}

// neverEnding is a body that goes on for ever.
type neverEnding byte

func (b neverEnding) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

// TestChecked: a copy's blob ends in EOF only when its bytes hash to its
// digest within its size; a mismatch or a blob past its size is
// ErrBlobDigest, and a cut is told as it came.
func TestChecked(t *testing.T) {
	t.Parallel()
	data := []byte("layer bytes")
	right := v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", sha256.Sum256(data))}
	tests := []struct {
		name string
		r    io.Reader
		want v1.Hash
		err  error
	}{
		{"whole", bytes.NewReader(data), right, io.EOF},
		{"another blob's bytes", strings.NewReader("other bytes"), right, ErrBlobDigest},
		{"cut", io.MultiReader(bytes.NewReader(data[:4]), iotest.ErrReader(io.ErrUnexpectedEOF)), right, io.ErrUnexpectedEOF},
		// A source that never ends is not read past the blob's size.
		{"past its size", io.MultiReader(bytes.NewReader(data), neverEnding('x')), right, ErrBlobDigest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &checked{r: io.NopCloser(tt.r), want: tt.want, h: sha256.New(), left: int64(len(data))}
			var err error
			for err == nil {
				_, err = c.Read(make([]byte, 3))
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("read ended with %v, want %v", err, tt.err)
			}
		})
	}
}
