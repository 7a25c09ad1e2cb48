package outputs

import (
	"testing"

	"github.com/tcr-promote/tcr-promote/internal/golden"

	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/promotion"
)

func TestSummaryGolden(t *testing.T) {
	t.Parallel()
	src := imageref.Ref{Namespace: "develop", Repo: "app", Tag: "stg"}
	results := []promotion.Result{
		{Source: src, Destination: imageref.Ref{Namespace: "release", Repo: "app", Tag: "prd"}, RequestID: "6c169967-6dba-4590-a361-4f1590b17174", Status: promotion.StatusPromoted, Copied: true},
		{Source: src, Destination: imageref.Ref{Namespace: "release", Repo: "app", Tag: "v1"}, RequestID: "0d2b6c9e-1111-4a5b-8c9d-0123456789ab", Digest: "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			PreviousDigest: "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", Status: promotion.StatusAlreadyThere},
		{Source: src, Destination: imageref.Ref{Namespace: "release", Repo: "app", Tag: "latest"}, RequestID: "e1|<b>x</b>`[l](http://x)`\n| forged | row |",
			Err: &failure.Error{Class: failure.ClassConflict, Code: "FailedOperation.PreconditionFailed", Message: "exists"}},
		{Source: src, Destination: imageref.Ref{Namespace: "release", Repo: "app", Tag: "rc"}, Err: &failure.Error{Class: failure.ClassTemporary, Code: failure.CodeNetwork}},
		{Source: src, Destination: imageref.Ref{Namespace: "release", Repo: "app", Tag: "next"}, Digest: "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", Status: promotion.StatusDryRun},
		// Applied, its answer lost, then found in place on the retry.
		{Source: src, Destination: imageref.Ref{Namespace: "release", Repo: "app", Tag: "v2"}, RequestID: "3a1f", Digest: "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", Status: promotion.StatusPromoted, Copied: true},
		// Replaced: what it held before is the rollback.
		{Source: src, Destination: imageref.Ref{Namespace: "release", Repo: "app", Tag: "stable"}, RequestID: "7c2d", Digest: "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			PreviousDigest: "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", Status: promotion.StatusPromoted, Copied: true},
		// Copied, then the read-back found another digest.
		{Source: src, Destination: imageref.Ref{Namespace: "release", Repo: "app", Tag: "rc2"}, RequestID: "9b2e", Copied: true,
			Err: &failure.Error{Class: failure.ClassConflict, Code: failure.CodeDigestMismatch, Message: "moved"}},
	}
	golden.Check(t, "summary", summary("tcr-1", results, false))
}
