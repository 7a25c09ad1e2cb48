package plugin_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tcr-promote/tcr-promote/tcremu"
)

// The cosign tags of digestA, and the digests they point at.
var (
	sigA  = "sha256-" + strings.TrimPrefix(digestA, "sha256:") + ".sig"
	attA  = "sha256-" + strings.TrimPrefix(digestA, "sha256:") + ".att"
	sigAt = "sha256:" + strings.Repeat("5", 64)
	attAt = "sha256:" + strings.Repeat("6", 64)
)

// signedSource gives develop/app:stg a cosign signature and attestation.
func signedSource(f *fixture) {
	_ = f.emu.PutImage("tcr-1", "develop", "app", sigA, sigAt)
	_ = f.emu.PutImage("tcr-1", "develop", "app", attA, attAt)
}

// TestAccessoriesTravel: the source digest's cosign tags end up in the
// destination repository at the same digests — copied where the registry
// does not carry them, left alone where it does — and are reported.
func TestAccessoriesTravel(t *testing.T) {
	t.Parallel()
	eachBehaviour(t, func(t *testing.T, b tcremu.Behaviour) {
		f := newFixture(t, tcremu.WithBehaviour(b))
		signedSource(f)
		res, env := f.promote(t, 0, nil)
		if want := attA + "," + sigA; env["ACCESSORIES"] != want {
			t.Errorf("ACCESSORIES = %q, want %q\n%s", env["ACCESSORIES"], want, res.stdout)
		}
		for tag, at := range map[string]string{sigA: sigAt, attA: attAt} {
			if img, ok := f.emu.Lookup("tcr-1", "release", "app", tag); !ok || img.Digest != at {
				t.Errorf("release/app:%s = %v, want %s", tag, img.Digest, at)
			}
		}
		copies := 3 // the image and its two accessories
		if b.CarriesAccessories && b.IndexLag == 0 {
			copies = 1 // the registry carried them: nothing re-sent
		}
		if n := f.emu.Count("DuplicateImage", ""); n != copies {
			t.Errorf("%d DuplicateImage calls, want %d", n, copies)
		}
		var results []resultJSON
		_ = json.Unmarshal([]byte(env["RESULTS"]), &results)
		if len(results) != 1 || results[0].Accessories != attA+","+sigA {
			t.Errorf("results %+v, want the accessories", results)
		}
	})
}

// TestAccessoriesEdges: what is not carried, and a stale signature in the
// way, which is never overwritten.
func TestAccessoriesEdges(t *testing.T) {
	t.Parallel()
	t.Run("carry_signatures false", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, tcremu.WithBehaviour(tcremu.Behaviours()[1])) // strict: the registry carries nothing
		signedSource(f)
		_, env := f.promote(t, 0, map[string]string{"PLUGIN_CARRY_SIGNATURES": "false"})
		if _, ok := f.emu.Lookup("tcr-1", "release", "app", sigA); ok || env["ACCESSORIES"] != "" {
			t.Errorf("a signature was carried though carry_signatures is false")
		}
	})
	t.Run("the same repository", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		signedSource(f)
		_, env := f.promote(t, 0, map[string]string{"PLUGIN_DESTINATION_NAMESPACE": "develop"})
		if n := f.emu.Count("DuplicateImage", ""); n != 1 || env["ACCESSORIES"] != "" {
			t.Errorf("%d copies, ACCESSORIES %q: the signatures are in that repository already", n, env["ACCESSORIES"])
		}
	})
	t.Run("a stale signature in the way", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, tcremu.WithBehaviour(tcremu.Behaviours()[1]))
		signedSource(f)
		stale := "sha256:" + strings.Repeat("7", 64)
		_ = f.emu.PutImage("tcr-1", "release", "app", sigA, stale)
		res, env := f.promote(t, 73, nil)
		if env["ERROR_CODE"] != "ClientError.AccessoryConflict" || !strings.Contains(res.stderr, "the registry was changed") {
			t.Errorf("outputs %v, want ClientError.AccessoryConflict after the copy\n%s", env, res.stderr)
		}
		if img, _ := f.emu.Lookup("tcr-1", "release", "app", sigA); img.Digest != stale {
			t.Errorf("the stale signature was overwritten")
		}
	})
}

// TestGates: require_signature and require_labels refuse a source before
// any copy — exit 78, nothing copied, a dry run too — and let one that
// meets them through.
func TestGates(t *testing.T) {
	t.Parallel()
	revision := map[string]string{"org.opencontainers.image.revision": "abc123", "team": "web"}
	tests := []struct {
		name  string
		setup func(f *fixture)
		vars  map[string]string
		code  int
		code2 string   // ERROR_CODE
		says  []string // in stderr
	}{
		{name: "kms, unsigned", vars: map[string]string{"PLUGIN_REQUIRE_SIGNATURE": "kms"}, code: 78, code2: "ClientError.Unsigned",
			says: []string{"require_signature is kms, and develop/app:stg (" + digestA + ") has none", "nothing was copied"}},
		{name: "kms, signed", setup: func(f *fixture) { _ = f.emu.SignImage("tcr-1", "develop", "app", "stg") }, vars: map[string]string{"PLUGIN_REQUIRE_SIGNATURE": "kms"}},
		{name: "cosign, unsigned", vars: map[string]string{"PLUGIN_REQUIRE_SIGNATURE": "cosign"}, code: 78, code2: "ClientError.Unsigned"},
		{name: "cosign, signed", setup: signedSource, vars: map[string]string{"PLUGIN_REQUIRE_SIGNATURE": "cosign"}},
		{name: "cosign, only KMS-signed", setup: func(f *fixture) { _ = f.emu.SignImage("tcr-1", "develop", "app", "stg") }, vars: map[string]string{"PLUGIN_REQUIRE_SIGNATURE": "cosign"},
			code: 78, code2: "ClientError.Unsigned", says: []string{"has a KMS signature"}},
		{name: "any, cosign", setup: signedSource, vars: map[string]string{"PLUGIN_REQUIRE_SIGNATURE": "any"}},
		{name: "any, neither", vars: map[string]string{"PLUGIN_REQUIRE_SIGNATURE": "any"}, code: 78, code2: "ClientError.Unsigned"},
		{name: "labels hold", setup: func(f *fixture) {
			f.emu.SetArtifact(digestA, tcremu.Artifact{Platforms: []string{"linux/amd64"}, Labels: revision})
		},
			vars: map[string]string{"PLUGIN_REQUIRE_LABELS": "org.opencontainers.image.revision=abc123"}},
		{name: "a label differs", setup: func(f *fixture) {
			f.emu.SetArtifact(digestA, tcremu.Artifact{Platforms: []string{"linux/amd64"}, Labels: revision})
		},
			vars: map[string]string{"PLUGIN_REQUIRE_LABELS": "org.opencontainers.image.revision=def456,team=web"}, code: 78, code2: "ClientError.LabelMismatch",
			says: []string{"org.opencontainers.image.revision=def456 required, org.opencontainers.image.revision=abc123 found"}},
		{name: "a label absent", vars: map[string]string{"PLUGIN_REQUIRE_LABELS": "team=web"}, code: 78, code2: "ClientError.LabelMismatch", says: []string{"team=web required, absent"}},
		{name: "a dry run is refused too", vars: map[string]string{"PLUGIN_REQUIRE_SIGNATURE": "kms", "PLUGIN_DRY_RUN": "true"}, code: 78, code2: "ClientError.Unsigned"},
		{name: "Drone: never 78, and the log says so", vars: map[string]string{"PLUGIN_REQUIRE_SIGNATURE": "kms", "DRONE": "true", "CI": "true"}, code: 1, code2: "ClientError.Unsigned",
			says: []string{"policy (exit 1)"}},
		{name: "Woodpecker keeps 78", vars: map[string]string{"PLUGIN_REQUIRE_SIGNATURE": "kms", "DRONE": "true", "CI": "woodpecker"}, code: 78, code2: "ClientError.Unsigned",
			says: []string{"policy (exit 78)"}},
		{name: "already there: still refused", setup: func(f *fixture) { _ = f.emu.PutImage("tcr-1", "release", "app", "prd", digestA) },
			vars: map[string]string{"PLUGIN_REQUIRE_SIGNATURE": "kms"}, code: 78, code2: "ClientError.Unsigned"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			if tt.setup != nil {
				tt.setup(f)
			}
			before, _ := f.emu.Lookup("tcr-1", "release", "app", "prd")
			res, env := f.promote(t, tt.code, tt.vars)
			if tt.code == 0 {
				if env["PROMOTED"] != "true" {
					t.Errorf("outputs %v, want promoted", env)
				}
				return
			}
			if env["ERROR_CODE"] != tt.code2 || env["ERROR_CLASS"] != "policy" {
				t.Errorf("outputs %v, want %s, class policy", env, tt.code2)
			}
			if n := f.emu.Count("DuplicateImage", ""); n != 0 {
				t.Errorf("%d copies made past a gate that refused", n)
			}
			if after, _ := f.emu.Lookup("tcr-1", "release", "app", "prd"); after != before {
				t.Errorf("the destination changed")
			}
			for _, s := range tt.says {
				if !strings.Contains(res.stderr, human(s)) {
					t.Errorf("stderr lacks %q:\n%s", s, res.stderr)
				}
			}
		})
	}
}

// TestLabelsOfAnIndex: an index's labels are whatever TCR gives it; where
// it gives none, the refusal says that it read an index.
func TestLabelsOfAnIndex(t *testing.T) {
	t.Parallel()
	eachBehaviour(t, func(t *testing.T, b tcremu.Behaviour) {
		f := newFixture(t, tcremu.WithBehaviour(b))
		f.emu.SetArtifact(digestA, tcremu.Artifact{Platforms: []string{"linux/amd64", "linux/arm64"}, Labels: map[string]string{"team": "web"}})
		code := 0
		if !b.IndexLabels {
			code = 78
		}
		res, env := f.promote(t, code, map[string]string{"PLUGIN_REQUIRE_LABELS": "team=web"})
		if code == 78 && !strings.Contains(res.stderr, "an index (linux/amd64, linux/arm64), for which TCR gives no labels") {
			t.Errorf("the refusal does not say it read an index:\n%s", res.stderr)
		}
		if code == 0 && env["PLATFORMS"] != "linux/amd64,linux/arm64" {
			t.Errorf("PLATFORMS = %q", env["PLATFORMS"])
		}
	})
}

// TestSignAfter: sign: kms leaves the destination KMS-signed — by the
// copy itself where the namespace's policy signs copies, else by
// CreateSignature — and a namespace without a policy is refused before
// any copy.
func TestSignAfter(t *testing.T) {
	t.Parallel()
	eachBehaviour(t, func(t *testing.T, b tcremu.Behaviour) {
		f := newFixture(t, tcremu.WithBehaviour(b))
		_ = f.emu.SetSignaturePolicy("tcr-1", "release", "kms-key-1")
		f.promote(t, 0, map[string]string{"PLUGIN_SIGN": "kms"})
		if img, _ := f.emu.Lookup("tcr-1", "release", "app", "prd"); !strings.HasPrefix(img.KmsSignature, "kms:kms-key-1:") {
			t.Errorf("release/app:prd is not KMS-signed: %q", img.KmsSignature)
		}
		want := 1
		if b.SignsOnCopy {
			want = 0 // signed by the copy already
		}
		if n := f.emu.Count("CreateSignature", ""); n != want {
			t.Errorf("%d CreateSignature calls, want %d", n, want)
		}
	})
	t.Run("no signature policy", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		res, env := f.promote(t, 69, map[string]string{"PLUGIN_SIGN": "kms"})
		if env["ERROR_CODE"] != "ClientError.NoSignaturePolicy" || f.emu.Count("DuplicateImage", "") != 0 {
			t.Errorf("outputs %v, %d copies; want ClientError.NoSignaturePolicy before any copy", env, f.emu.Count("DuplicateImage", ""))
		}
		if !strings.Contains(res.stderr, "has no KMS signature policy") || !strings.Contains(res.stderr, "CreateSignaturePolicy") {
			t.Errorf("the error does not say how to add one:\n%s", res.stderr)
		}
	})
}

// TestRollback: previous_digest is what the destination held; promoting
// it back (any tag of the source repository at that digest) restores it.
func TestRollback(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_ = f.emu.PutImage("tcr-1", "develop", "app", "v1", digestB)
	_ = f.emu.PutImage("tcr-1", "release", "app", "prd", digestB)
	_, env := f.promote(t, 0, map[string]string{"PLUGIN_OVERRIDE": "true"})
	if env["PREVIOUS_DIGEST"] != digestB {
		t.Fatalf("PREVIOUS_DIGEST = %q, want %s", env["PREVIOUS_DIGEST"], digestB)
	}
	_, back := f.promote(t, 0, map[string]string{"PLUGIN_OVERRIDE": "true", "PLUGIN_SOURCE_REFERENCE": env["PREVIOUS_DIGEST"]})
	if img, _ := f.emu.Lookup("tcr-1", "release", "app", "prd"); img.Digest != digestB || back["PREVIOUS_DIGEST"] != digestA {
		t.Errorf("after the rollback prd = %s, PREVIOUS_DIGEST %q; want %s and %s", img.Digest, back["PREVIOUS_DIGEST"], digestB, digestA)
	}
	_, fresh := f.promote(t, 0, map[string]string{"PLUGIN_DESTINATION_TAG": "new"})
	if v, ok := fresh["PREVIOUS_DIGEST"]; ok {
		t.Errorf("PREVIOUS_DIGEST = %q for a destination that did not exist", v)
	}
}

// TestPromotionRecord: record_file holds what was promoted, checked and
// carried, by which run; record_type names its predicate type.
func TestPromotionRecord(t *testing.T) {
	t.Parallel()
	f := newFixture(t, tcremu.WithBehaviour(tcremu.Behaviours()[1]))
	signedSource(f)
	_ = f.emu.SignImage("tcr-1", "develop", "app", "stg")
	_ = f.emu.PutImage("tcr-1", "release", "app", "prd", digestB)
	record := filepath.Join(f.dir, "record.json")
	start := time.Now().Add(-time.Second)
	_, env := f.promote(t, 0, map[string]string{
		"PLUGIN_RECORD_FILE": record, "PLUGIN_OVERRIDE": "true", "PLUGIN_EXPECTED_DIGEST": digestA, "PLUGIN_REQUIRE_SIGNATURE": "any",
		"PLUGIN_DESTINATION_TAG": "prd,v1.4.2",
		"GITHUB_ACTIONS":         "true", "GITHUB_REPOSITORY": "acme/app", "GITHUB_RUN_ID": "4242", "GITHUB_SERVER_URL": "https://github.com",
		"GITHUB_SHA": "0123abc", "GITHUB_ACTOR": "octocat",
	})
	if env["RECORD_TYPE"] != "https://github.com/tcr-promote/tcr-promote/promotion/v1" {
		t.Errorf("RECORD_TYPE = %q", env["RECORD_TYPE"])
	}
	b, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Tool       struct{ Name, Version string }
		Registry   struct{ Host, Instance string }
		Promotions []struct {
			Source struct{ Host, Repository, Tag, Digest string }
			Checks []struct {
				Name, Required, Found string
				Passed                bool
			}
			Destinations []struct {
				Reference, Digest, PreviousDigest, Status, RequestID string
				Accessories                                          []string
				Platforms                                            []string
			}
		}
		Run                   struct{ System, Repository, ID, URL, Commit, Actor string }
		StartedOn, FinishedOn time.Time
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if got.Tool.Name != "tcr-promote" || got.Registry.Instance != "tcr-1" || got.Registry.Host != "acme.tencentcloudcr.com" || len(got.Promotions) != 1 {
		t.Fatalf("record:\n%s", b)
	}
	p := got.Promotions[0]
	if p.Source.Repository != "develop/app" || p.Source.Tag != "stg" || p.Source.Digest != digestA || p.Source.Host != "acme.tencentcloudcr.com" {
		t.Errorf("source %+v", p.Source)
	}
	var checks []string
	for _, c := range p.Checks {
		if !c.Passed {
			t.Errorf("check %+v did not pass", c)
		}
		checks = append(checks, c.Name)
	}
	if diff := cmp.Diff([]string{"verify", "expected_digest", "signature"}, checks); diff != "" {
		t.Errorf("checks (-want +got):\n%s", diff)
	}
	if len(p.Destinations) != 2 {
		t.Fatalf("destinations %+v", p.Destinations)
	}
	prd := p.Destinations[0]
	if prd.Reference != "acme.tencentcloudcr.com/release/app:prd" || prd.Digest != digestA || prd.PreviousDigest != digestB || prd.Status != "promoted" ||
		prd.RequestID != env["REQUEST_IDS"][:strings.Index(env["REQUEST_IDS"], ",")] || !cmp.Equal(prd.Accessories, []string{attA, sigA}, cmpopts.EquateEmpty()) ||
		!cmp.Equal(prd.Platforms, []string{"linux/amd64"}) {
		t.Errorf("destination %+v", prd)
	}
	wantRun := struct{ System, Repository, ID, URL, Commit, Actor string }{"github-actions", "acme/app", "4242", "https://github.com/acme/app/actions/runs/4242", "0123abc", "octocat"}
	if got.Run != wantRun {
		t.Errorf("run %+v, want %+v", got.Run, wantRun)
	}
	if got.StartedOn.Before(start) || got.FinishedOn.Before(got.StartedOn) {
		t.Errorf("times %s – %s", got.StartedOn, got.FinishedOn)
	}
}
