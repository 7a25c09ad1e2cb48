package outputs

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tcr-promote/tcr-promote/internal/golden"
	"github.com/tcr-promote/tcr-promote/plugin/cienv"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/promotion"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"github.com/tcr-promote/tcr-promote/plugin/supply"
)

// TestRecordGolden: the promotion record's schema, by example — the one
// the README documents. Two sources, one of them promoted to two tags, one
// refused by a gate.
func TestRecordGolden(t *testing.T) {
	t.Parallel()
	a := "sha256:" + strings.Repeat("a", 64)
	app := imageref.Ref{Namespace: "develop", Repo: "app", Tag: "stg"}
	api := imageref.Ref{Namespace: "develop", Repo: "api", Tag: "stg"}
	checks := []supply.Check{{Name: "verify", Required: "the source's digest, read before the copy", Found: a, Passed: true},
		{Name: "signature", Required: "any", Found: "a cosign signature (sha256-" + strings.Repeat("a", 64) + ".sig)", Passed: true}}
	results := []promotion.Result{
		{Source: app, Destination: imageref.Ref{Namespace: "release", Repo: "app", Tag: "prd"}, Status: promotion.StatusPromoted, Copied: true, RequestID: "6c169967-6dba-4590-a361-4f1590b17174",
			Digest: a, PreviousDigest: "sha256:" + strings.Repeat("b", 64), Accessories: []string{"sha256-" + strings.Repeat("a", 64) + ".sig"}, Platforms: []string{"linux/amd64", "linux/arm64"}, Signed: "already", Checks: checks,
			Change: promotion.ChangeMove, Where: "promotions.yaml:4:20", Replicas: []promotion.ReplicaState{{Region: "ap-singapore", ID: "tcr-e8pg46c6-sg", State: "ok"}, {Region: "eu-frankfurt", ID: "tcr-e8pg46c6-fra", State: "behind"}}},
		{Source: app, Destination: imageref.Ref{Namespace: "release", Repo: "app", Tag: "v1.4.2"}, Status: promotion.StatusPromoted, Copied: true, RequestID: "0d2b6c9e-1111-4a5b-8c9d-0123456789ab",
			Digest: a, Accessories: []string{"sha256-" + strings.Repeat("a", 64) + ".sig"}, Platforms: []string{"linux/amd64", "linux/arm64"}, Checks: checks},
		{Source: api, Destination: imageref.Ref{Namespace: "release", Repo: "api", Tag: "prd"}, RequestID: "",
			Checks: []supply.Check{{Name: "signature", Required: "any", Found: "none", Passed: false}},
			Err:    &failure.Error{Class: failure.ClassPolicy, Code: failure.CodeUnsigned, Message: "unsigned"}},
	}
	cfg := &settings.Config{RegistryDomain: "acme.tencentcloudcr.com", CI: cienv.Env{Pipeline: cienv.Pipeline{
		System: "github-actions", Repository: "acme/shop", ID: "4242", URL: "https://github.com/acme/shop/actions/runs/4242", Commit: "0123abc", Actor: "octocat"}}}
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	r := NewRecord(cfg, Invocation{Version: "v1.5.0", Started: start, Finished: start.Add(2500 * time.Millisecond), Registry: "tcr-e8pg46c6"}, results)
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "record", string(b)+"\n")
}
