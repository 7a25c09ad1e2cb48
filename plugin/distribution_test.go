package plugin_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/internal/registrytest"
	"github.com/tcr-promote/tcr-promote/tcremu/oci"
)

// TestAcrossIntoDistribution copies into a real registry server: Debian's
// docker-registry (distribution 2.8) behind the emulator's token service,
// as Harbor's registry sits behind its own. Its upload protocol, its
// check that an index's children and a manifest's blobs are there before
// the manifest, and its HEAD answers are the real ones.
func TestAcrossIntoDistribution(t *testing.T) {
	t.Parallel()
	dist := registrytest.New(t)
	u, err := url.Parse(dist.URL)
	if err != nil {
		t.Fatal(err)
	}
	a := newAcross(t, "", oci.Options{Backend: httputil.NewSingleHostReverseProxy(u)})

	// A two-platform index of real layers, a megabyte each.
	src := a.emu.Store("tcr-1")
	var children []oci.Descriptor
	var blobs []string
	var size int64
	for _, platform := range []string{"amd64", "arm64"} {
		d, bs := pushImage(t, src, "develop/app", platform, 2, 1<<20)
		m, _, _ := src.Manifest("develop/app", d)
		children = append(children, oci.Descriptor{MediaType: oci.MediaOCIManifest, Digest: d, Size: int64(len(m.Body))})
		for _, b := range bs {
			data, _ := src.Blob("develop/app", b)
			size += int64(len(data))
		}
		blobs = append(blobs, bs...)
	}
	body, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": oci.MediaOCIIndex, "manifests": children})
	idx, err := src.PutManifest("develop/app", "stg", oci.MediaOCIIndex, body)
	if err != nil {
		t.Fatal(err)
	}

	res, env := a.run(t, 0, nil)
	got := map[string]string{"digest": env["DIGEST"], "copied_bytes": env["COPIED_BYTES"], "promoted": env["PROMOTED"]}
	want := map[string]string{"digest": idx, "copied_bytes": strconv.FormatInt(size, 10), "promoted": "true"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("outputs (-want +got):\n%s\n%s%s", diff, res.stdout, res.stderr)
	}

	// Read back from docker-registry itself, not through the gate.
	d, stored := fetch(t, http.MethodGet, dist.URL+"/v2/release/app/manifests/prd", oci.MediaOCIIndex)
	if d != idx || string(stored) != string(body) {
		t.Errorf("docker-registry holds release/app:prd at %s, want %s byte for byte", d, idx)
	}
	for _, c := range children {
		if d, _ := fetch(t, http.MethodHead, dist.URL+"/v2/release/app/manifests/"+c.Digest, oci.MediaOCIManifest); d != c.Digest {
			t.Errorf("child %s did not travel", c.Digest)
		}
	}
	for _, b := range blobs {
		_, data := fetch(t, http.MethodGet, dist.URL+"/v2/release/app/blobs/"+b, "")
		if sum := sha256.Sum256(data); "sha256:"+hex.EncodeToString(sum[:]) != b {
			t.Errorf("blob %s is not at the destination whole", b)
		}
	}
	if n := a.prodSrv.Count("PUT backend"); n == 0 {
		t.Error("nothing was written through the gate")
	}

	// Again: all there, nothing moves.
	_, env = a.run(t, 0, nil)
	if env["COPIED_BYTES"] != "0" || !strings.Contains(env["RESULTS"], `"change":"already_there"`) {
		t.Errorf("second run: copied_bytes %s, results %s", env["COPIED_BYTES"], env["RESULTS"])
	}
}

// fetch asks docker-registry directly, returning the digest it answers
// with and the body; it fails the test on anything but 200.
func fetch(t *testing.T, method, u, accept string) (string, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %v", method, u, resp.StatusCode, err)
	}
	return resp.Header.Get("Docker-Content-Digest"), data
}
