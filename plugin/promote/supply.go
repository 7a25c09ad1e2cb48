package promote

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/supply"
	"github.com/tcr-promote/tcr-promote/plugin/tagread"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
	"github.com/tcr-promote/tcr-promote/plugin/tcrops"
)

// The supply chain of a promotion: what the source must be before any
// copy (the gates), what travels with it (cosign's signature, attestation
// and SBOM tags), what is signed after it, and what the image is (its
// platforms).

// repoDigest names one digest in one repository.
type repoDigest struct {
	host, namespace, repo, digest string // host: "" for the source's instance
}

func repoOf(r imageref.Ref) imageref.Ref {
	return imageref.Ref{Host: r.Host, Namespace: r.Namespace, Repo: r.Repo}
}

// accessories lists the cosign tags of digest in ref's repository: one
// DescribeImages call (its fuzzy match on "sha256-<hex>"), once per
// repository and digest.
func (p *Promoter) accessories(ctx context.Context, ref imageref.Ref, digest string) ([]tcrops.Tag, error) {
	key := repoDigest{ref.Host, ref.Namespace, ref.Repo, digest}
	return p.accessoryMemo.get(key, func() ([]tcrops.Tag, error) { return p.readAccessories(ctx, ref, digest) })
}

func (p *Promoter) readAccessories(ctx context.Context, ref imageref.Ref, digest string) ([]tcrops.Tag, error) {
	want := supply.AccessoryTags(digest)
	if want == nil {
		return nil, nil
	}
	var tags []tcrops.Tag
	l, listed, err := p.listed(ctx, ref)
	if listed {
		for _, t := range l.Tags {
			tags = append(tags, t)
		}
	} else {
		tags, _, err = p.images(ctx, repoOf(ref), tcrops.Query{Like: strings.TrimSuffix(want[0], ".sig")})
	}
	if tagread.NotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []tcrops.Tag
	for _, t := range tags {
		if slices.Contains(want, t.Name) {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b tcrops.Tag) int { return strings.Compare(a.Name, b.Name) })
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
	key := repoDigest{dst.Host, dst.Namespace, dst.Repo, digest}
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
	at, err := p.accessoriesAt(ctx, dst, digest, accs)
	if err != nil {
		return nil, failure.About(err, "looking up the signatures in %s", dst)
	}
	var carried []string
	for _, a := range accs {
		to := imageref.Ref{Host: dst.Host, Namespace: dst.Namespace, Repo: dst.Repo, Tag: a.Name}
		switch d := at[a.Name]; {
		case d == a.Digest:
			p.log.For(ctx).Debugf("%s is in place already", to)
		case d != "":
			return carried, accessoryConflict(to, d, a.Digest, src)
		default:
			if err := p.copyAccessory(ctx, imageref.Ref{Namespace: src.Namespace, Repo: src.Repo, Tag: a.Name}, to, a.Digest); err != nil {
				return carried, err
			}
		}
		carried = append(carried, a.Name)
	}
	if len(carried) > 0 {
		p.log.For(ctx).Infof("%s: carried %s", dst.Name(), strings.Join(carried, ", "))
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
	if across(to) {
		_, err := p.remote.Copy(ctx, from, digest, to, to.Tag)
		return err
	}
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
				p.log.For(ctx).Infof("signed %s (KMS, RequestId %s)", dst, id)
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
	tags, _, err := p.images(ctx, dst, tcrops.Query{Tag: dst.Tag})
	if err != nil {
		return "", err
	}
	if len(tags) == 0 || tags[0].Digest != digest {
		return "", &failure.Error{Class: failure.ClassConflict, Action: "DescribeImages", Code: failure.CodeDestinationChanged, Hint: changedHint(dst),
			Message: fmt.Sprintf("%s no longer points at %s: someone else wrote it before it could be signed", dst, digest)}
	}
	return tags[0].KMS, nil
}
