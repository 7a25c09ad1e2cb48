package plugin_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tcr-promote/tcr-promote/internal/testenv"
	"github.com/tcr-promote/tcr-promote/plugin"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/spelling"
	"github.com/tcr-promote/tcr-promote/tcremu/oci"
)

// The image the fixture's develop/app:stg points at, as a referrer names
// its subject.
var subjectA = oci.Descriptor{MediaType: oci.MediaOCIManifest, Digest: digestA, Size: 1234}

// signed attaches to develop/app's digestA what the test's tools would
// push: each kind of referrer, by the referrers API (listed by the
// registry itself) or, with fallback, listed in the fallback tag's index
// as a client writes it where the API is missing.
func signed(t *testing.T, f *fixture, fallback bool, kinds ...string) map[string]oci.Descriptor {
	t.Helper()
	st := f.emu.Store("tcr-1")
	out := map[string]oci.Descriptor{}
	for _, kind := range kinds {
		var d oci.Descriptor
		var err error
		switch kind {
		case "cosign-bundle":
			d, err = st.Attach("develop/app", subjectA, oci.TypeCosignBundle, oci.TypeCosignBundle, []byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{},"messageSignature":{}}`))
		case "notation":
			d, err = st.Attach("develop/app", subjectA, oci.TypeNotation, "application/jose+json", []byte(`{"payload":"eyJ0YXJnZXRBcnRpZmFjdCI6e319","protected":"e30","signature":"c2ln"}`))
		case "sbom":
			d, err = st.Attach("develop/app", subjectA, oci.TypeSPDX, oci.TypeSPDX, []byte(`{"spdxVersion":"SPDX-2.3","name":"app"}`))
		}
		if err != nil {
			t.Fatal(err)
		}
		if fallback {
			if err := st.ListInFallback("develop/app", digestA, d); err != nil {
				t.Fatal(err)
			}
		}
		out[kind] = d
	}
	return out
}

// withoutReferrersAPI is tcr-1's registry as one without the referrers
// API serves it (distribution 2.8, an older Harbor).
func withoutReferrersAPI(t *testing.T, f *fixture) (*oci.Server, string) {
	t.Helper()
	srv := f.emu.RegistryServer("tcr-1", oci.Options{})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, ts.URL
}

// TestGatesSeeReferrers: require_signature passes on today's signatures —
// a cosign v3 bundle or a Notation signature, attached as OCI referrers —
// found by the referrers API or by the fallback tag, and refuses (78)
// without one.
func TestGatesSeeReferrers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		want     string   // require_signature
		kinds    []string // attached to the source
		fallback bool     // listed by the fallback tag, on a registry without the API
		code     int
	}{
		{"cosign v3 bundle by the referrers API", "cosign", []string{"cosign-bundle"}, false, 0},
		{"cosign v3 bundle by the fallback tag", "cosign", []string{"cosign-bundle"}, true, 0},
		{"notation by the referrers API", "notation", []string{"notation"}, false, 0},
		{"notation by the fallback tag", "notation", []string{"notation"}, true, 0},
		{"any, notation", "any", []string{"notation"}, false, 0},
		{"cosign wanted, notation only", "cosign", []string{"notation"}, false, 78},
		{"notation wanted, an SBOM only", "notation", []string{"sbom"}, false, 78},
		{"no signature at all", "any", nil, false, 78},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			signed(t, f, tt.fallback, tt.kinds...)
			vars := map[string]string{"PLUGIN_REQUIRE_SIGNATURE": tt.want}
			if tt.fallback {
				_, vars["PLUGIN_REGISTRY_ENDPOINT"] = withoutReferrersAPI(t, f)
			}
			res, env := f.promote(t, tt.code, vars)
			_, copied := f.emu.Lookup("tcr-1", "release", "app", "prd")
			switch {
			case tt.code == 0 && !copied:
				t.Errorf("the gate passed, but nothing was copied")
			case tt.code == 78 && (copied || env["ERROR_CODE"] != failure.CodeUnsigned):
				t.Errorf("refused: copied %v, ERROR_CODE %s, want nothing copied and %s\n%s", copied, env["ERROR_CODE"], failure.CodeUnsigned, res.stderr)
			}
		})
	}
}

// TestReferrersCarried: with carry_signatures (the default) every
// referrer of the source digest reaches the destination repository byte
// for byte — the same digest, its blobs mounted, never moved — and is
// listed there by the referrers API, or by the fallback tag (merged with
// what it already held); a referrer of a referrer travels too; outputs
// name each as <kind>@<digest>, beside the cosign tags.
func TestReferrersCarried(t *testing.T) {
	t.Parallel()
	for _, fallback := range []bool{false, true} {
		name := map[bool]string{false: "referrers API", true: "fallback tag"}[fallback]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			st := f.emu.Store("tcr-1")
			refs := signed(t, f, fallback, "cosign-bundle", "notation", "sbom")
			// A signature of the SBOM: a referrer of a referrer.
			sbomSig, err := st.Attach("develop/app", refs["sbom"], oci.TypeCosignBundle, oci.TypeCosignBundle, []byte(`{"sbom":"signed"}`))
			if err != nil {
				t.Fatal(err)
			}
			// The legacy form beside them.
			sigTag := "sha256-" + strings.TrimPrefix(digestA, "sha256:") + ".sig"
			if err := f.emu.PutImage("tcr-1", "develop", "app", sigTag, digestB); err != nil {
				t.Fatal(err)
			}
			srv, endpoint := f.regsrv, f.reg.URL
			if fallback {
				if err := st.ListInFallback("develop/app", refs["sbom"].Digest, sbomSig); err != nil {
					t.Fatal(err)
				}
				srv, endpoint = withoutReferrersAPI(t, f)
				// Another tool's referrer already listed at the destination.
				other, err := st.Attach("release/app", subjectA, "application/vnd.example.scan+json", "application/json", []byte(`{"scan":"ok"}`))
				if err != nil {
					t.Fatal(err)
				}
				if err := st.ListInFallback("release/app", digestA, other); err != nil {
					t.Fatal(err)
				}
			}
			res, env := f.promote(t, 0, map[string]string{"PLUGIN_REGISTRY_ENDPOINT": endpoint})

			wantNames := []string{sigTag}
			for _, d := range []oci.Descriptor{refs["cosign-bundle"], refs["notation"], refs["sbom"], sbomSig} {
				src, _, _ := st.Manifest("develop/app", d.Digest)
				dst, _, ok := st.Manifest("release/app", d.Digest)
				if !ok || string(dst.Body) != string(src.Body) {
					t.Errorf("referrer %s is not at the destination byte for byte", d.Digest)
				}
			}
			for kind, d := range map[string]oci.Descriptor{"cosign-bundle": refs["cosign-bundle"], "notation": refs["notation"], "sbom": refs["sbom"]} {
				wantNames = append(wantNames, kind+"@"+d.Digest)
			}
			wantNames = append(wantNames, "cosign-bundle@"+sbomSig.Digest)
			got := strings.Split(env["ACCESSORIES"], ",")
			for _, w := range wantNames {
				if !slices.Contains(got, w) {
					t.Errorf("ACCESSORIES = %q, lacks %s\n%s", env["ACCESSORIES"], w, res.stdout)
				}
			}
			listed := st.Referrers("release/app", digestA)
			if fallback {
				listed = st.FallbackIndex("release/app", digestA)
				if len(listed) != 4 { // the three carried and the other tool's
					t.Errorf("the destination's fallback index lists %d, want 4 (merged): %+v", len(listed), listed)
				}
				for _, d := range listed {
					if d.ArtifactType == "" {
						t.Errorf("fallback entry %s lost its artifactType", d.Digest)
					}
				}
				if sub := st.FallbackIndex("release/app", refs["sbom"].Digest); len(sub) != 1 || sub[0].Digest != sbomSig.Digest {
					t.Errorf("the SBOM's own fallback index at the destination = %+v, want its signature", sub)
				}
			} else if len(listed) != 3 {
				t.Errorf("the destination's referrers API lists %d, want 3: %+v", len(listed), listed)
			}
			if n := srv.Count("PATCH upload") + srv.Count("GET blob"); n != 0 {
				t.Errorf("%d blob reads or uploads: within one instance blobs are mounted, never moved", n)
			}
			if srv.Count("POST upload") == 0 {
				t.Errorf("no blob was mounted")
			}
		})
	}
}

// TestRegistryUnreachable: a gate never passes on what it could not read —
// a registry that does not answer is 75, a token refused 77, naming the
// endpoint, nothing copied; without a gate, the promotion stands with one
// warning and nothing reported as carried.
func TestRegistryUnreachable(t *testing.T) {
	t.Parallel()
	closed := httptest.NewServer(nil)
	closed.Close() // nothing listens there now
	tests := []struct {
		name  string
		vars  map[string]string
		deny  bool // CreateInstanceToken refused by CAM
		code  int
		class failure.Class
	}{
		{"a gate, no answer", map[string]string{"PLUGIN_REQUIRE_SIGNATURE": "notation", "PLUGIN_REGISTRY_ENDPOINT": closed.URL, "PLUGIN_RETRIES": "1"}, false, 75, failure.ClassTemporary},
		{"a gate, no token", map[string]string{"PLUGIN_REQUIRE_SIGNATURE": "cosign"}, true, 77, failure.ClassPermission},
		{"a plan, no answer", map[string]string{"PLUGIN_REQUIRE_SIGNATURE": "any", "PLUGIN_MODE": "plan", "PLUGIN_REGISTRY_ENDPOINT": closed.URL, "PLUGIN_RETRIES": "0"}, false, 75, failure.ClassTemporary},
		{"no gate, no answer", map[string]string{"PLUGIN_REGISTRY_ENDPOINT": closed.URL, "PLUGIN_RETRIES": "0"}, false, 0, 0},
		{"no gate, no token", nil, true, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			signed(t, f, false, "cosign-bundle")
			if tt.deny {
				f.emu.Deny(secretID, "CreateInstanceToken")
			}
			res, env := f.promote(t, tt.code, tt.vars)
			_, copied := f.emu.Lookup("tcr-1", "release", "app", "prd")
			if tt.code != 0 {
				if copied || env["ERROR_CLASS"] != tt.class.String() {
					t.Errorf("copied %v, ERROR_CLASS %q; want nothing copied, %s\n%s", copied, env["ERROR_CLASS"], tt.class, res.stderr)
				}
				if !tt.deny && !strings.Contains(res.stderr, closed.URL) {
					t.Errorf("the endpoint is not named:\n%s", res.stderr)
				}
				return
			}
			if !copied || env["ACCESSORIES"] != "" || strings.Count(res.stdout, "warning: the referrers of develop/app") != 1 {
				t.Errorf("copied %v, ACCESSORIES %q; want the copy, nothing said carried, one warning\n%s", copied, env["ACCESSORIES"], res.stdout)
			}
		})
	}
}

// TestInstanceTokenNeverShown: the registry's token is masked wherever
// the step writes — the log under debug, outputs, the record.
func TestInstanceTokenNeverShown(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	signed(t, f, false, "cosign-bundle")
	record := filepath.Join(f.dir, "record.json")
	res, _ := f.promote(t, 0, map[string]string{"PLUGIN_DEBUG": "true", "PLUGIN_REQUIRE_SIGNATURE": "cosign", "PLUGIN_RECORD_FILE": record})
	tokens := f.emu.InstanceTokens()
	if len(tokens) == 0 {
		t.Fatal("no instance token was asked for")
	}
	rec, _ := os.ReadFile(record)
	out, _ := os.ReadFile(filepath.Join(f.dir, "out.env"))
	for _, tok := range tokens {
		for name, text := range map[string]string{"stdout": res.stdout, "stderr": res.stderr, "record": string(rec), "outputs": string(out)} {
			if strings.Contains(text, tok) {
				t.Errorf("the instance token is in %s", name)
			}
		}
	}
}

// TestSignatureOnAnotherSubject: a signature listed for the image whose
// subject is something else (a registry's, or a hostile index's, say-so)
// does not pass the gate.
func TestSignatureOnAnotherSubject(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	st := f.emu.Store("tcr-1")
	sbom := signed(t, f, false, "sbom")["sbom"]
	sig, err := st.Attach("develop/app", sbom, oci.TypeCosignBundle, oci.TypeCosignBundle, []byte(`{"of":"the sbom"}`))
	if err != nil {
		t.Fatal(err)
	}
	// Listed under the image's fallback tag, though it signs the SBOM.
	if err := st.ListInFallback("develop/app", digestA, sig); err != nil {
		t.Fatal(err)
	}
	_, endpoint := withoutReferrersAPI(t, f)
	res, env := f.promote(t, 78, testenv.With(map[string]string{"PLUGIN_REQUIRE_SIGNATURE": "cosign"}, map[string]string{"PLUGIN_REGISTRY_ENDPOINT": endpoint}))
	if env["ERROR_CODE"] != failure.CodeUnsigned {
		t.Errorf("ERROR_CODE %s, want %s\n%s", env["ERROR_CODE"], failure.CodeUnsigned, res.stderr)
	}
}

// TestRegistryTakingBasic: a registry that takes the instance token as
// Basic credentials directly, without a token service, serves as well.
func TestRegistryTakingBasic(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	signed(t, f, false, "cosign-bundle")
	reg := httptest.NewServer(f.emu.RegistryServer("tcr-1", oci.Options{Auth: oci.AuthBasic, Referrers: true}))
	t.Cleanup(reg.Close)
	_, env := f.promote(t, 0, map[string]string{"PLUGIN_REQUIRE_SIGNATURE": "cosign", "PLUGIN_REGISTRY_ENDPOINT": reg.URL})
	if !strings.HasPrefix(env["ACCESSORIES"], "cosign-bundle@sha256:") {
		t.Errorf("ACCESSORIES = %q, want the bundle carried", env["ACCESSORIES"])
	}
}

// TestRegistryAtTheInstanceDomain: without registry_endpoint the
// registry is https:// and the instance's PublicDomain — here resolved to
// a local TLS registry by the transport, as DNS would resolve it.
func TestRegistryAtTheInstanceDomain(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	signed(t, f, false, "notation")
	reg := httptest.NewUnstartedServer(f.emu.RegistryServer("tcr-1", oci.Options{Referrers: true}))
	reg.StartTLS()
	t.Cleanup(reg.Close)
	pool := x509.NewCertPool()
	pool.AddCert(reg.Certificate())
	var dialer net.Dialer
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr == "acme.tencentcloudcr.com:443" {
				addr = reg.Listener.Addr().String()
			}
			return dialer.DialContext(ctx, network, addr)
		},
		// httptest's certificate names example.com.
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "example.com"},
	}
	out := filepath.Join(f.dir, "out.env")
	var stdout, stderr strings.Builder
	r := &plugin.Runner{
		Env:    spelling.Environment(testenv.With(f.droneVars(), map[string]string{"PLUGIN_REQUIRE_SIGNATURE": "notation", "PLUGIN_OUTPUT_FILE": out})),
		Stdout: &stdout, Stderr: &stderr, Transport: transport, Clock: clockOf(map[string]string{"e": f.srv.URL}),
		Backoff: func(int) time.Duration { return 0 },
	}
	if code := r.Run(context.Background(), []string{"tcr-promote"}); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if env := readDotenv(t, out); !strings.HasPrefix(env["ACCESSORIES"], "notation@sha256:") {
		t.Errorf("ACCESSORIES = %q, want the Notation signature carried", env["ACCESSORIES"])
	}
}
