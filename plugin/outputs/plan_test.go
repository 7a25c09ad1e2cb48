package outputs

import (
	"testing"

	"github.com/tcr-promote/tcr-promote/internal/golden"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/promote"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
)

// TestPlanGolden: the plan as markdown, one row per kind of line; text
// from the API (an error message) cannot break out of its cell or list
// item.
func TestPlanGolden(t *testing.T) {
	t.Parallel()
	a, b := "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	src := imageref.Ref{Namespace: "develop", Repo: "app", Digest: a}
	dst := func(tag string) imageref.Ref { return imageref.Ref{Namespace: "release", Repo: "app", Tag: tag} }
	verified := []promote.Check{{Name: "verify", Found: a, Passed: true}}
	results := []promote.Result{
		{Source: src, Destination: dst("v2"), Digest: a, Status: promote.StatusDryRun, Change: promote.ChangeCreate, Checks: verified, Where: "promotions.yaml:4:20"},
		{Source: src, Destination: dst("prd"), Digest: a, PreviousDigest: b, Status: promote.StatusDryRun, Change: promote.ChangeMove, Checks: verified, Where: "promotions.yaml:4:37"},
		{Source: src, Destination: dst("v1"), Digest: a, PreviousDigest: a, Status: promote.StatusAlreadyThere, Change: promote.ChangeAlreadyThere, Checks: verified, Where: "promotions.yaml:4:42"},
		{Source: src, Destination: dst("stable"), PreviousDigest: b, Change: promote.ChangeRefused, Checks: verified, Where: "promotions.yaml:6:20",
			Err: &failure.Error{Class: failure.ClassConflict, Code: failure.CodeDestinationExists, Message: "exists\n- [x](http://forged) | cell"}},
	}
	cfg := &settings.Config{Mode: "plan", DryRun: true, File: &settings.File{Path: "promotions.yaml"}, RegistryHost: "acme.tencentcloudcr.com"}
	golden.Check(t, "plan", Plan(cfg, "tcr-1", results))
	if n := Changes(results); n != 2 {
		t.Errorf("Changes = %d, want 2", n)
	}
}
