package plugin

import (
	"context"
	"errors"
	"fmt"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// Result is the outcome of one promotion.
type Result struct {
	Source       Ref
	Destination  Ref
	RequestID    string // of the DuplicateImage call; of the failed call on failure
	Digest       string // what the destination points at, when known
	Promoted     bool   // false when nothing was copied
	AlreadyThere bool   // the destination already held the source's image
	Err          error  // nil on success; an *Error otherwise
}

// promoter runs promotions within one instance.
type promoter struct {
	api *api
	cfg *Config
	log *logger
}

// promote copies cfg.Source to dst with one DuplicateImage call. A conflict
// (the destination tag exists and override is false) is success when the
// destination already points at the source's digest — a retry after a lost
// answer, or a re-run of the pipeline — and stays a conflict otherwise.
func (p *promoter) promote(ctx context.Context, src, dst Ref) Result {
	res := Result{Source: src, Destination: dst}
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
	srcDigest, dstDigest, cerr := p.digests(ctx, src, dst)
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
		e.Message = fmt.Sprintf("%s already exists and points at %s, not at %s (the digest of %s); set override to replace it", dst, dstDigest, srcDigest, src)
	}
	return res
}

// digests returns what src and dst point at.
func (p *promoter) digests(ctx context.Context, src, dst Ref) (srcDigest, dstDigest string, err error) {
	if srcDigest, err = p.digest(ctx, src); err != nil {
		return "", "", err
	}
	dstDigest, err = p.digest(ctx, dst)
	return srcDigest, dstDigest, err
}

// digest returns what ref points at, "" if the tag does not exist.
func (p *promoter) digest(ctx context.Context, ref Ref) (string, error) {
	var digest string
	_, err := p.api.do(ctx, "DescribeImages", func(ctx context.Context) (string, error) {
		req := NewDescribeImagesRequest()
		req.RegistryId = common.StringPtr(p.cfg.RegistryID)
		req.NamespaceName = common.StringPtr(ref.Namespace)
		req.RepositoryName = common.StringPtr(ref.Repo)
		req.ImageVersion = common.StringPtr(ref.Tag)
		req.ExactMatch = common.BoolPtr(true)
		resp, err := p.api.tcr.DescribeImagesWithContext(ctx, req)
		if err != nil {
			return "", err
		}
		digest = ""
		for _, img := range resp.Response.ImageInfoList {
			if img != nil && deref(img.ImageVersion) == ref.Tag {
				digest = deref(img.Digest)
			}
		}
		return deref(resp.Response.RequestId), nil
	})
	if err != nil && ClassOf(err) == ClassNotFound {
		return "", nil // no such repository: no such tag
	}
	return digest, err
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
