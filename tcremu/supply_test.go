package tcremu_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/tcremu"
)

// TestImageManifests: DescribeImageManifests gives an image its manifest,
// its config (with os/arch and labels) and its labels; an index its
// platforms and, as the behaviour says, no labels or its first image's.
func TestImageManifests(t *testing.T) {
	t.Parallel()
	index := "sha256:" + strings.Repeat("c", 64)
	for _, b := range tcremu.Behaviours() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			emu, srv := fixture(t, tcremu.WithBehaviour(b))
			emu.SetArtifact(digestA, tcremu.Artifact{Platforms: []string{"linux/arm64/v8"}, Labels: map[string]string{"org.opencontainers.image.revision": "abc123"}})
			emu.SetArtifact(index, tcremu.Artifact{Platforms: []string{"linux/amd64", "linux/arm64"}, Labels: map[string]string{"team": "web"}})
			_ = emu.PutImage("tcr-1", "develop", "app", "multi", index)
			c := sdkClient(srv, secretID, secretKey, nil)

			img, code := send(c, "DescribeImageManifests", map[string]any{"RegistryId": "tcr-1", "NamespaceName": "develop", "RepositoryName": "app", "ImageVersion": "stg"})
			if code != "" {
				t.Fatal(code)
			}
			var config struct {
				OS, Architecture, Variant string
				Config                    struct{ Labels map[string]string }
			}
			if err := json.Unmarshal([]byte(img["Config"].(string)), &config); err != nil {
				t.Fatal(err)
			}
			if config.OS != "linux" || config.Architecture != "arm64" || config.Variant != "v8" || config.Config.Labels["org.opencontainers.image.revision"] != "abc123" {
				t.Errorf("config %+v", config)
			}
			if diff := cmp.Diff([]any{map[string]any{"Key": "org.opencontainers.image.revision", "Value": "abc123"}}, img["Labels"]); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}

			idx, code := send(c, "DescribeImageManifests", map[string]any{"RegistryId": "tcr-1", "NamespaceName": "develop", "RepositoryName": "app", "ImageVersion": "multi"})
			if code != "" {
				t.Fatal(code)
			}
			var m struct {
				MediaType string
				Manifests []struct {
					Platform struct{ OS, Architecture string }
				}
			}
			if err := json.Unmarshal([]byte(idx["Manifest"].(string)), &m); err != nil {
				t.Fatal(err)
			}
			if m.MediaType != "application/vnd.oci.image.index.v1+json" || len(m.Manifests) != 2 || m.Manifests[1].Platform.Architecture != "arm64" || idx["Config"] != "" {
				t.Errorf("index %+v, config %q", m, idx["Config"])
			}
			if n := len(idx["Labels"].([]any)); (n == 1) != b.IndexLabels {
				t.Errorf("an index has %d labels under %s", n, b.Name)
			}
		})
	}
}

// TestSignatures: CreateSignature signs an image where the namespace has
// a signature policy, and only there; DescribeImages shows KmsSignature;
// DescribeNamespaces KmsSignPolicy lists only the namespaces that sign.
func TestSignatures(t *testing.T) {
	t.Parallel()
	emu, srv := fixture(t)
	_ = emu.AddNamespace("tcr-1", "signed")
	_ = emu.PutImage("tcr-1", "signed", "app", "v1", digestA)
	_ = emu.PutImage("tcr-1", "release", "app", "v1", digestA)
	if err := emu.SetSignaturePolicy("tcr-1", "signed", "kms-key-1"); err != nil {
		t.Fatal(err)
	}
	c := sdkClient(srv, secretID, secretKey, nil)
	sign := func(ns string) string {
		_, code := send(c, "CreateSignature", map[string]any{"RegistryId": "tcr-1", "NamespaceName": ns, "RepositoryName": "app", "ImageVersion": "v1"})
		return code
	}
	if code := sign("release"); code == "" {
		t.Error("CreateSignature signed in a namespace without a signature policy")
	}
	if code := sign("signed"); code != "" {
		t.Fatalf("CreateSignature: %s", code)
	}
	kms := func(ns string) any {
		resp, _ := send(c, "DescribeImages", map[string]any{"RegistryId": "tcr-1", "NamespaceName": ns, "RepositoryName": "app", "ImageVersion": "v1"})
		return resp["ImageInfoList"].([]any)[0].(map[string]any)["KmsSignature"]
	}
	if s, _ := kms("signed").(string); !strings.HasPrefix(s, "kms:kms-key-1:") {
		t.Errorf("signed image shows KmsSignature %q", s)
	}
	if s := kms("release"); s != "" {
		t.Errorf("unsigned image shows KmsSignature %q", s)
	}
	resp, _ := send(c, "DescribeNamespaces", map[string]any{"RegistryId": "tcr-1", "KmsSignPolicy": true})
	if diff := cmp.Diff([]any{map[string]any{"Name": "signed", "Public": false}}, resp["NamespaceList"]); diff != "" {
		t.Errorf("namespaces that sign (-want +got):\n%s", diff)
	}
}

// TestCopyCarriesAccessories: a copy into another repository carries the
// digest's cosign tags along where the behaviour says Harbor's copy does,
// and not otherwise; a copy into a signing namespace is signed where the
// behaviour says a copy counts as a push.
func TestCopyCarriesAccessories(t *testing.T) {
	t.Parallel()
	sig := "sha256-" + strings.TrimPrefix(digestA, "sha256:") + ".sig"
	for _, b := range tcremu.Behaviours() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			emu, srv := fixture(t, tcremu.WithBehaviour(b))
			_ = emu.PutImage("tcr-1", "develop", "app", sig, "sha256:"+strings.Repeat("5", 64))
			_ = emu.SetSignaturePolicy("tcr-1", "release", "kms-key-1")
			c := sdkClient(srv, secretID, secretKey, nil)
			if _, code := send(c, "DuplicateImage", map[string]any{
				"RegistryId": "tcr-1", "SourceNamespace": "develop", "SourceRepo": "app", "SourceReference": "stg",
				"DestinationNamespace": "release", "DestinationRepo": "app", "DestinationTag": "prd",
			}); code != "" {
				t.Fatal(code)
			}
			if _, carried := emu.Lookup("tcr-1", "release", "app", sig); carried != b.CarriesAccessories {
				t.Errorf("the signature carried: %t, want %t", carried, b.CarriesAccessories)
			}
			if img, _ := emu.Lookup("tcr-1", "release", "app", "prd"); (img.KmsSignature != "") != b.SignsOnCopy {
				t.Errorf("the copy signed: %q, want signed %t", img.KmsSignature, b.SignsOnCopy)
			}
		})
	}
}
