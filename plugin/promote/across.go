package promote

import (
	"context"
	"strings"

	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/ocireg"
	"github.com/tcr-promote/tcr-promote/plugin/promotion"
	"github.com/tcr-promote/tcr-promote/plugin/tcrops"
)

// A destination on another instance (its Ref keeps its host) is copied
// through the registries' protocol: no TCR API copies between instances.

// Remote is the destination instance when it is not the source's:
// crossing.Side over both registries, or a test's fake.
type Remote interface {
	// Digest is what dst (a tag) points at, "" when it does not exist.
	Digest(ctx context.Context, dst imageref.Ref) (string, error)
	// Copy copies src at ref (a digest or a tag) to dst at to (a tag, or
	// the digest itself), byte for byte; it returns the digest copied.
	Copy(ctx context.Context, src imageref.Ref, ref string, dst imageref.Ref, to string) (string, error)
	// ImmutableTagRules are the destination instance's, read once.
	ImmutableTagRules() ([]tcrops.ImmutableRule, error)
	NamespaceExists(ctx context.Context, ns string) (bool, error)
}

// Cross gives the promoter the destination instance of the run's
// promotions to another instance, and the source's registry it opened.
func (p *Promoter) Cross(r Remote, source Artifacts) {
	p.remote = r
	p.artifacts = func() (Artifacts, error) { return source, nil }
}

// across reports whether dst is on another instance than the source's.
func across(dst imageref.Ref) bool { return dst.Host != "" }

// namespaceMissing asks, once per instance and namespace, whether dst's
// namespace is missing.
func (p *Promoter) namespaceMissing(ctx context.Context, dst imageref.Ref) (bool, error) {
	exists, err := p.namespaces.get(dst.Host+"/"+dst.Namespace, func() (bool, error) {
		if across(dst) {
			return p.remote.NamespaceExists(ctx, dst.Namespace)
		}
		return p.namespaceExists(ctx, dst.Namespace, false)
	})
	return !exists, err
}

// copyAcross copies the source's image — by the digest observed, which
// is exactly what was checked, or by its tag when nothing was read —
// into the destination's registry, then reads the tag back from there.
func (p *Promoter) copyAcross(ctx context.Context, res promotion.Result, o observation) promotion.Result {
	ref := o.srcDigest
	if ref == "" {
		ref = o.from
	}
	got, err := p.remote.Copy(ctx, res.Source, ref, res.Destination, res.Destination.Tag)
	if err != nil {
		res.Status, res.Err = promotion.StatusFailed, err
		return res
	}
	res.Status, res.Copied, res.Via = promotion.StatusPromoted, true, promotion.ViaRegistry
	if !o.verified {
		return res
	}
	back, err := p.remote.Digest(ctx, res.Destination)
	switch {
	case err != nil:
		res.Status, res.Err = promotion.StatusFailed, failure.About(err, "reading %s back after the copy", res.Destination)
	case back != o.srcDigest || got != o.srcDigest:
		res.Status, res.Err = promotion.StatusFailed, &failure.Error{Class: failure.ClassConflict, Code: failure.CodeDestinationChanged,
			Message: "after the copy, " + res.Destination.String() + " points at " + back + ", not at " + o.srcDigest + ": someone else wrote it meanwhile",
			Hint:    "find out who else writes this tag, then re-run"}
	default:
		res.Digest, res.Image = back, p.image(res.Destination, back)
	}
	return res
}

// accessoriesAt is what each of accs' names points at in dst's
// repository, "" for those not there.
func (p *Promoter) accessoriesAt(ctx context.Context, dst imageref.Ref, digest string, accs []tcrops.Tag) (map[string]string, error) {
	at := map[string]string{}
	if across(dst) {
		for _, a := range accs {
			d, err := p.remote.Digest(ctx, imageref.Ref{Host: dst.Host, Namespace: dst.Namespace, Repo: dst.Repo, Tag: a.Name})
			if err != nil {
				return nil, err
			}
			at[a.Name] = d
		}
		return at, nil
	}
	have, err := p.readAccessories(ctx, dst, digest)
	for _, t := range have {
		at[t.Name] = t.Digest
	}
	return at, err
}

// carryAcross copies each referrer, by digest, into dst's repository on
// the other instance: parents before their referrers, as they were read.
func (p *Promoter) carryAcross(ctx context.Context, src, dst imageref.Ref, refs []ocireg.Referrer) (carriedTags, error) {
	var names []string
	for i, r := range refs {
		if _, err := p.remote.Copy(ctx, src, r.Digest, dst, r.Digest); err != nil {
			return carriedTags{names}, err
		}
		names = append(names, artifactsOf(refs[i:i+1], 0)[0].String())
	}
	p.log.For(ctx).Infof("%s: carried %s", dst, strings.Join(names, ", "))
	return carriedTags{names}, nil
}
