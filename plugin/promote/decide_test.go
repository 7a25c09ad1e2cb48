package promote

import (
	"errors"
	"testing"

	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"github.com/tcr-promote/tcr-promote/plugin/tcrops"

	"github.com/google/go-cmp/cmp"
)

// TestDecide covers every choice of the promotion flow without a call.
func TestDecide(t *testing.T) {
	t.Parallel()
	const a, b = "sha256:aa", "sha256:bb"
	pair := settings.Pair{Source: imageref.Ref{Namespace: "develop", Repo: "app", Tag: "stg"}, Destination: imageref.Ref{Namespace: "release", Repo: "app", Tag: "prd"}}
	rule := &tcrops.ImmutableRule{ID: 7, Namespace: "release", RepoPattern: "**", TagPattern: "p*"}
	lookupErr := &failure.Error{Class: failure.ClassNotFound, Code: "ResourceNotFound", RequestID: "r1"}
	type want struct {
		verdict verdict
		class   failure.Class
		code    string
	}
	tests := []struct {
		name string
		cfg  settings.Config
		o    observation
		want want
	}{
		{"a lookup failed", settings.Config{Verify: true}, observation{err: lookupErr}, want{verdictRefuse, failure.ClassNotFound, "ResourceNotFound"}},
		{"unverified: copy blind", settings.Config{}, observation{}, want{verdict: verdictCopy}},
		{"new destination", settings.Config{Verify: true}, observation{verified: true, srcDigest: a}, want{verdict: verdictCopy}},
		{"already there", settings.Config{Verify: true}, observation{verified: true, srcDigest: a, dstDigest: a}, want{verdict: verdictSkip}},
		{"already there beats override", settings.Config{Verify: true, Override: true}, observation{verified: true, srcDigest: a, dstDigest: a}, want{verdict: verdictSkip}},
		{"pin holds", settings.Config{Verify: true, ExpectedDigest: a}, observation{verified: true, srcDigest: a}, want{verdict: verdictCopy}},
		{"pin fails before anything else", settings.Config{Verify: true, ExpectedDigest: b}, observation{verified: true, srcDigest: a, dstDigest: a}, want{verdictRefuse, failure.ClassConflict, failure.CodeDigestMismatch}},
		{"elsewhere, no override: the service decides", settings.Config{Verify: true}, observation{verified: true, srcDigest: a, dstDigest: b}, want{verdict: verdictCopy}},
		{"elsewhere, override", settings.Config{Verify: true, Override: true}, observation{verified: true, srcDigest: a, dstDigest: b}, want{verdict: verdictCopy}},
		{"elsewhere, immutable", settings.Config{Verify: true, Override: true}, observation{verified: true, srcDigest: a, dstDigest: b, immutable: immutability{rule: rule}}, want{verdictRefuse, failure.ClassConflict, failure.CodeImmutableTag}},
		{"elsewhere, immutable, no override", settings.Config{Verify: true}, observation{verified: true, srcDigest: a, dstDigest: b, immutable: immutability{rule: rule}}, want{verdictRefuse, failure.ClassConflict, failure.CodeImmutableTag}},
		{"elsewhere, rules unreadable: copy, the service decides", settings.Config{Verify: true, Override: true}, observation{verified: true, srcDigest: a, dstDigest: b, immutable: immutability{err: errors.New("denied")}}, want{verdict: verdictCopy}},
		{"dry run, new", settings.Config{DryRun: true}, observation{verified: true, srcDigest: a}, want{verdict: verdictDryRun}},
		{"dry run, taken", settings.Config{DryRun: true}, observation{verified: true, srcDigest: a, dstDigest: b}, want{verdictRefuse, failure.ClassConflict, failure.CodeDestinationExists}},
		{"dry run, taken, override", settings.Config{DryRun: true, Override: true}, observation{verified: true, srcDigest: a, dstDigest: b}, want{verdict: verdictDryRun}},
		{"dry run, no namespace", settings.Config{DryRun: true}, observation{verified: true, srcDigest: a, nsMissing: true}, want{verdictRefuse, failure.ClassNotFound, failure.CodeNamespaceNotFound}},
		{"dry run, already there", settings.Config{DryRun: true}, observation{verified: true, srcDigest: a, dstDigest: a}, want{verdict: verdictSkip}},
		{"kms required, unsigned", gated("kms"), observation{verified: true, srcDigest: a}, want{verdictRefuse, failure.ClassPolicy, failure.CodeUnsigned}},
		{"kms required, signed", gated("kms"), observation{verified: true, srcDigest: a, srcKms: "kms:k"}, want{verdict: verdictCopy}},
		{"cosign required, KMS only", gated("cosign"), observation{verified: true, srcDigest: a, srcKms: "kms:k"}, want{verdictRefuse, failure.ClassPolicy, failure.CodeUnsigned}},
		{"any, cosign", gated("any"), observation{verified: true, srcDigest: a, hasSig: true}, want{verdict: verdictCopy}},
		{"a gate before already there", gated("kms"), observation{verified: true, srcDigest: a, dstDigest: a}, want{verdictRefuse, failure.ClassPolicy, failure.CodeUnsigned}},
		{"the pin before a gate", settings.Config{Verify: true, ExpectedDigest: b, Supply: settings.Supply{RequireSignature: "kms"}}, observation{verified: true, srcDigest: a}, want{verdictRefuse, failure.ClassConflict, failure.CodeDigestMismatch}},
		{"labels hold", labelled("team", "web"), observation{verified: true, srcDigest: a, manifest: manifest{labels: map[string]string{"team": "web", "x": "y"}}}, want{verdict: verdictCopy}},
		{"a label differs", labelled("team", "web"), observation{verified: true, srcDigest: a, manifest: manifest{labels: map[string]string{"team": "api"}}}, want{verdictRefuse, failure.ClassPolicy, failure.CodeLabelMismatch}},
		{"a label is empty, as required", labelled("team", ""), observation{verified: true, srcDigest: a, manifest: manifest{labels: map[string]string{"team": ""}}}, want{verdict: verdictCopy}},
		{"sign, no policy", settings.Config{Verify: true, Supply: settings.Supply{Sign: true}}, observation{verified: true, srcDigest: a, noPolicy: true}, want{verdictRefuse, failure.ClassUnavailable, failure.CodeNoSignaturePolicy}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pair := pair
			pair.Override = tt.cfg.Override // as settings set each pair's
			p := decide(&tt.cfg, "tcr-1", pair, tt.o)
			got := want{verdict: p.verdict}
			if e, ok := errors.AsType[*failure.Error](p.err); ok {
				got.class, got.code = e.Class, e.Code
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("decide (-want +got):\n%s", diff)
			}
			if (p.verdict == verdictRefuse) != (p.err != nil) {
				t.Errorf("plan %v carries error %v", p.verdict, p.err)
			}
		})
	}
}

// TestGlobMatch: Harbor's doublestar patterns, as immutability rules use
// them (the emulator, standard library only, has its own implementation).
func gated(signature string) settings.Config {
	return settings.Config{Verify: true, Supply: settings.Supply{RequireSignature: signature}}
}

func labelled(key, value string) settings.Config {
	return settings.Config{Verify: true, Supply: settings.Supply{RequireLabels: []settings.Label{{Key: key, Value: value}}}}
}
