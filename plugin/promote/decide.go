package promote

import (
	"cmp"
	"fmt"

	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/kmssign"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"github.com/tcr-promote/tcr-promote/plugin/supply"
	"github.com/tcr-promote/tcr-promote/plugin/tcrops"
)

// verdict is what a plan does.
type verdict int

const (
	verdictCopy   verdict = iota // DuplicateImage, then read the destination back if verified
	verdictSkip                  // the destination already holds the source's image
	verdictDryRun                // report what the copy would do
	verdictRefuse                // a precondition failed: report it, change nothing
)

type plan struct {
	verdict verdict
	err     error          // verdictRefuse
	checks  []supply.Check // what was checked, for the record
}

// decide picks what to do from the settings and what was observed in
// registry. It makes no call: every input is in its arguments.
func decide(cfg *settings.Config, registry string, pair settings.Pair, o observation) plan {
	src, dst := pair.Source, pair.Destination
	// A source written name:tag@digest pins its tag, as expected_digest
	// does (settings refuse the two disagreeing).
	pin, pinnedBy := cfg.ExpectedDigest, "set expected_digest to it"
	if pin == "" && src.Tag != "" {
		pin, pinnedBy = src.Digest, "write it in source_image instead"
	}
	switch {
	case o.err != nil:
		return plan{verdict: verdictRefuse, err: o.err}
	case !o.verified:
		return plan{verdict: verdictCopy}
	}
	checks := []supply.Check{{Name: "verify", Required: "the source's digest, read before the copy", Found: o.srcDigest, Passed: true}}
	if pin != "" {
		checks = append(checks, supply.Check{Name: "expected_digest", Required: pin, Found: o.srcDigest, Passed: o.srcDigest == pin})
	}
	if pin != "" && o.srcDigest != pin {
		return plan{verdict: verdictRefuse, checks: checks, err: &failure.Error{Class: failure.ClassConflict, Code: failure.CodeDigestMismatch,
			Message: fmt.Sprintf("%s points at %s, not at the expected %s: it moved since it was tested; nothing was copied", withoutDigest(src), o.srcDigest, pin),
			Hint:    fmt.Sprintf("the source moved after the tests: promote what was tested (its digest as the source), or, if %s is what should ship, %s", o.srcDigest, pinnedBy)}}
	}
	// The gates: before any copy, and before "already there" too — a
	// re-run must not pass what the gate refuses.
	gated, err := supply.Gates(cfg.Supply, supply.Source{Image: withoutDigest(src).String(), Digest: o.srcDigest, KMS: o.srcKms,
		CosignTag: o.hasSig, Referrers: o.referrers, Labels: o.manifest.labels, LabelsFrom: o.manifest.from})
	checks = append(checks, gated...)
	if err != nil {
		return plan{verdict: verdictRefuse, err: err, checks: checks}
	}
	if cfg.Supply.Sign && o.noPolicy {
		return plan{verdict: verdictRefuse, err: kmssign.NoPolicy(dst.Namespace, registry), checks: checks}
	}
	pl := decideCopy(cfg, registry, pair, o)
	pl.checks = checks
	return pl
}

// decideCopy is the rest of decide, once the source passed every check:
// whether the destination needs the copy, and whether it may have it.
func decideCopy(cfg *settings.Config, registry string, pair settings.Pair, o observation) plan {
	src, dst := pair.Source, pair.Destination
	refuse := func(class failure.Class, code, format string, args ...any) plan {
		return plan{verdict: verdictRefuse, err: &failure.Error{Class: class, Code: code, Message: fmt.Sprintf(format, args...)}}
	}
	switch {
	case o.dstDigest == o.srcDigest:
		return plan{verdict: verdictSkip}
	case o.dstDigest != "" && o.immutable.rule != nil:
		return plan{verdict: verdictRefuse, err: &failure.Error{Class: failure.ClassConflict, Code: failure.CodeImmutableTag, Hint: immutableHint,
			Message: immutableMessage(dst, o.dstDigest, o.srcDigest, src, *o.immutable.rule) + "; nothing was copied"}}
	case o.dstDigest != "" && !pair.Override && (cfg.DryRun || across(dst)):
		// Across instances no service refuses for us: a registry
		// overwrites a tag without a word.
		return refuse(failure.ClassConflict, failure.CodeDestinationExists, "%s", existsElsewhere(dst, o.dstDigest, o.srcDigest, src))
	case (cfg.DryRun || across(dst)) && o.nsMissing:
		if !across(dst) {
			return refuse(failure.ClassNotFound, failure.CodeNamespaceNotFound, "the destination namespace %s does not exist in %s", dst.Namespace, registry)
		}
		return plan{verdict: verdictRefuse, err: &failure.Error{Class: failure.ClassNotFound, Code: failure.CodeNamespaceNotFound,
			Message: fmt.Sprintf("the destination namespace %s does not exist in %s; nothing was copied", dst.Namespace, dst.Host),
			Hint:    "create the namespace in the destination instance (TCR creates repositories on push, not namespaces)"}}
	case cfg.DryRun:
		return plan{verdict: verdictDryRun}
	}
	// An existing destination without override is copied too: the
	// service's own answer (and its code) decides the conflict.
	return plan{verdict: verdictCopy}
}

func withoutDigest(r imageref.Ref) imageref.Ref {
	if r.Tag != "" {
		r.Digest = ""
	}
	return r
}

const immutableHint = "choose another destination_tag, or have the namespace's tag immutability rule changed; override cannot replace an immutable tag"

// existsElsewhere explains a conflict: dst holds another image than src.
func existsElsewhere(dst imageref.Ref, dstDigest, srcDigest string, src imageref.Ref) string {
	at := "points at " + dstDigest
	if dstDigest == "" {
		at = "(so TCR says) but DescribeImages does not list it"
	}
	return fmt.Sprintf("%s already exists and %s, not at %s (the digest of %s); set override to replace it",
		dst, at, cmp.Or(srcDigest, "none"), src)
}

func immutableMessage(dst imageref.Ref, dstDigest, srcDigest string, src imageref.Ref, rule tcrops.ImmutableRule) string {
	return fmt.Sprintf("%s is an immutable tag (%s): it points at %s, not at %s (the digest of %s), and cannot be overwritten",
		dst, rule, cmp.Or(dstDigest, "none"), cmp.Or(srcDigest, "none"), src)
}
