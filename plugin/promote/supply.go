package promote

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
)

// The supply chain of a promotion: what the source must be before any
// copy (the gates), what travels with it (cosign's signature, attestation
// and SBOM tags), what is signed after it, and what the image is (its
// platforms).

// Check is one check a promotion made, for the promotion record.
type Check struct {
	Name     string // verify, expected_digest, signature, labels
	Required string // what was required
	Found    string // what was found
	Passed   bool
}

// accessoryTags are the tags cosign's tag schema gives digest's signature,
// attestation and SBOM, in the repository of the image.
func accessoryTags(digest string) []string {
	hex, ok := strings.CutPrefix(digest, "sha256:")
	if !ok {
		return nil
	}
	return []string{"sha256-" + hex + ".sig", "sha256-" + hex + ".att", "sha256-" + hex + ".sbom"}
}

// repoDigest names one digest in one repository.
type repoDigest struct {
	namespace, repo, digest string
}

func repoOf(r imageref.Ref) imageref.Ref { return imageref.Ref{Namespace: r.Namespace, Repo: r.Repo} }

// accessories lists the cosign tags of digest in ref's repository: one
// DescribeImages call (its fuzzy match on "sha256-<hex>"), once per
// repository and digest.
func (p *Promoter) accessories(ctx context.Context, ref imageref.Ref, digest string) ([]imageTag, error) {
	key := repoDigest{ref.Namespace, ref.Repo, digest}
	return p.accessoryMemo.get(key, func() ([]imageTag, error) { return p.readAccessories(ctx, ref, digest) })
}

func (p *Promoter) readAccessories(ctx context.Context, ref imageref.Ref, digest string) ([]imageTag, error) {
	want := accessoryTags(digest)
	if want == nil {
		return nil, nil
	}
	var tags []imageTag
	l, listed, err := p.listed(ctx, ref)
	if listed {
		for _, t := range l.tags {
			tags = append(tags, t)
		}
	} else {
		tags, _, err = p.images(ctx, repoOf(ref), query{like: strings.TrimSuffix(want[0], ".sig")})
	}
	if notFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []imageTag
	for _, t := range tags {
		if slices.Contains(want, t.tag) {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b imageTag) int { return strings.Compare(a.tag, b.tag) })
	return out, nil
}

// carry makes the source digest's cosign tags stand in the destination's
// repository too — unless it is the same repository — at the same
// digests: each the destination lacks is copied (never overriding one
// that points elsewhere: a conflict); those the registry already carried
// are left alone. Once per destination repository and digest. It returns
// the tags now in place.
func (p *Promoter) carry(ctx context.Context, src, dst imageref.Ref, digest string) ([]string, error) {
	if !p.cfg.Supply.Carry || repoOf(src) == repoOf(dst) {
		return nil, nil
	}
	key := repoDigest{dst.Namespace, dst.Repo, digest}
	got, err := p.carried.get(key, func() (carriedTags, error) {
		tags, err := p.carryOnce(ctx, src, dst, digest)
		return carriedTags{tags}, err
	})
	return got.tags, err
}

type carriedTags struct{ tags []string }

func (p *Promoter) carryOnce(ctx context.Context, src, dst imageref.Ref, digest string) ([]string, error) {
	accs, err := p.accessories(ctx, src, digest)
	if err != nil {
		return nil, failure.About(err, "looking up the signatures of %s", src.Name())
	}
	if len(accs) == 0 {
		return nil, nil
	}
	have, err := p.readAccessories(ctx, dst, digest)
	if err != nil {
		return nil, failure.About(err, "looking up the signatures in %s", dst.Name())
	}
	at := map[string]string{}
	for _, t := range have {
		at[t.tag] = t.digest
	}
	var carried []string
	for _, a := range accs {
		to := imageref.Ref{Namespace: dst.Namespace, Repo: dst.Repo, Tag: a.tag}
		switch d := at[a.tag]; {
		case d == a.digest:
			p.log.Debugf("%s is in place already", to)
		case d != "":
			return carried, accessoryConflict(to, d, a.digest, src)
		default:
			if err := p.copyAccessory(ctx, imageref.Ref{Namespace: src.Namespace, Repo: src.Repo, Tag: a.tag}, to, a.digest); err != nil {
				return carried, err
			}
		}
		carried = append(carried, a.tag)
	}
	if len(carried) > 0 {
		p.log.Infof("%s: carried %s", dst.Name(), strings.Join(carried, ", "))
	}
	return carried, nil
}

func accessoryConflict(to imageref.Ref, at, want string, src imageref.Ref) error {
	return &failure.Error{Class: failure.ClassConflict, Action: "DuplicateImage", Code: failure.CodeAccessoryConflict,
		Message: fmt.Sprintf("%s already exists and points at %s, not at %s as in %s: another signature of the same image; it is left as it is", to, at, want, src.Name()),
		Hint:    "remove the stale signature tag from the destination (or set carry_signatures: false), then re-run"}
}

// copyAccessory copies one cosign tag, never over another. A refusal
// because it exists, or an answer lost, is settled by reading it.
func (p *Promoter) copyAccessory(ctx context.Context, from, to imageref.Ref, digest string) error {
	_, err := p.duplicate(ctx, from, from.Tag, to, false, nil)
	e, _ := errors.AsType[*failure.Error](err)
	if err == nil || e == nil || e.Class != failure.ClassConflict && !e.Ambiguous {
		return err
	}
	got, _, rerr := p.settle(ctx, to, digest, "")
	switch {
	case rerr != nil:
		return err
	case got == digest:
		return nil
	case got != "":
		return accessoryConflict(to, got, digest, from)
	}
	return err
}

// manifest is what DescribeImageManifests says of a tag: its platforms
// and labels.
type manifest struct {
	platforms []string          // os/arch[/variant], one for an image, each image's for an index
	index     bool              // an index (a multi-arch image)
	labels    map[string]string // the labels read
	from      string            // where they were read, for messages
}

// manifestOf reads ref's manifest, once per tag.
func (p *Promoter) manifestOf(ctx context.Context, ref imageref.Ref) (manifest, error) {
	return p.manifests.get(ref, func() (manifest, error) {
		m, err := p.reg.Manifest(ctx, ref)
		return manifest{platforms: m.Platforms, index: m.Index, labels: m.Labels, from: m.From}, err
	})
}

// gates checks the source against require_signature and require_labels.
// It makes no call: what it needs was observed. It returns the checks
// made and, when one fails, the refusal.
func gates(s settings.Supply, src imageref.Ref, o observation) ([]Check, error) {
	var checks []Check
	var failed []string
	if want := s.RequireSignature; want != "" {
		kms, cosign := o.srcKms != "", o.hasSig
		var found []string
		if kms {
			found = append(found, "a KMS signature")
		}
		if cosign {
			found = append(found, "a cosign signature ("+accessoryTags(o.srcDigest)[0]+")")
		}
		ok := want == "kms" && kms || want == "cosign" && cosign || want == "any" && (kms || cosign)
		c := Check{Name: "signature", Required: want, Found: cmp.Or(strings.Join(found, " and "), "none"), Passed: ok}
		checks = append(checks, c)
		if !ok {
			failed = append(failed, fmt.Sprintf("require_signature is %s, and %s (%s) has %s", want, withoutDigest(src), o.srcDigest, c.Found))
		}
	}
	if len(s.RequireLabels) > 0 {
		var wrong []string
		for _, l := range s.RequireLabels {
			if got, ok := o.manifest.labels[l.Key]; !ok {
				wrong = append(wrong, fmt.Sprintf("%s=%s required, absent", l.Key, l.Value))
			} else if got != l.Value {
				wrong = append(wrong, fmt.Sprintf("%s=%s required, %s=%s found", l.Key, l.Value, l.Key, got))
			}
		}
		var req []string
		for _, l := range s.RequireLabels {
			req = append(req, l.Key+"="+l.Value)
		}
		found := "none"
		if len(o.manifest.labels) > 0 {
			var kv []string
			for _, k := range slices.Sorted(maps.Keys(o.manifest.labels)) {
				kv = append(kv, k+"="+o.manifest.labels[k])
			}
			found = strings.Join(kv, ", ")
		}
		checks = append(checks, Check{Name: "labels", Required: strings.Join(req, ", "), Found: found + " (" + o.manifest.from + ")", Passed: len(wrong) == 0})
		if len(wrong) > 0 {
			failed = append(failed, fmt.Sprintf("require_labels: %s, in the labels of %s read from %s", strings.Join(wrong, "; "), withoutDigest(src), o.manifest.from))
		}
	}
	if len(failed) == 0 {
		return checks, nil
	}
	code := failure.CodeUnsigned
	if !strings.HasPrefix(failed[0], "require_signature") {
		code = failure.CodeLabelMismatch
	}
	return checks, &failure.Error{Class: failure.ClassPolicy, Code: code,
		Message: strings.Join(failed, "; ") + "; nothing was copied",
		Hint:    "promote an image that meets the gate — signed, built from the required commit — or change require_signature / require_labels"}
}

// signs reports whether the namespace has a KMS signature policy, once
// per namespace.
func (p *Promoter) signs(ctx context.Context, ns string) (bool, error) {
	return p.policies.get(ns, func() (bool, error) { return p.namespaceExists(ctx, ns, true) })
}

func noSignaturePolicy(ns, registry string) error {
	return &failure.Error{Class: failure.ClassUnavailable, Action: "DescribeNamespaces", Code: failure.CodeNoSignaturePolicy,
		Message: fmt.Sprintf("sign is kms, but namespace %s of %s has no KMS signature policy; nothing was copied", ns, registry),
		Hint:    "add one — the TCR console's image signing (a KMS key for namespace " + ns + "), or CreateSignaturePolicy — or set sign: none"}
}

// signDestination has TCR sign dst, which points at digest, unless it is
// signed already (a namespace's policy may sign a copy as it signs a
// push), and reads it back until the signature shows, within index_lag.
// It returns CreateSignature's RequestId, "" if nothing was signed.
func (p *Promoter) signDestination(ctx context.Context, dst imageref.Ref, digest string) (string, error) {
	kms, err := p.signature(ctx, dst, digest)
	if err != nil || kms != "" {
		return "", err
	}
	id, err := p.reg.CreateSignature(ctx, dst)
	if err != nil {
		return "", failure.About(err, "signing %s", dst)
	}
	clock := p.api.Clock()
	start := clock.Now()
	for wait := 250 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		if kms, err = p.signature(ctx, dst, digest); err != nil || kms != "" {
			if err == nil {
				p.log.Infof("signed %s (KMS, RequestId %s)", dst, id)
			}
			return id, err
		}
		if tcrapi.Since(clock, start)+wait > p.cfg.IndexLag || !clock.Sleep(ctx, wait) {
			return id, &failure.Error{Class: failure.ClassTemporary, Action: "DescribeImages", Code: failure.CodeSignatureLag, RequestID: id,
				Message: fmt.Sprintf("CreateSignature was accepted for %s, but DescribeImages shows no KmsSignature %s after", dst, p.cfg.IndexLag),
				Hint:    "re-run the step: it finds the copy in place and checks the signature again (raise index_lag to wait longer)"}
		}
	}
}

// signature is dst's KMS signature, "" if none; dst must point at digest.
func (p *Promoter) signature(ctx context.Context, dst imageref.Ref, digest string) (string, error) {
	tags, _, err := p.images(ctx, dst, query{tag: dst.Tag})
	if err != nil {
		return "", err
	}
	if len(tags) == 0 || tags[0].digest != digest {
		return "", &failure.Error{Class: failure.ClassConflict, Action: "DescribeImages", Code: failure.CodeDestinationChanged, Hint: changedHint(dst),
			Message: fmt.Sprintf("%s no longer points at %s: someone else wrote it before it could be signed", dst, digest)}
	}
	return tags[0].kms, nil
}
