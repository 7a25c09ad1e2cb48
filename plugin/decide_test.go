package plugin

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDecide covers every choice of the promotion flow without a call.
func TestDecide(t *testing.T) {
	t.Parallel()
	const a, b = "sha256:aa", "sha256:bb"
	pair := Pair{Source: Ref{"develop", "app", "stg"}, Destination: Ref{"release", "app", "prd"}}
	rule := &immutableRule{id: 7, namespace: "release", repoPattern: "**", tagPattern: "p*"}
	lookupErr := &Error{Class: ClassNotFound, Code: "ResourceNotFound", RequestID: "r1"}
	type want struct {
		step  step
		class Class
		code  string
	}
	tests := []struct {
		name string
		cfg  Config
		o    observation
		want want
	}{
		{"a lookup failed", Config{Verify: true}, observation{err: lookupErr}, want{stepFail, ClassNotFound, "ResourceNotFound"}},
		{"unverified: copy blind", Config{}, observation{}, want{step: stepCopy}},
		{"new destination", Config{Verify: true}, observation{verified: true, srcDigest: a}, want{step: stepCopy}},
		{"already there", Config{Verify: true}, observation{verified: true, srcDigest: a, dstDigest: a}, want{step: stepSkip}},
		{"already there beats override", Config{Verify: true, Override: true}, observation{verified: true, srcDigest: a, dstDigest: a}, want{step: stepSkip}},
		{"pin holds", Config{Verify: true, ExpectedDigest: a}, observation{verified: true, srcDigest: a}, want{step: stepCopy}},
		{"pin fails before anything else", Config{Verify: true, ExpectedDigest: b}, observation{verified: true, srcDigest: a, dstDigest: a}, want{stepFail, ClassConflict, CodeDigestMismatch}},
		{"elsewhere, no override: the service decides", Config{Verify: true}, observation{verified: true, srcDigest: a, dstDigest: b}, want{step: stepCopy}},
		{"elsewhere, override", Config{Verify: true, Override: true}, observation{verified: true, srcDigest: a, dstDigest: b}, want{step: stepCopy}},
		{"elsewhere, immutable", Config{Verify: true, Override: true}, observation{verified: true, srcDigest: a, dstDigest: b, immutable: immutability{rule: rule}}, want{stepFail, ClassConflict, CodeImmutableTag}},
		{"elsewhere, immutable, no override", Config{Verify: true}, observation{verified: true, srcDigest: a, dstDigest: b, immutable: immutability{rule: rule}}, want{stepFail, ClassConflict, CodeImmutableTag}},
		{"elsewhere, rules unreadable: copy, the service decides", Config{Verify: true, Override: true}, observation{verified: true, srcDigest: a, dstDigest: b, immutable: immutability{err: errors.New("denied")}}, want{step: stepCopy}},
		{"dry run, new", Config{DryRun: true}, observation{verified: true, srcDigest: a}, want{step: stepDryRun}},
		{"dry run, taken", Config{DryRun: true}, observation{verified: true, srcDigest: a, dstDigest: b}, want{stepFail, ClassConflict, CodeDestinationExists}},
		{"dry run, taken, override", Config{DryRun: true, Override: true}, observation{verified: true, srcDigest: a, dstDigest: b}, want{step: stepDryRun}},
		{"dry run, no namespace", Config{DryRun: true}, observation{verified: true, srcDigest: a, nsMissing: true}, want{stepFail, ClassNotFound, CodeNamespaceNotFound}},
		{"dry run, already there", Config{DryRun: true}, observation{verified: true, srcDigest: a, dstDigest: a}, want{step: stepSkip}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := decide(&tt.cfg, pair, tt.o)
			got := want{step: p.step}
			if e, ok := errors.AsType[*Error](p.err); ok {
				got.class, got.code = e.Class, e.Code
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("decide (-want +got):\n%s", diff)
			}
			if (p.step == stepFail) != (p.err != nil) {
				t.Errorf("plan %v carries error %v", p.step, p.err)
			}
		})
	}
}

// TestGlobMatch: Harbor's doublestar patterns, as immutability rules use
// them (the emulator, standard library only, has its own implementation).
func TestGlobMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"", "anything", true},
		{"**", "app", true},
		{"**", "team/a/app", true},
		{"*", "app", true},
		{"*", "team/app", false},
		{"team/**", "team/a/app", true},
		{"team/**", "team", true},
		{"team/**", "other/app", false},
		{"**/app", "app", true},
		{"**/app", "team/a/app", true},
		{"v*", "v1.2", true},
		{"v*", "latest", false},
		{"v?", "v1", true},
		{"v?", "v10", false},
		{"{prd,v1.*}", "v1.2", true},
		{"{prd,v1.*}", "prd", true},
		{"{prd,v1.*}", "v2.0", false},
		{"v[0-9]*", "v3", true},
		{"v[0-9]*", "vx", false},
		{"release-{a,b{c,d}}", "release-bd", true},
		{"[", "[", false}, // malformed matches nothing
	}
	for _, tt := range tests {
		if got := globMatch(tt.pattern, tt.name); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %t, want %t", tt.pattern, tt.name, got, tt.want)
		}
	}
}
