package promote

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/tcr-promote/tcr-promote/plugin/crossing"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/kmssign"
	"github.com/tcr-promote/tcr-promote/plugin/personal"
	"github.com/tcr-promote/tcr-promote/plugin/tagread"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
	"github.com/tcr-promote/tcr-promote/plugin/tcrops"
)

// The read-only calls the promotion flow observes the registry with. Each
// returns the RequestId of its answer, so that a client-side conclusion
// ("no such tag") still names the answer it was drawn from.

// Registry is what the flow asks of its instance: tcrops.Instance over
// the real API, or a fake in the flow's unit tests.
type Registry interface {
	Images(ctx context.Context, ns, repo string, q tcrops.Query) ([]tcrops.Tag, int64, string, error)
	DuplicateImage(ctx context.Context, src imageref.Ref, from string, dst imageref.Ref, override bool, check tcrapi.ResendCheck) (string, error)
	DeleteRepository(ctx context.Context, ns, repo string) error // an exact promotion's scratch repository
	ImmutableTagRules(ctx context.Context) ([]tcrops.ImmutableRule, error)
	PublicDomain(ctx context.Context) (string, error)
	Manifest(ctx context.Context, ref imageref.Ref) (tcrops.Manifest, error)
	kmssign.Instance  // sign: kms, and a dry run's namespace check
	personal.Registry // the Personal edition's two actions
	crossing.Tokens   // the registry's token, for the referrers
}

// images lists the tags of ref's repository that q asks for.
func (p *Promoter) images(ctx context.Context, ref imageref.Ref, q tcrops.Query) ([]tcrops.Tag, string, error) {
	tags, _, id, err := p.reg.Images(ctx, ref.Namespace, ref.Repo, q)
	return tags, id, err
}

// digest returns what ref (a tag) points at, "" if the tag does not
// exist, however TCR says so. It is for destinations, which DuplicateImage
// creates; a source that is missing is reported with the answer that said
// so (resolveSource).
func (p *Promoter) digest(ctx context.Context, ref imageref.Ref) (string, error) {
	t, err := tagread.At(ctx, p.reg, ref)
	return t.Digest, err
}

// listed is the memoized listing of ref's repository in the target, read
// when a promotion file is promoted (a thousand destinations in a few
// hundred repositories read page by page, once); ok is false when lookups
// go one by one.
func (p *Promoter) listed(ctx context.Context, ref imageref.Ref) (l tagread.Listing, ok bool, err error) {
	if p.wanted == nil {
		return tagread.Listing{}, false, nil
	}
	k := tagread.RepoOf(ref)
	l, err = p.listings.Get(k, func() (tagread.Listing, error) { return tagread.List(ctx, p.reg, ref, p.wanted[k], p.log) })
	return l, l.Usable || err != nil, err
}

// current is digest as the promotion starts: from the repository's
// listing when a promotion file is promoted. Reads after a copy are
// digest's, never a listing's.
func (p *Promoter) current(ctx context.Context, ref imageref.Ref) (string, error) {
	l, ok, err := p.listed(ctx, ref)
	switch {
	case !ok:
		return p.digest(ctx, ref)
	case tagread.NotFound(err):
		return "", nil
	case err != nil:
		return "", err
	}
	return l.Tags[ref.Tag].Digest, nil
}

// resolved is a resolved source: the tag to copy from, its digest and its
// KMS signature.
type resolved struct {
	tag, digest, kms string
}

// resolveSource returns the tag to copy from and its digest. A digest
// source is resolved to a tag pointing at it, as DuplicateImage takes
// tags. An error answer is reported as it came; only a successful answer
// without the tag becomes ClientError.SourceNotFound.
func (p *Promoter) resolveSource(ctx context.Context, src imageref.Ref) (resolved, error) {
	if l, ok, err := p.listed(ctx, src); ok {
		return p.resolveListed(src, l, err)
	}
	if src.ByDigest() {
		tags, id, err := p.images(ctx, src, tcrops.Query{Digest: src.Digest})
		if err != nil {
			return resolved{}, failure.About(err, "the source %s", src)
		}
		if len(tags) == 0 {
			return resolved{}, &failure.Error{Class: failure.ClassNotFound, Action: "DescribeImages", Code: failure.CodeSourceNotFound, RequestID: id, Message: fmt.Sprintf(
				"no tag of %s points at %s; DuplicateImage copies from a tag, so push or keep one", src.Name(), src.Digest)}
		}
		p.log.For(ctx).Debugf("%s is tagged %s", src, tags[0].Name)
		return resolved{tag: tags[0].Name, digest: src.Digest, kms: tags[0].KMS}, nil
	}
	// A tag, pinned or not: the pin is decide's to check.
	tags, id, err := p.images(ctx, src, tcrops.Query{Tag: src.Tag})
	if err != nil {
		return resolved{}, failure.About(err, "the source %s", src)
	}
	if len(tags) == 0 {
		return resolved{}, &failure.Error{Class: failure.ClassNotFound, Action: "DescribeImages", Code: failure.CodeSourceNotFound, RequestID: id, Message: fmt.Sprintf(
			"%s does not exist in %s", withoutDigest(src), p.target.RegistryID)}
	}
	return resolved{tag: src.Tag, digest: tags[0].Digest, kms: tags[0].KMS}, nil
}

// resolveListed is resolveSource from the repository's listing.
func (p *Promoter) resolveListed(src imageref.Ref, l tagread.Listing, err error) (resolved, error) {
	if err != nil {
		return resolved{}, failure.About(err, "the source %s", src)
	}
	if src.ByDigest() {
		t, ok := l.Tagged(src.Digest)
		if !ok {
			return resolved{}, &failure.Error{Class: failure.ClassNotFound, Action: "DescribeImages", Code: failure.CodeSourceNotFound, RequestID: l.ID, Message: fmt.Sprintf(
				"no tag of %s points at %s; DuplicateImage copies from a tag, so push or keep one", src.Name(), src.Digest)}
		}
		p.log.Debugf("%s is tagged %s", src, t.Name)
		return resolved{tag: t.Name, digest: src.Digest, kms: t.KMS}, nil
	}
	t, ok := l.Tags[src.Tag]
	if !ok {
		return resolved{}, &failure.Error{Class: failure.ClassNotFound, Action: "DescribeImages", Code: failure.CodeSourceNotFound, RequestID: l.ID, Message: fmt.Sprintf(
			"%s does not exist in %s", withoutDigest(src), p.target.RegistryID)}
	}
	return resolved{tag: src.Tag, digest: t.Digest, kms: t.KMS}, nil
}

// settle reads ref until it points at want, for at most index_lag (and
// within the step's deadline): TCR's index may lag a few seconds behind a
// write, showing the tag absent, or still at stale, its digest before the
// write. It returns the last digest seen ("" for absent) and whether ref
// settled: it showed want, or a digest that is neither want nor stale.
func (p *Promoter) settle(ctx context.Context, ref imageref.Ref, want, stale string) (got string, settled bool, err error) {
	clock := p.api.Clock()
	start := clock.Now()
	for wait := 250 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		if got, err = p.digest(ctx, ref); err != nil {
			return "", false, err
		}
		if got == want || got != "" && got != stale {
			return got, true, nil
		}
		if tcrapi.Since(clock, start)+wait > p.cfg.IndexLag {
			return got, false, nil
		}
		p.log.For(ctx).Debugf("%s shows %s, not yet %s: waiting %s for TCR's index", ref, cmp.Or(got, "none"), want, wait)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return got, false, nil
		}
		if !clock.Sleep(ctx, wait) {
			return got, false, tcrapi.Stopped(ctx, "DescribeImages")
		}
	}
}

// namespaceExists asks whether the namespace exists — with signing,
// whether it has a KMS signature policy.
func (p *Promoter) namespaceExists(ctx context.Context, name string, signing bool) (bool, error) {
	return p.reg.NamespaceExists(ctx, name, signing)
}

// publicDomain is the instance's registry host, from DescribeInstances.
func (p *Promoter) publicDomain(ctx context.Context) (string, error) {
	return p.reg.PublicDomain(ctx)
}
