package plugin_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/internal/testenv"
	"github.com/tcr-promote/tcr-promote/tcremu/oci"
)

// The production instance: another region, and in some cases another
// account, with its own registry and token realm.
const (
	prodAccount = "200000000002"
	prodRole    = "qcs::cam::uin/200000000002:roleName/tcr-promote"
)

// across is a fixture with a second instance, tcr-2 at
// prod.tencentcloudcr.com in ap-shanghai, and a real image at
// develop/app:stg in tcr-1's registry.
type across struct {
	*fixture
	prod     *oci.Store
	prodSrv  *oci.Server
	prodURL  string
	digest   string   // the image develop/app:stg points at
	blobs    []string // its config and layers
	blobSize int64    // theirs, summed
}

func newAcross(t *testing.T, account string, o oci.Options) *across {
	t.Helper()
	f := newFixture(t)
	if account == "" {
		f.emu.AddInstance("tcr-2", "ap-shanghai", "prod.tencentcloudcr.com")
	} else {
		f.emu.AddInstanceOf(account, "tcr-2", "ap-shanghai", "prod.tencentcloudcr.com")
	}
	if err := f.emu.AddNamespace("tcr-2", "release"); err != nil {
		t.Fatal(err)
	}
	o.Referrers = true
	prodSrv := f.emu.RegistryServer("tcr-2", o)
	prod := httptest.NewServer(prodSrv)
	t.Cleanup(prod.Close)
	a := &across{fixture: f, prod: f.emu.Store("tcr-2"), prodSrv: prodSrv, prodURL: prod.URL}
	a.digest, a.blobs = pushImage(t, f.emu.Store("tcr-1"), "develop/app", "stg", 3, 300<<10)
	for _, b := range a.blobs {
		data, _ := f.emu.Store("tcr-1").Blob("develop/app", b)
		a.blobSize += int64(len(data))
	}
	return a
}

// pushImage pushes an image of a config and n layers of size bytes each,
// distinct to the repository and tag, and tags it.
func pushImage(t *testing.T, st *oci.Store, repo, tag string, n, size int) (string, []string) {
	t.Helper()
	config := st.PutBlob(repo, []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","tag":%q}`, repo+":"+tag)))
	blobs := []string{config}
	var layers []oci.Descriptor
	for i := range n {
		data := []byte(strings.Repeat(fmt.Sprintf("%s:%s layer %d;", repo, tag, i), size/20+1)[:size])
		d := st.PutBlob(repo, data)
		blobs = append(blobs, d)
		layers = append(layers, oci.Descriptor{MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Digest: d, Size: int64(len(data))})
	}
	cfg, _ := st.Blob(repo, config)
	m, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": oci.MediaOCIManifest,
		"config": oci.Descriptor{MediaType: "application/vnd.oci.image.config.v1+json", Digest: config, Size: int64(len(cfg))}, "layers": layers})
	d, err := st.PutManifest(repo, tag, oci.MediaOCIManifest, m)
	if err != nil {
		t.Fatal(err)
	}
	return d, blobs
}

// vars are the settings of a promotion from tcr-1 to tcr-2.
func (a *across) vars(extra map[string]string) map[string]string {
	return testenv.With(map[string]string{
		"PLUGIN_SOURCE_IMAGE":                  "acme.tencentcloudcr.com/develop/app:stg",
		"PLUGIN_DESTINATION_IMAGE":             "prod.tencentcloudcr.com/release/app:prd",
		"PLUGIN_DESTINATION_REGISTRY_ENDPOINT": a.prodURL,
		"PLUGIN_REGISTRY_ENDPOINT":             a.reg.URL,
		"PLUGIN_SECRET_ID":                     secretID,
		"PLUGIN_SECRET_KEY":                    secretKey,
		"PLUGIN_ENDPOINT":                      a.srv.URL,
		"PLUGIN_STS_ENDPOINT":                  a.srv.URL,
		"PLUGIN_OUTPUT_FILE":                   a.dir + "/out.env",
	}, extra)
}

func (a *across) run(t *testing.T, code int, extra map[string]string) (runResult, map[string]string) {
	t.Helper()
	res := run(t, a.vars(extra))
	if res.code != code {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", res.code, code, res.stdout, res.stderr)
	}
	return res, readDotenv(t, a.dir+"/out.env")
}

// copied checks that release/app:prd in tcr-2 is the source's manifest,
// byte for byte, with every blob.
func (a *across) copied(t *testing.T) {
	t.Helper()
	src, _, _ := a.emu.Store("tcr-1").Manifest("develop/app", a.digest)
	dst, d, ok := a.prod.Manifest("release/app", "prd")
	if !ok || d != a.digest || string(dst.Body) != string(src.Body) {
		t.Fatalf("release/app:prd in tcr-2 is %s (found %v), want %s byte for byte", d, ok, a.digest)
	}
	for _, b := range a.blobs {
		if _, ok := a.prod.Blob("release/app", b); !ok {
			t.Errorf("blob %s is not at the destination", b)
		}
	}
}

func TestAcrossInstances(t *testing.T) {
	t.Parallel()
	a := newAcross(t, "", oci.Options{})
	res, env := a.run(t, 0, nil)
	a.copied(t)
	var results []map[string]string
	if err := json.Unmarshal([]byte(env["RESULTS"]), &results); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{"image": env["IMAGE"], "digest": env["DIGEST"], "copied_bytes": env["COPIED_BYTES"],
		"via": results[0]["via"], "destination": results[0]["destination"], "promoted": env["PROMOTED"]}
	want := map[string]string{"image": "prod.tencentcloudcr.com/release/app:prd@" + a.digest, "digest": a.digest,
		"copied_bytes": strconv.FormatInt(a.blobSize, 10), "via": "registry", "destination": "prod.tencentcloudcr.com/release/app:prd", "promoted": "true"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outputs (-want +got):\n%s\n%s", diff, res.stdout)
	}
	if n := a.emu.Count("DuplicateImage", ""); n != 0 {
		t.Errorf("%d DuplicateImage calls: across instances there is none", n)
	}
	for _, tok := range a.emu.InstanceTokens() {
		if strings.Contains(res.stdout+res.stderr+env["RESULTS"], tok) {
			t.Errorf("an instance token was printed")
		}
	}
	if len(a.emu.InstanceTokens()) != 2 {
		t.Errorf("%d instance tokens, want one for each side", len(a.emu.InstanceTokens()))
	}

	// Again: everything is there, nothing moves.
	_, env = a.run(t, 0, nil)
	if env["COPIED_BYTES"] != "0" || !strings.Contains(env["RESULTS"], `"change":"already_there"`) {
		t.Errorf("second run: copied_bytes %s, results %s", env["COPIED_BYTES"], env["RESULTS"])
	}
}

func TestAcrossOnlyMissingBlobs(t *testing.T) {
	t.Parallel()
	a := newAcross(t, "", oci.Options{})
	// Half there already: the config and the first layer.
	var there int64
	for _, b := range a.blobs[:2] {
		data, _ := a.emu.Store("tcr-1").Blob("develop/app", b)
		a.prod.PutBlob("release/app", data)
		there += int64(len(data))
	}
	_, env := a.run(t, 0, nil)
	a.copied(t)
	if want := strconv.FormatInt(a.blobSize-there, 10); env["COPIED_BYTES"] != want {
		t.Errorf("copied_bytes %s, want %s (only the missing blobs)", env["COPIED_BYTES"], want)
	}
}

func TestAcrossIndexKeepsItsDigest(t *testing.T) {
	t.Parallel()
	a := newAcross(t, "", oci.Options{})
	src := a.emu.Store("tcr-1")
	amd, _ := pushImage(t, src, "develop/app", "amd64", 1, 1000)
	arm, _ := pushImage(t, src, "develop/app", "arm64", 1, 1000)
	var manifests []oci.Descriptor
	for _, d := range []string{amd, arm} {
		m, _, _ := src.Manifest("develop/app", d)
		manifests = append(manifests, oci.Descriptor{MediaType: oci.MediaOCIManifest, Digest: d, Size: int64(len(m.Body))})
	}
	body, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": oci.MediaOCIIndex, "manifests": manifests})
	idx, err := src.PutManifest("develop/app", "stg", oci.MediaOCIIndex, body)
	if err != nil {
		t.Fatal(err)
	}
	_, env := a.run(t, 0, nil)
	got, d, ok := a.prod.Manifest("release/app", "prd")
	if !ok || d != idx || string(got.Body) != string(body) || env["DIGEST"] != idx {
		t.Fatalf("the index arrived as %s (output %s), want %s byte for byte", d, env["DIGEST"], idx)
	}
	for _, child := range []string{amd, arm} {
		if _, _, ok := a.prod.Manifest("release/app", child); !ok {
			t.Errorf("child %s did not travel", child)
		}
	}
}

func TestAcrossAccounts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		extra map[string]string
		code  int
		says  string
	}{
		{name: "the source's credentials cannot see it", code: 66, says: "destination_role_arn"},
		{name: "destination keys", extra: map[string]string{"PLUGIN_DESTINATION_SECRET_ID": "AKIDprod0123456789", "PLUGIN_DESTINATION_SECRET_KEY": "prod-secret-key-0123456789"}},
		{name: "a role of that account", extra: map[string]string{"PLUGIN_DESTINATION_ROLE_ARN": prodRole}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := newAcross(t, prodAccount, oci.Options{})
			a.emu.AddAccountKey(prodAccount, "AKIDprod0123456789", "prod-secret-key-0123456789")
			a.emu.TrustAccount(prodRole, "100000000001")
			res, _ := a.run(t, tt.code, tt.extra)
			if tt.code != 0 {
				if !strings.Contains(res.stdout+res.stderr, tt.says) {
					t.Errorf("the failure does not say %q:\n%s", tt.says, res.stdout)
				}
				return
			}
			a.copied(t)
			out := res.stdout + res.stderr
			for _, c := range a.emu.IssuedCredentials() {
				if strings.Contains(out, c.SecretKey) || strings.Contains(out, c.Token) {
					t.Errorf("temporary credentials were printed")
				}
			}
			if strings.Contains(out, "prod-secret-key-0123456789") {
				t.Errorf("destination_secret_key was printed")
			}
		})
	}
}

func TestAcrossRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, a *across)
		o     oci.Options
		extra map[string]string
		code  int
		says  string
	}{
		{name: "the tag exists elsewhere", code: 73, says: "set override", setup: func(t *testing.T, a *across) {
			pushImage(t, a.prod, "release/app", "prd", 1, 100)
		}},
		{name: "the tag exists elsewhere, override", extra: map[string]string{"PLUGIN_OVERRIDE": "true"}, setup: func(t *testing.T, a *across) {
			pushImage(t, a.prod, "release/app", "prd", 1, 100)
		}},
		{name: "no such namespace there", code: 66, says: "create the namespace", extra: map[string]string{"PLUGIN_DESTINATION_IMAGE": "prod.tencentcloudcr.com/missing/app:prd"}},
		{name: "a corrupted blob", code: 1, says: "is not what its digest says", o: oci.Options{Blob: func(d string, served int) oci.BlobFault { return oci.BlobCorrupt }}},
		{name: "a blob cut once is retried alone", o: oci.Options{Blob: func(d string, served int) oci.BlobFault {
			if served == 0 {
				return oci.BlobCut
			}
			return oci.BlobWhole
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := newAcross(t, "", oci.Options{})
			if tt.o.Blob != nil {
				// The source's registry spoils what it serves.
				srv := httptest.NewServer(a.emu.RegistryServer("tcr-1", oci.Options{Referrers: true, Blob: tt.o.Blob}))
				t.Cleanup(srv.Close)
				tt.extra = testenv.With(map[string]string{"PLUGIN_REGISTRY_ENDPOINT": srv.URL}, tt.extra)
			}
			if tt.setup != nil {
				tt.setup(t, a)
			}
			res, _ := a.run(t, tt.code, tt.extra)
			if tt.code != 0 {
				if !strings.Contains(res.stdout+res.stderr, tt.says) {
					t.Errorf("the failure does not say %q:\n%s", tt.says, res.stdout)
				}
				if _, d, ok := a.prod.Manifest("release/app", "prd"); ok && d == a.digest {
					t.Errorf("refused, yet the destination was tagged")
				}
				return
			}
			a.copied(t)
		})
	}
}

func TestAcrossCarriesSignatures(t *testing.T) {
	t.Parallel()
	a := newAcross(t, "", oci.Options{})
	src := a.emu.Store("tcr-1")
	m, _, _ := src.Manifest("develop/app", a.digest)
	subject := oci.Descriptor{MediaType: oci.MediaOCIManifest, Digest: a.digest, Size: int64(len(m.Body))}
	bundle, err := src.Attach("develop/app", subject, oci.TypeCosignBundle, oci.TypeCosignBundle, []byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`))
	if err != nil {
		t.Fatal(err)
	}
	sigTag := "sha256-" + strings.TrimPrefix(a.digest, "sha256:") + ".sig"
	sig, _ := pushImage(t, src, "develop/app", sigTag, 1, 200)
	_, env := a.run(t, 0, map[string]string{"PLUGIN_REQUIRE_SIGNATURE": "cosign"})
	if _, _, ok := a.prod.Manifest("release/app", bundle.Digest); !ok {
		t.Errorf("the cosign bundle did not travel")
	}
	if _, d, ok := a.prod.Manifest("release/app", sigTag); !ok || d != sig {
		t.Errorf("the .sig tag did not travel: %s", d)
	}
	if !strings.Contains(env["ACCESSORIES"], "cosign-bundle@"+bundle.Digest) || !strings.Contains(env["ACCESSORIES"], sigTag) {
		t.Errorf("ACCESSORIES = %q", env["ACCESSORIES"])
	}
}

// TestAcrossFromFile: a promotion file may list destinations on another
// instance beside ones on its own: each goes its way, and the results say
// which.
func TestAcrossFromFile(t *testing.T) {
	t.Parallel()
	a := newAcross(t, "", oci.Options{})
	vars := testenv.With(a.vars(nil), a.promotionFile(t, `registry: acme.tencentcloudcr.com
promotions:
  - source: develop/app@`+a.digest+`
    destinations: [release/app:prd, PROD.tencentcloudcr.com/release/app:prd]
`))
	for _, k := range []string{"PLUGIN_SOURCE_IMAGE", "PLUGIN_DESTINATION_IMAGE"} {
		delete(vars, k)
	}
	// Planned first: nothing is copied, and the plan names the other
	// instance's destination.
	plan, _ := a.runFile(t, 0, testenv.With(vars, map[string]string{"PLUGIN_MODE": "plan"}))
	if _, _, ok := a.prod.Manifest("release/app", "prd"); ok {
		t.Fatal("a plan copied")
	}
	if !strings.Contains(plan.stdout, "prod.tencentcloudcr.com/release/app:prd") {
		t.Errorf("the plan does not name the other instance's destination:\n%s", plan.stdout)
	}

	res, env := a.runFile(t, 0, vars)
	a.copied(t)
	if want := fmt.Sprintf("→ prod.tencentcloudcr.com/release/app:prd (%s…, %d bytes of blobs copied through the registries)", a.digest[:19], a.blobSize); !strings.Contains(res.stdout, want) {
		t.Errorf("the log lacks %q:\n%s", want, res.stdout)
	}
	var results []map[string]string
	if err := json.Unmarshal([]byte(env["RESULTS"]), &results); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range results {
		got[r["destination"]] = r["via"] + " " + r["change"]
	}
	want := map[string]string{
		"release/app:prd":                         "duplicate create",
		"prod.tencentcloudcr.com/release/app:prd": "registry create",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s\n%s", diff, res.stdout)
	}
	if env["COPIED_BYTES"] != strconv.FormatInt(a.blobSize, 10) {
		t.Errorf("copied_bytes %s, want %d", env["COPIED_BYTES"], a.blobSize)
	}
}
