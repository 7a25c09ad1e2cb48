package outputs

import (
	"testing"

	"github.com/tcr-promote/tcr-promote/internal/golden"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/promotion"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"github.com/tcr-promote/tcr-promote/plugin/supply"
)

// TestPlanGolden: the plan as markdown, one row per kind of line; text
// from the API (an error message) cannot break out of its cell or list
// item.
func TestPlanGolden(t *testing.T) {
	t.Parallel()
	a, b := "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	src := imageref.Ref{Namespace: "develop", Repo: "app", Digest: a}
	dst := func(tag string) imageref.Ref { return imageref.Ref{Namespace: "release", Repo: "app", Tag: tag} }
	verified := []supply.Check{{Name: "verify", Found: a, Passed: true}}
	results := []promotion.Result{
		{Source: src, Destination: dst("v2"), Digest: a, Status: promotion.StatusDryRun, Change: promotion.ChangeCreate, Checks: verified, Where: "promotions.yaml:4:20"},
		{Source: src, Destination: dst("prd"), Digest: a, PreviousDigest: b, Status: promotion.StatusDryRun, Change: promotion.ChangeMove, Checks: verified, Where: "promotions.yaml:4:37"},
		{Source: src, Destination: dst("v1"), Digest: a, PreviousDigest: a, Status: promotion.StatusAlreadyThere, Change: promotion.ChangeAlreadyThere, Checks: verified, Where: "promotions.yaml:4:42"},
		{Source: src, Destination: dst("stable"), PreviousDigest: b, Change: promotion.ChangeRefused, Checks: verified, Where: "promotions.yaml:6:20",
			Err: &failure.Error{Class: failure.ClassConflict, Code: failure.CodeDestinationExists, Message: "exists\n- [x](http://forged) | cell"}},
	}
	cfg := &settings.Config{Mode: "plan", DryRun: true, File: &settings.File{Path: "promotions.yaml"}, RegistryHost: "acme.tencentcloudcr.com"}
	golden.Check(t, "plan", Plan(cfg, "tcr-1", results))
	if n := Changes(results); n != 2 {
		t.Errorf("Changes = %d, want 2", n)
	}
}
