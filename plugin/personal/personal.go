// Package personal runs a promotion on TCR's Personal edition
// (ccr.ccs.tencentyun.com and its regional hosts), whose API has two
// actions of its own and tells less than Enterprise's: its flow is its own.
package personal

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/tcr-promote/tcr-promote/plugin/cilog"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/promotion"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"github.com/tcr-promote/tcr-promote/plugin/tcrops"
)

// The Personal edition (ccr.ccs.tencentyun.com and its regional hosts) has
// its own two actions. DuplicateImagePersonal copies namespace/repo:tag to
// namespace/repo:tag and answers the copied digest; it has no Override.
// DescribeImagePersonal lists a repository's tags with an ImageId that is
// not documented as the manifest digest (Docker's "image ID" is the
// config's), so an ImageId is compared only with another ImageId, never
// with a digest. What the Personal API cannot answer is not checked:
// there is no digest of a source before the copy (so no expected_digest,
// no digest source), and no read-back of the destination's digest — the
// digest reported is the copy's own answer.

// Registry is what the flow asks of the Personal edition: tcrops.Instance,
// or a test's fake.
type Registry interface {
	PersonalTags(ctx context.Context, ref imageref.Ref, offset, limit int64) ([]tcrops.PersonalTag, int64, string, error)
	DuplicateImagePersonal(ctx context.Context, src, dst imageref.Ref) (digest, requestID string, err error)
}

// Flow runs the Personal edition's promotions of one run; it is safe for
// concurrent use.
type Flow struct {
	Reg   Registry
	Cfg   *settings.Config
	Log   *cilog.Logger
	Image func(dst imageref.Ref, digest string) string // the image output, "" if none

	sources sync.Map // each source's ImageId, read once: imageref.Ref → func() (string, error)
}

// personalTag is one tag of a Personal repository.
type personalTag struct {
	name, imageID string
}

// findPersonalTag looks up ref's tag; nil if the repository holds no such tag.
// A repository that does not exist answers ResourceNotFound.ErrNoRepo,
// returned as the error.
func (p *Flow) findPersonalTag(ctx context.Context, ref imageref.Ref) (*personalTag, string, error) {
	const page = 100
	for offset := int64(0); ; offset += page {
		tags, total, id, err := p.tagPage(ctx, ref, offset, page)
		if err != nil {
			return nil, "", err
		}
		for _, t := range tags {
			if t.name == ref.Tag { // Tag is a search: match exactly here
				return &t, id, nil
			}
		}
		if len(tags) == 0 || offset+page >= total {
			return nil, id, nil
		}
	}
}

func (p *Flow) tagPage(ctx context.Context, ref imageref.Ref, offset, limit int64) ([]personalTag, int64, string, error) {
	list, total, id, err := p.Reg.PersonalTags(ctx, ref, offset, limit)
	tags := make([]personalTag, len(list))
	for i, t := range list {
		tags[i] = personalTag{name: t.Name, imageID: t.ImageID}
	}
	return tags, total, id, err
}

// personalSource checks that the source tag exists, once per source, and
// returns its ImageId.
func (p *Flow) personalSource(ctx context.Context, src imageref.Ref) (imageID string, err error) {
	once, _ := p.sources.LoadOrStore(src, sync.OnceValues(func() (string, error) {
		t, id, err := p.findPersonalTag(ctx, src)
		switch {
		case err != nil:
			return "", failure.About(err, "the source %s", src)
		case t == nil:
			return "", &failure.Error{Class: failure.ClassNotFound, Action: "DescribeImagePersonal", Code: failure.CodeSourceNotFound, RequestID: id,
				Message: fmt.Sprintf("%s does not exist in %s", src, p.Cfg.RegistryHost)}
		}
		return t.imageID, nil
	}))
	return once.(func() (string, error))()
}

// Promote runs one promotion on the Personal edition: the source
// checked (verify), the destination checked when there is no override —
// the API has none — then DuplicateImagePersonal.
func (p *Flow) Promote(ctx context.Context, pair settings.Pair) promotion.Result {
	res := promotion.Result{Source: pair.Source, Destination: pair.Destination}
	fail := func(err error) promotion.Result {
		res.Err, res.RequestID = err, failure.RequestID(err)
		return res
	}
	src, dst := pair.Source, pair.Destination
	var srcID string // the source's ImageId, when verified
	if p.Cfg.Verify || p.Cfg.DryRun {
		id, err := p.personalSource(ctx, src)
		if err != nil {
			return fail(err)
		}
		srcID = id
	}
	if !p.Cfg.Override {
		d, _, err := p.findPersonalTag(ctx, dst)
		if err != nil && failure.ClassOf(err) != failure.ClassNotFound { // a new repository is fine
			return fail(failure.About(err, "the destination %s", dst))
		}
		if d != nil {
			if srcID != "" && d.imageID == srcID {
				p.Log.Infof("%s already holds the image %s holds (ImageId %s): nothing to copy", dst, src, d.imageID)
				res.Status = promotion.StatusAlreadyThere
				res.Digest, res.Image = p.personalDigest(ctx, src, dst)
				return res
			}
			return fail(&failure.Error{Class: failure.ClassConflict, Action: "DescribeImagePersonal", Code: failure.CodeDestinationExists, Message: fmt.Sprintf(
				"%s already exists (ImageId %s) and the Personal edition cannot tell whether it is the image of %s; its copy has no override flag, so the step checks first: set override to copy over it",
				dst, cmp.Or(d.imageID, "none"), src)})
		}
	}
	if p.Cfg.DryRun {
		p.Log.Infof("dry run: would copy %s to %s on %s; nothing changed (the Personal edition tells the digest only when it copies)", src, dst, p.Cfg.RegistryHost)
		res.Status = promotion.StatusDryRun
		return res
	}
	digest, id, err := p.copyPersonal(ctx, src, dst)
	if err != nil {
		return fail(err)
	}
	res.Status, res.RequestID, res.Copied = promotion.StatusPromoted, id, true
	if imageref.IsDigest(digest) { // the answer is untrusted text: only a digest is reported as one
		res.Digest, res.Image = digest, p.Image(dst, digest)
	}
	return res
}

// copyPersonal is DuplicateImagePersonal: it answers the digest it copied.
func (p *Flow) copyPersonal(ctx context.Context, src, dst imageref.Ref) (digest, requestID string, err error) {
	return p.Reg.DuplicateImagePersonal(ctx, src, dst)
}

// personalDigest learns the digest of a destination that already holds
// the source's image: the Personal API tells a digest only when it copies,
// so the same image is copied once more, its content unchanged. If that
// copy is refused, there is no digest to report, and the log says why.
func (p *Flow) personalDigest(ctx context.Context, src, dst imageref.Ref) (digest, image string) {
	d, _, err := p.copyPersonal(ctx, src, dst)
	if err != nil || !imageref.IsDigest(d) {
		p.Log.Warnf("no digest outputs for %s: the Personal API tells a digest only when it copies, and copying the same image again to learn it failed (%v)", dst, cmp.Or[error](err, errors.New("no digest in the answer")))
		return "", ""
	}
	p.Log.Debugf("%s is %s (copied again, the same image, to learn its digest)", dst, d)
	return d, p.Image(dst, d)
}
