package promote

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
	"github.com/tcr-promote/tcr-promote/plugin/tcrops"
)

// The read-only calls the promotion flow observes the registry with. Each
// returns the RequestId of its answer, so that a client-side conclusion
// ("no such tag") still names the answer it was drawn from.

// imageTag is one tag of a repository, what it points at, its KMS
// signature ("" if unsigned) and when it was last written, as
// DescribeImages writes it.
type imageTag struct{ tag, digest, kms, updated string }

// query is what DescribeImages is asked for: one tag exactly, the tags
// whose names contain like (its fuzzy match), the tags of one digest; or,
// with none of those, page (from 1) of every tag.
type query struct {
	tag, like, digest string
	page              int64
}

// pageSize is DescribeImages' largest page.
const pageSize = tcrops.PageSize

// Registry is what the flow asks of an instance — the target, or a
// replica: tcrops.Instance over the real API, or a fake in the flow's
// unit tests.
type Registry interface {
	Images(ctx context.Context, ns, repo string, q tcrops.Query) ([]tcrops.Tag, int64, string, error)
	DuplicateImage(ctx context.Context, src imageref.Ref, from string, dst imageref.Ref, override bool, check tcrapi.ResendCheck) (string, error)
	DeleteRepository(ctx context.Context, ns, repo string) error
	ImmutableTagRules(ctx context.Context) ([]tcrops.ImmutableRule, error)
	NamespaceExists(ctx context.Context, name string, signing bool) (bool, error)
	PublicDomain(ctx context.Context) (string, error)
	Manifest(ctx context.Context, ref imageref.Ref) (tcrops.Manifest, error)
	CreateSignature(ctx context.Context, ref imageref.Ref) (string, error)
	Replicas(ctx context.Context) ([]tcrops.Replica, int64, error)
	SyncStatus(ctx context.Context, r tcrops.Replica) (tcrops.SyncStatus, error)
	PersonalTags(ctx context.Context, ref imageref.Ref, offset, limit int64) ([]tcrops.PersonalTag, int64, string, error)
	DuplicateImagePersonal(ctx context.Context, src, dst imageref.Ref) (digest, requestID string, err error)
}

// images lists the tags of ref's repository that q asks for.
func (p *Promoter) images(ctx context.Context, ref imageref.Ref, q query) ([]imageTag, string, error) {
	tags, _, id, err := p.imagesAt(ctx, p.reg, ref, q)
	return tags, id, err
}

// imagesAt lists, in instance at, the tags of ref's repository that q
// asks for, and how many tags match in all (TotalCount, for paging).
func (p *Promoter) imagesAt(ctx context.Context, at Registry, ref imageref.Ref, q query) ([]imageTag, int64, string, error) {
	list, total, id, err := at.Images(ctx, ref.Namespace, ref.Repo, tcrops.Query{Tag: q.tag, Like: q.like, Digest: q.digest, Page: q.page})
	tags := make([]imageTag, len(list))
	for i, t := range list {
		tags[i] = imageTag{t.Name, t.Digest, t.KMS, t.Updated}
	}
	return tags, total, id, err
}

// digest returns what ref (a tag) points at, "" if the tag does not exist.
// A repository or namespace that does not exist holds no tags, however TCR
// says so: an error, an empty list, or Harbor's "project not found". It is
// for destinations, which DuplicateImage creates; a source that is missing
// is reported with the answer that said so (resolveSource).
func (p *Promoter) digest(ctx context.Context, ref imageref.Ref) (string, error) {
	t, err := p.tagAt(ctx, p.reg, ref)
	return t.digest, err
}

// tagAt reads ref (a tag) in at, as digest does: the zero imageTag if it
// does not exist, however TCR says so.
func (p *Promoter) tagAt(ctx context.Context, at Registry, ref imageref.Ref) (imageTag, error) {
	tags, _, _, err := p.imagesAt(ctx, at, ref, query{tag: ref.Tag})
	if notFound(err) {
		return imageTag{}, nil
	}
	if err != nil || len(tags) == 0 {
		return imageTag{}, err
	}
	return tags[0], nil
}

// current is digest as the promotion starts: from the repository's
// listing when a promotion file is promoted. Reads after a copy are
// digest's, never a listing's.
func (p *Promoter) current(ctx context.Context, ref imageref.Ref) (string, error) {
	l, ok, err := p.listed(ctx, ref)
	switch {
	case !ok:
		return p.digest(ctx, ref)
	case notFound(err):
		return "", nil
	case err != nil:
		return "", err
	}
	return l.tags[ref.Tag].digest, nil
}

// resolved is a resolved source: the tag to copy from, its digest (on the
// Personal edition, its ImageId instead) and its KMS signature.
type resolved struct {
	tag, digest, imageID, kms string
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
		tags, id, err := p.images(ctx, src, query{digest: src.Digest})
		if err != nil {
			return resolved{}, failure.About(err, "the source %s", src)
		}
		if len(tags) == 0 {
			return resolved{}, &failure.Error{Class: failure.ClassNotFound, Action: "DescribeImages", Code: failure.CodeSourceNotFound, RequestID: id, Message: fmt.Sprintf(
				"no tag of %s points at %s; DuplicateImage copies from a tag, so push or keep one", src.Name(), src.Digest)}
		}
		p.log.Debugf("%s is tagged %s", src, tags[0].tag)
		return resolved{tag: tags[0].tag, digest: src.Digest, kms: tags[0].kms}, nil
	}
	// A tag, pinned or not: the pin is decide's to check.
	tags, id, err := p.images(ctx, src, query{tag: src.Tag})
	if err != nil {
		return resolved{}, failure.About(err, "the source %s", src)
	}
	if len(tags) == 0 {
		return resolved{}, &failure.Error{Class: failure.ClassNotFound, Action: "DescribeImages", Code: failure.CodeSourceNotFound, RequestID: id, Message: fmt.Sprintf(
			"%s does not exist in %s", withoutDigest(src), p.target.RegistryID)}
	}
	return resolved{tag: src.Tag, digest: tags[0].digest, kms: tags[0].kms}, nil
}

// resolveListed is resolveSource from the repository's listing.
func (p *Promoter) resolveListed(src imageref.Ref, l listing, err error) (resolved, error) {
	if err != nil {
		return resolved{}, failure.About(err, "the source %s", src)
	}
	if src.ByDigest() {
		t, ok := l.tagged(src.Digest)
		if !ok {
			return resolved{}, &failure.Error{Class: failure.ClassNotFound, Action: "DescribeImages", Code: failure.CodeSourceNotFound, RequestID: l.id, Message: fmt.Sprintf(
				"no tag of %s points at %s; DuplicateImage copies from a tag, so push or keep one", src.Name(), src.Digest)}
		}
		p.log.Debugf("%s is tagged %s", src, t.tag)
		return resolved{tag: t.tag, digest: src.Digest, kms: t.kms}, nil
	}
	t, ok := l.tags[src.Tag]
	if !ok {
		return resolved{}, &failure.Error{Class: failure.ClassNotFound, Action: "DescribeImages", Code: failure.CodeSourceNotFound, RequestID: l.id, Message: fmt.Sprintf(
			"%s does not exist in %s", withoutDigest(src), p.target.RegistryID)}
	}
	return resolved{tag: src.Tag, digest: t.digest, kms: t.kms}, nil
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
		p.log.Debugf("%s shows %s, not yet %s: waiting %s for TCR's index", ref, cmp.Or(got, "none"), want, wait)
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
