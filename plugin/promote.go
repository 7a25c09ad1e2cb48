package plugin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// Result is the outcome of one promotion.
type Result struct {
	Source       Ref
	Destination  Ref
	RequestID    string // of the DuplicateImage call; of the failed call on failure
	Digest       string // what the destination points at, when verified
	Image        string // domain/namespace/repo:tag@digest, when verified
	Promoted     bool   // the destination was changed by this run
	AlreadyThere bool   // the destination already held the source's image
	DryRun       bool
	Err          error // nil on success; an *Error otherwise
}

// Client-side codes for what the step finds out itself.
const (
	CodeSourceNotFound    = "ClientError.SourceNotFound"
	CodeNamespaceNotFound = "ClientError.NamespaceNotFound"
	CodeDigestMismatch    = "ClientError.DigestMismatch"
	CodeDestinationExists = "ClientError.DestinationExists"
)

// promoter runs promotions within one instance. It is safe for concurrent
// use: several promotions share the warn-once and domain lookups.
type promoter struct {
	api *api
	cfg *Config
	log *logger

	warnOnce   sync.Once
	domainOnce sync.Once
	domainWarn sync.Once
	prefetch   sync.Once
	domain     string
	domainErr  error
	bg         sync.WaitGroup // background lookups, waited for before the run ends
	mu         sync.Mutex
	sources    map[Ref]*sourceDigest
}

// needsDigest reports whether the run cannot do without DescribeImages.
func (p *promoter) needsDigest() bool {
	return p.cfg.ExpectedDigest != "" || p.cfg.SourceIsDigest() || p.cfg.DryRun
}

// promote copies src to dst with one DuplicateImage call. With verify it
// first resolves the source's digest (and checks the pin), skips the copy
// when the destination already holds it, and reads the destination back
// afterwards: a source that moved in between is a conflict, not a silent
// promotion of something untested.
func (p *promoter) promote(ctx context.Context, src, dst Ref) (res Result) {
	res = Result{Source: src, Destination: dst, DryRun: p.cfg.DryRun}
	defer func() {
		// A failure reports the RequestId of the call that failed.
		if e, ok := errors.AsType[*Error](res.Err); ok && e.RequestID != "" {
			res.RequestID = e.RequestID
		}
	}()
	verify := p.cfg.Verify || p.cfg.DryRun
	copyFrom, srcDigest := src, ""
	dstBefore, knownBefore := "", false

	if verify {
		// The two lookups are independent: overlap them, and the domain
		// lookup for the image output with both.
		p.prefetchDomain(ctx)
		var (
			tag, digest, dstDigest string
			srcErr, dstErr         error
			wg                     sync.WaitGroup
		)
		wg.Go(func() { tag, digest, srcErr = p.resolveSourceOnce(ctx, src) })
		wg.Go(func() { dstDigest, dstErr = p.digest(ctx, dst) })
		wg.Wait()
		if err := cmp.Or(srcErr, dstErr); err != nil {
			if res.Err = p.unverifiable(err); res.Err != nil {
				return res
			}
			verify = false
		} else {
			copyFrom.Tag, srcDigest = tag, digest
			dstBefore, knownBefore = dstDigest, true
		}
	}
	if verify && p.cfg.ExpectedDigest != "" && srcDigest != p.cfg.ExpectedDigest {
		res.Err = &Error{Class: ClassConflict, Code: CodeDigestMismatch, Message: fmt.Sprintf(
			"%s points at %s, not at the expected %s: it moved since it was tested; nothing was copied", src, srcDigest, p.cfg.ExpectedDigest)}
		return res
	}
	if knownBefore && dstBefore == srcDigest {
		res.AlreadyThere, res.Digest = true, srcDigest
		p.log.infof("%s already points at %s, as %s does: nothing to copy", dst, srcDigest, src)
		res.Image = p.image(ctx, dst, srcDigest)
		return res
	}
	if p.cfg.DryRun {
		return p.dryRun(ctx, res, srcDigest, dstBefore)
	}

	res = p.duplicate(ctx, res, copyFrom)
	if res.Err != nil || !verify {
		return res
	}
	if res.AlreadyThere && !knownBefore {
		return res
	}
	res.Promoted = res.Promoted || (res.AlreadyThere && dstBefore == "")
	after, err := p.digest(ctx, dst)
	if err != nil {
		res.Err = err
		return res
	}
	if after != srcDigest {
		msg := fmt.Sprintf("after the copy %s points at %s, not at %s, which %s held when the promotion started: the source moved in between", dst, cmpOrNone(after), srcDigest, src)
		if p.cfg.Override {
			msg += fmt.Sprintf("; %s now holds %s", dst, cmpOrNone(after))
		} else {
			msg += fmt.Sprintf("; %s now holds %s, which was not the image checked", dst, cmpOrNone(after))
		}
		res.Err = &Error{Class: ClassConflict, Code: CodeDigestMismatch, Message: msg, RequestID: res.RequestID}
		return res
	}
	res.Digest = after
	res.Image = p.image(ctx, dst, after)
	return res
}

// unverifiable decides what a failed lookup means. If err only says the
// credentials may not read images, verification is skipped (with one
// warning) and it returns nil — unless a digest pin, a digest source or a
// dry run needs the reads. Otherwise it returns the error to fail with.
func (p *promoter) unverifiable(err error) error {
	if ClassOf(err) != ClassPermission {
		return err
	}
	if p.needsDigest() {
		// A copy: err may be shared by every promotion of this source.
		e, _ := errors.AsType[*Error](err)
		ne := *e
		ne.Message += " (DescribeImages is needed for expected_digest, a digest source_reference or dry_run)"
		return &ne
	}
	p.warnOnce.Do(func() {
		p.log.warnf("cannot verify: %s; promoting without reading digests back (grant tcr:DescribeImages, or set verify: false to silence this)", err)
	})
	return nil
}

// duplicate makes the DuplicateImage call. A conflict (the destination tag
// exists and override is false) is success when the destination already
// points at the source's digest — a retry after a lost answer, or a re-run
// — and stays a conflict otherwise.
func (p *promoter) duplicate(ctx context.Context, res Result, src Ref) Result {
	dst := res.Destination
	id, err := p.api.do(ctx, "DuplicateImage", func(ctx context.Context) (string, error) {
		req := NewDuplicateImageRequest()
		req.RegistryId = common.StringPtr(p.cfg.RegistryID)
		req.SourceNamespace = common.StringPtr(src.Namespace)
		req.SourceRepo = common.StringPtr(src.Repo)
		req.SourceReference = common.StringPtr(src.Tag)
		req.DestinationNamespace = common.StringPtr(dst.Namespace)
		req.DestinationRepo = common.StringPtr(dst.Repo)
		req.DestinationTag = common.StringPtr(dst.Tag)
		req.Override = common.BoolPtr(p.cfg.Override)
		resp, err := p.api.tcr.DuplicateImageWithContext(ctx, req)
		if err != nil {
			return "", err
		}
		return deref(resp.Response.RequestId), nil
	})
	if err == nil {
		res.RequestID, res.Promoted = id, true
		return res
	}
	e, _ := errors.AsType[*Error](err)
	res.RequestID, res.Err = e.RequestID, err
	if e.Class != ClassConflict || p.cfg.Override {
		return res
	}
	srcDigest, cerr := p.digest(ctx, src)
	dstDigest := ""
	if cerr == nil {
		dstDigest, cerr = p.digest(ctx, dst)
	}
	switch {
	case cerr != nil:
		why := "checking it failed"
		if ClassOf(cerr) == ClassPermission {
			why = "DescribeImages is not permitted for these credentials"
		}
		p.log.warnf("%s exists and cannot be compared with %s: %s (%s); treating it as a conflict", dst, src, why, cerr)
	case srcDigest != "" && srcDigest == dstDigest:
		res.Err, res.Digest, res.AlreadyThere = nil, dstDigest, true
		p.log.infof("%s already points at %s, as %s does: nothing to change", dst, dstDigest, src)
	default:
		e.Message = existsElsewhere(dst, dstDigest, srcDigest, src)
	}
	return res
}

// existsElsewhere explains a conflict: dst holds another image than src.
func existsElsewhere(dst Ref, dstDigest, srcDigest string, src Ref) string {
	return fmt.Sprintf("%s already exists and points at %s, not at %s (the digest of %s); set override to replace it",
		dst, cmpOrNone(dstDigest), cmpOrNone(srcDigest), src)
}

// dryRun checks what the copy would need — the source resolved already —
// and reports what would happen, changing nothing.
func (p *promoter) dryRun(ctx context.Context, res Result, srcDigest, dstBefore string) Result {
	dst := res.Destination
	if dstBefore != "" && !p.cfg.Override {
		res.Err = &Error{Class: ClassConflict, Code: CodeDestinationExists, Message: existsElsewhere(dst, dstBefore, srcDigest, res.Source)}
		return res
	}
	ok, err := p.namespaceExists(ctx, dst.Namespace)
	if err != nil {
		res.Err = err
		return res
	}
	if !ok {
		res.Err = &Error{Class: ClassNotFound, Code: CodeNamespaceNotFound, Message: fmt.Sprintf(
			"the destination namespace %s does not exist in %s", dst.Namespace, p.cfg.RegistryID)}
		return res
	}
	res.Digest = srcDigest
	res.Image = p.image(ctx, dst, srcDigest)
	verb := "create"
	if dstBefore != "" {
		verb = "replace " + dstBefore + " at"
	}
	p.log.infof("dry run: would %s %s with %s (%s); nothing changed", verb, dst, srcDigest, res.Source)
	return res
}

// resolveSource returns the tag to copy from and its digest. A digest
// source is resolved to a tag pointing at it, as DuplicateImage takes tags.
func (p *promoter) resolveSource(ctx context.Context, src Ref) (tag, digest string, err error) {
	if isDigest(src.Tag) {
		tags, err := p.images(ctx, src, "", src.Tag)
		if err != nil {
			return "", "", err
		}
		if len(tags) == 0 {
			return "", "", &Error{Class: ClassNotFound, Code: CodeSourceNotFound, Message: fmt.Sprintf(
				"no tag of %s/%s points at %s; DuplicateImage copies from a tag, so push or keep one", src.Namespace, src.Repo, src.Tag)}
		}
		p.log.debugf("%s is tagged %s", src, tags[0].tag)
		return tags[0].tag, src.Tag, nil
	}
	digest, err = p.digest(ctx, src)
	if err != nil {
		return "", "", err
	}
	if digest == "" {
		return "", "", &Error{Class: ClassNotFound, Code: CodeSourceNotFound, Message: fmt.Sprintf("%s does not exist in %s", src, p.cfg.RegistryID)}
	}
	return src.Tag, digest, nil
}

type imageTag struct{ tag, digest string }

// images lists the tags of ref's repository named tag exactly, or pointing
// at digest. A missing namespace or repository has no tags.
func (p *promoter) images(ctx context.Context, ref Ref, tag, digest string) ([]imageTag, error) {
	var out []imageTag
	_, err := p.api.do(ctx, "DescribeImages", func(ctx context.Context) (string, error) {
		req := NewDescribeImagesRequest()
		req.RegistryId = common.StringPtr(p.cfg.RegistryID)
		req.NamespaceName = common.StringPtr(ref.Namespace)
		req.RepositoryName = common.StringPtr(ref.Repo)
		if tag != "" {
			req.ImageVersion = common.StringPtr(tag)
			req.ExactMatch = common.BoolPtr(true)
		}
		if digest != "" {
			req.Digest = common.StringPtr(digest)
			req.Limit = common.Int64Ptr(100)
		}
		resp, err := p.api.tcr.DescribeImagesWithContext(ctx, req)
		if err != nil {
			return "", err
		}
		out = out[:0]
		for _, img := range resp.Response.ImageInfoList {
			if img == nil || tag != "" && deref(img.ImageVersion) != tag || digest != "" && deref(img.Digest) != digest {
				continue // the filter is the server's; trust only exact matches
			}
			out = append(out, imageTag{deref(img.ImageVersion), deref(img.Digest)})
		}
		return deref(resp.Response.RequestId), nil
	})
	if err != nil && ClassOf(err) == ClassNotFound {
		return nil, nil
	}
	return out, err
}

// digest returns what ref (a tag) points at, "" if the tag does not exist.
func (p *promoter) digest(ctx context.Context, ref Ref) (string, error) {
	tags, err := p.images(ctx, ref, ref.Tag, "")
	if err != nil || len(tags) == 0 {
		return "", err
	}
	return tags[0].digest, nil
}

// namespaceExists asks DescribeNamespaces whether the namespace exists.
func (p *promoter) namespaceExists(ctx context.Context, name string) (bool, error) {
	found := false
	_, err := p.api.do(ctx, "DescribeNamespaces", func(ctx context.Context) (string, error) {
		req := NewDescribeNamespacesRequest()
		req.RegistryId = common.StringPtr(p.cfg.RegistryID)
		req.NamespaceName = common.StringPtr(name)
		req.Limit = common.Int64Ptr(100)
		resp, err := p.api.tcr.DescribeNamespacesWithContext(ctx, req)
		if err != nil {
			return "", err
		}
		found = false
		for _, ns := range resp.Response.NamespaceList {
			if ns != nil && deref(ns.Name) == name {
				found = true
			}
		}
		return deref(resp.Response.RequestId), nil
	})
	return found, err
}

// prefetchDomain starts the lookup of the registry's domain, once, so that
// it overlaps the promotion instead of following it.
func (p *promoter) prefetchDomain(ctx context.Context) {
	p.prefetch.Do(func() {
		if p.cfg.RegistryDomain == "" {
			p.bg.Go(func() { p.registryDomain(ctx) })
		}
	})
}

// registryDomain is registry_domain, or the instance's PublicDomain ("" if
// it cannot be had).
func (p *promoter) registryDomain(ctx context.Context) string {
	p.domainOnce.Do(func() {
		p.domain = p.cfg.RegistryDomain
		if p.domain == "" {
			p.domain, p.domainErr = p.publicDomain(ctx)
		}
	})
	return p.domain
}

// image is the full reference of a verified destination, or "" (with a
// warning, once) when the registry's domain cannot be known.
func (p *promoter) image(ctx context.Context, dst Ref, digest string) string {
	domain := p.registryDomain(ctx)
	if domain == "" {
		p.domainWarn.Do(func() {
			p.log.warnf("no image output: DescribeInstances gave no domain for %s (%v); set registry_domain", p.cfg.RegistryID, p.domainErr)
		})
		return ""
	}
	return domain + "/" + dst.Namespace + "/" + dst.Repo + ":" + dst.Tag + "@" + digest
}

func (p *promoter) publicDomain(ctx context.Context) (string, error) {
	var domain string
	_, err := p.api.do(ctx, "DescribeInstances", func(ctx context.Context) (string, error) {
		req := NewDescribeInstancesRequest()
		req.Registryids = common.StringPtrs([]string{p.cfg.RegistryID})
		resp, err := p.api.tcr.DescribeInstancesWithContext(ctx, req)
		if err != nil {
			return "", err
		}
		for _, r := range resp.Response.Registries {
			if r != nil && deref(r.RegistryId) == p.cfg.RegistryID {
				domain = deref(r.PublicDomain)
			}
		}
		return deref(resp.Response.RequestId), nil
	})
	return domain, err
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
