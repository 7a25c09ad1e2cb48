package oci_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/tcremu/oci"
)

// client sends requests to a registry as a test, with a bearer token once
// it has one.
type client struct {
	t     *testing.T
	base  string
	token string
	basic [2]string
}

func (c *client) do(method, path string, body []byte, header ...string) *http.Response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	switch {
	case c.token != "":
		req.Header.Set("Authorization", "Bearer "+c.token)
	case c.basic[0] != "":
		req.SetBasicAuth(c.basic[0], c.basic[1])
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func serve(t *testing.T, st *oci.Store, o oci.Options) *client {
	t.Helper()
	o.Check = func(user, pass string) bool { return user == "uin" && pass == "tok" }
	srv := httptest.NewServer(oci.NewServer(st, o))
	t.Cleanup(srv.Close)
	return &client{t: t, base: srv.URL}
}

// TestTokenFlow: Harbor's flow — a challenge naming the realm, a token for
// the instance token as Basic credentials, refused for wrong ones.
func TestTokenFlow(t *testing.T) {
	t.Parallel()
	c := serve(t, oci.NewStore(), oci.Options{})
	resp := c.do("GET", "/v2/", nil)
	if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), `Bearer realm="`+c.base+`/service/token"`) {
		t.Fatalf("/v2/ = %d %q, want 401 with a Bearer challenge", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	c.basic = [2]string{"uin", "wrong"}
	if resp := c.do("GET", "/service/token?service=harbor-registry&scope=repository:a/b:pull", nil); resp.StatusCode != 401 {
		t.Errorf("a wrong token got %d, want 401", resp.StatusCode)
	}
	c.basic = [2]string{"uin", "tok"}
	if resp := c.do("GET", "/v2/", nil); resp.StatusCode != 401 {
		t.Errorf("Basic on /v2/ of a token registry got %d, want 401", resp.StatusCode)
	}
	var tok struct{ Token string }
	_ = json.NewDecoder(c.do("GET", "/service/token?service=harbor-registry", nil).Body).Decode(&tok)
	c.basic, c.token = [2]string{}, tok.Token
	if resp := c.do("GET", "/v2/", nil); tok.Token == "" || resp.StatusCode != 200 {
		t.Errorf("with the token /v2/ = %d, want 200", resp.StatusCode)
	}
}

// TestBasicOnly: a registry that takes Basic credentials directly.
func TestBasicOnly(t *testing.T) {
	t.Parallel()
	c := serve(t, oci.NewStore(), oci.Options{Auth: oci.AuthBasic})
	if resp := c.do("GET", "/v2/", nil); resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("/v2/ = %d %q, want a Basic challenge", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	c.basic = [2]string{"uin", "tok"}
	if resp := c.do("GET", "/v2/", nil); resp.StatusCode != 200 {
		t.Errorf("with Basic /v2/ = %d, want 200", resp.StatusCode)
	}
}

// TestBackend: a gate in front of another registry server passes on only
// the requests it authorized, without their credentials.
func TestBackend(t *testing.T) {
	t.Parallel()
	var reached []string
	backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached = append(reached, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusAccepted)
	})
	c := serve(t, oci.NewStore(), oci.Options{Auth: oci.AuthBasic, Backend: backend})
	if resp := c.do("GET", "/v2/a/b/manifests/x", nil); resp.StatusCode != 401 {
		t.Errorf("without credentials: %d, want 401", resp.StatusCode)
	}
	c.basic = [2]string{"uin", "tok"}
	if resp := c.do("GET", "/v2/a/b/manifests/x", nil); resp.StatusCode != http.StatusAccepted {
		t.Errorf("with credentials: %d, want the backend's 202", resp.StatusCode)
	}
	if diff := cmp.Diff([]string{"GET /v2/a/b/manifests/x "}, reached); diff != "" {
		t.Errorf("what the backend saw (-want +got):\n%s", diff)
	}
}

// TestUploadsAndMounts: a chunked upload is kept only under its own
// digest; a mount links a blob the source repository holds, and starts
// an upload where it does not.
func TestUploadsAndMounts(t *testing.T) {
	t.Parallel()
	st := oci.NewStore()
	c := serve(t, st, oci.Options{Auth: oci.AuthBasic})
	c.basic = [2]string{"uin", "tok"}
	data := []byte("layer bytes")
	d := oci.Digest(data)
	start := c.do("POST", "/v2/ns/a/blobs/uploads/", nil)
	loc := start.Header.Get("Location")
	if start.StatusCode != 202 || loc == "" {
		t.Fatalf("POST upload = %d, want 202 with a Location", start.StatusCode)
	}
	if resp := c.do("PATCH", loc, data[:5]); resp.StatusCode != 202 {
		t.Fatalf("PATCH = %d", resp.StatusCode)
	}
	if resp := c.do("PUT", loc+"?digest="+oci.Digest([]byte("other")), data[5:]); resp.StatusCode != 400 {
		t.Errorf("a wrong digest was taken: %d", resp.StatusCode)
	}
	start = c.do("POST", "/v2/ns/a/blobs/uploads/?digest="+d, data)
	if start.StatusCode != 201 {
		t.Fatalf("a monolithic upload = %d, want 201", start.StatusCode)
	}
	if resp := c.do("POST", "/v2/ns/b/blobs/uploads/?mount="+d+"&from=ns/a", nil); resp.StatusCode != 201 {
		t.Errorf("mount from a repository holding it = %d, want 201", resp.StatusCode)
	}
	if resp := c.do("POST", "/v2/ns/c/blobs/uploads/?mount="+d+"&from=ns/none", nil); resp.StatusCode != 202 {
		t.Errorf("mount from a repository lacking it = %d, want 202 (an upload instead)", resp.StatusCode)
	}
	got, _ := io.ReadAll(c.do("GET", "/v2/ns/b/blobs/"+d, nil).Body)
	if string(got) != string(data) {
		t.Errorf("the mounted blob reads %q", got)
	}
	if resp := c.do("GET", "/v2/ns/c/blobs/"+d, nil); resp.StatusCode != 404 {
		t.Errorf("a blob never linked into ns/c reads %d, want 404", resp.StatusCode)
	}
}

// TestManifestsAndReferrers: a manifest must name blobs the repository
// holds and be stored under its own digest; the referrers API lists what
// refers to a digest, filtered by artifactType, or is absent (404).
func TestManifestsAndReferrers(t *testing.T) {
	t.Parallel()
	st := oci.NewStore()
	subject := oci.Descriptor{MediaType: oci.MediaOCIManifest, Digest: oci.Digest([]byte("image")), Size: 5}
	bundle, err := st.Attach("ns/a", subject, oci.TypeCosignBundle, oci.TypeCosignBundle, []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Attach("ns/a", subject, oci.TypeNotation, "application/jose+json", []byte(`{"sig":1}`)); err != nil {
		t.Fatal(err)
	}
	bad := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"x","digest":"` + oci.Digest([]byte("nope")) + `","size":4},"layers":[]}`)
	if _, err := st.PutManifest("ns/a", "bad", oci.MediaOCIManifest, bad); err == nil {
		t.Error("a manifest naming a missing blob was taken")
	}
	if _, err := st.PutManifest("ns/a", oci.Digest([]byte("x")), oci.MediaOCIManifest, []byte(`{"schemaVersion":2}`)); err == nil {
		t.Error("a manifest put under another digest was taken")
	}
	for _, tt := range []struct {
		referrers bool
		query     string
		status    int
		n         int
	}{
		{true, "", 200, 2},
		{true, "?artifactType=" + url.QueryEscape(oci.TypeCosignBundle), 200, 1},
		{false, "", 404, 0},
	} {
		c := serve(t, st, oci.Options{Auth: oci.AuthBasic, Referrers: tt.referrers})
		c.basic = [2]string{"uin", "tok"}
		resp := c.do("GET", "/v2/ns/a/referrers/"+subject.Digest+tt.query, nil)
		var idx struct{ Manifests []oci.Descriptor }
		_ = json.NewDecoder(resp.Body).Decode(&idx)
		if resp.StatusCode != tt.status || len(idx.Manifests) != tt.n {
			t.Errorf("referrers %v%s = %d with %d, want %d with %d", tt.referrers, tt.query, resp.StatusCode, len(idx.Manifests), tt.status, tt.n)
		}
	}
	m, _, ok := st.Manifest("ns/a", bundle.Digest)
	if !ok || oci.Digest(m.Body) != bundle.Digest {
		t.Errorf("the bundle does not read back under its digest")
	}
}

// TestBlobRedirect: blobs are served from another host, as TCR serves
// them from COS.
func TestBlobRedirect(t *testing.T) {
	t.Parallel()
	st := oci.NewStore()
	d := st.PutBlob("ns/a", []byte("layer"))
	c := serve(t, st, oci.Options{Auth: oci.AuthBasic, BlobRedirect: "http://cos.example/bucket"})
	c.basic = [2]string{"uin", "tok"}
	resp := c.do("GET", "/v2/ns/a/blobs/"+d, nil)
	if resp.StatusCode != 307 || resp.Header.Get("Location") != "http://cos.example/bucket/"+d {
		t.Errorf("blob GET = %d to %q, want 307 to the bucket", resp.StatusCode, resp.Header.Get("Location"))
	}
}
