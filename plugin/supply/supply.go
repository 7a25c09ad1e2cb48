// Package supply holds the supply chain's decisions, made without I/O:
// what a source must show before any copy (the gates: signatures and
// labels), the names of what travels with an image (cosign's tags), and
// the checks a promotion records. The flow reads the registry; this
// package only judges what was read.
package supply

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
)

// Check is one check a promotion made, for the promotion record.
type Check struct {
	Name     string // verify, expected_digest, signature, labels
	Required string // what was required
	Found    string // what was found
	Passed   bool
}

// AccessoryTags are the tags cosign's tag schema gives digest's
// signature, attestation and SBOM, in the repository of the image; nil
// for a digest that is not sha256.
func AccessoryTags(digest string) []string {
	hex, ok := strings.CutPrefix(digest, "sha256:")
	if !ok {
		return nil
	}
	return []string{"sha256-" + hex + ".sig", "sha256-" + hex + ".att", "sha256-" + hex + ".sbom"}
}

// Source is what was read of a source before any copy: what the gates
// judge.
type Source struct {
	Image      string            // the source as the user named it, for messages
	Digest     string            // what it points at
	KMS        string            // its KMS signature, "" if unsigned
	CosignTag  bool              // its digest's cosign .sig tag exists
	Referrers  []Artifact        // what refers to its digest directly, where they were read
	Labels     map[string]string // its labels (require_labels)
	LabelsFrom string            // where the labels were read, for messages
}

// NeedsReferrers reports whether require_signature can only be judged by
// the source's referrers, read through the registry: a signature kind
// they can carry is wanted, and what the API showed (its KMS signature,
// its .sig tag) does not pass the gate already.
func NeedsReferrers(want string, kms string, cosignTag bool) bool {
	return want != "" && want != "kms" && !signatureCheck(want, Source{KMS: kms, CosignTag: cosignTag}).Passed
}

// Gates checks the source against require_signature and require_labels.
// It returns the checks made and, when one fails, the refusal (a policy
// failure: nothing is copied).
func Gates(s settings.Supply, src Source) ([]Check, error) {
	var checks []Check
	var failed []string
	code := failure.CodeUnsigned
	if s.RequireSignature != "" {
		c := signatureCheck(s.RequireSignature, src)
		checks = append(checks, c)
		if !c.Passed {
			failed = append(failed, fmt.Sprintf("require_signature is %s, and %s (%s) has %s", c.Required, src.Image, src.Digest, c.Found))
		}
	}
	if len(s.RequireLabels) > 0 {
		c, wrong := labelsCheck(s.RequireLabels, src)
		checks = append(checks, c)
		if wrong != "" {
			if len(failed) == 0 {
				code = failure.CodeLabelMismatch
			}
			failed = append(failed, fmt.Sprintf("require_labels: %s, in the labels of %s read from %s", wrong, src.Image, src.LabelsFrom))
		}
	}
	if len(failed) == 0 {
		return checks, nil
	}
	return checks, &failure.Error{Class: failure.ClassPolicy, Code: code,
		Message: strings.Join(failed, "; ") + "; nothing was copied",
		Hint:    "promote an image that meets the gate — signed, built from the required commit — or change require_signature / require_labels"}
}

// signatureCheck judges require_signature (kms, cosign, notation or
// any). A referrer counts only as what its type says it is.
func signatureCheck(want string, src Source) Check {
	kms, cosign, notation := src.KMS != "", src.CosignTag, false
	var found []string
	if kms {
		found = append(found, "a KMS signature")
	}
	if cosign {
		sig := "a cosign signature"
		if tags := AccessoryTags(src.Digest); tags != nil {
			sig += " (" + tags[0] + ")"
		}
		found = append(found, sig)
	}
	for _, a := range src.Referrers {
		switch a.Kind {
		case KindCosignBundle:
			cosign = true
			found = append(found, "a cosign bundle ("+a.Digest+")")
		case KindNotation:
			notation = true
			found = append(found, "a Notation signature ("+a.Digest+")")
		}
	}
	ok := want == "kms" && kms || want == "cosign" && cosign || want == "notation" && notation || want == "any" && (kms || cosign || notation)
	return Check{Name: "signature", Required: want, Found: cmp.Or(strings.Join(found, " and "), "none"), Passed: ok}
}

// labelsCheck judges require_labels; wrong says what did not match, ""
// when every label did.
func labelsCheck(required []settings.Label, src Source) (c Check, wrong string) {
	var bad, req []string
	for _, l := range required {
		req = append(req, l.Key+"="+l.Value)
		if got, ok := src.Labels[l.Key]; !ok {
			bad = append(bad, fmt.Sprintf("%s=%s required, absent", l.Key, l.Value))
		} else if got != l.Value {
			bad = append(bad, fmt.Sprintf("%s=%s required, %s=%s found", l.Key, l.Value, l.Key, got))
		}
	}
	found := "none"
	if len(src.Labels) > 0 {
		var kv []string
		for _, k := range slices.Sorted(maps.Keys(src.Labels)) {
			kv = append(kv, k+"="+src.Labels[k])
		}
		found = strings.Join(kv, ", ")
	}
	c = Check{Name: "labels", Required: strings.Join(req, ", "), Found: found + " (" + src.LabelsFrom + ")", Passed: len(bad) == 0}
	return c, strings.Join(bad, "; ")
}

// Artifact is a referrer of an image as the gates and the reports name
// it: its kind and digest.
type Artifact struct {
	Kind, Digest string
}

// String is how outputs and records name a referrer: <kind>@<digest>.
func (a Artifact) String() string { return a.Kind + "@" + a.Digest }

// The kinds of referrer the step names.
const (
	KindCosignBundle = "cosign-bundle"
	KindNotation     = "notation"
	KindSBOM         = "sbom"
	KindAttestation  = "attestation"
)

// KindOf names a referrer by its artifactType: a cosign v3 (Sigstore)
// bundle, a Notation signature, an SBOM (SPDX, CycloneDX), an in-toto
// attestation; anything else by the type itself.
func KindOf(artifactType string) string {
	t := strings.ToLower(strings.TrimSpace(artifactType))
	switch {
	case strings.HasPrefix(t, "application/vnd.dev.sigstore.bundle"):
		return KindCosignBundle
	case t == "application/vnd.cncf.notary.signature":
		return KindNotation
	case strings.Contains(t, "spdx") || strings.Contains(t, "cyclonedx") || strings.HasPrefix(t, "application/vnd.syft"):
		return KindSBOM
	case strings.Contains(t, "in-toto") || strings.HasPrefix(t, "application/vnd.dsse.envelope"):
		return KindAttestation
	case t == "":
		return "unknown"
	}
	return artifactType
}
