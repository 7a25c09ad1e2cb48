package promote

import (
	"context"

	"github.com/tcr-promote/tcr-promote/plugin/carry"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/promotion"
	"github.com/tcr-promote/tcr-promote/plugin/tcrops"
)

// A destination on another instance (its Ref keeps its host) is copied
// through the registries' protocol: no TCR API copies between instances.

// Remote is the destination instance when it is not the source's:
// crossing.Side over both registries, or a test's fake.
type Remote interface {
	carry.Remote // what a tag points at there, and the copy
	// ImmutableTagRules are the destination instance's, read once.
	ImmutableTagRules() ([]tcrops.ImmutableRule, error)
	NamespaceExists(ctx context.Context, ns string) (bool, error)
}

// Cross gives the promoter the destination instance of the run's
// promotions to another instance, and the source's registry it opened.
func (p *Promoter) Cross(r Remote, source carry.Registry) {
	p.remote = r
	p.carry.Cross(r, source)
}

// across reports whether dst is on another instance than the source's.
func across(dst imageref.Ref) bool { return dst.Host != "" }

// namespaceMissing asks, once per instance and namespace, whether dst's
// namespace is missing.
func (p *Promoter) namespaceMissing(ctx context.Context, dst imageref.Ref) (bool, error) {
	exists, err := p.namespaces.Get(dst.Host+"/"+dst.Namespace, func() (bool, error) {
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
		res.Status, res.Err = promotion.StatusFailed, failure.Changed("", res.Destination.String(), "",
			"after the copy, "+res.Destination.String()+" points at "+back+", not at "+o.srcDigest+": someone else wrote it meanwhile")
	default:
		res.Digest, res.Image = back, p.image(res.Destination, back)
	}
	return res
}
