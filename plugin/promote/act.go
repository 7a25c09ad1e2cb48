package promote

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/promotion"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
)

// act carries out a plan.
func (p *Promoter) act(ctx context.Context, pair settings.Pair, o observation, pl plan) promotion.Result {
	res := promotion.Result{Source: pair.Source, Destination: pair.Destination, Checks: pl.checks, Where: pair.Where}
	if o.verified {
		res.PreviousDigest, res.Change = o.dstDigest, promotion.ChangeCreate
		if o.dstDigest != "" {
			res.Change = promotion.ChangeMove
		}
	}
	switch pl.verdict {
	case verdictRefuse:
		res.Err, res.RequestID, res.Change = pl.err, failure.RequestID(pl.err), promotion.ChangeRefused
		return res
	case verdictSkip:
		res.Change = promotion.ChangeAlreadyThere
		p.log.For(ctx).Infof("%s already points at %s, as %s does: nothing to copy", pair.Destination, o.srcDigest, pair.Source)
		res.Status, res.Digest, res.Image = promotion.StatusAlreadyThere, o.srcDigest, p.image(pair.Destination, o.srcDigest)
		return p.after(ctx, res, o)
	case verdictDryRun:
		switch {
		case p.cfg.Mode != "" && o.dstDigest == "":
			p.log.For(ctx).Infof("plan: create %s at %s (%s)", pair.Destination, o.srcDigest, pair.Source)
		case p.cfg.Mode != "":
			p.log.For(ctx).Infof("plan: move %s from %s to %s (%s)", pair.Destination, o.dstDigest, o.srcDigest, pair.Source)
		default:
			verb := "create"
			if o.dstDigest != "" {
				verb = "replace " + o.dstDigest + " at"
			}
			p.log.For(ctx).Infof("dry run: would %s %s with %s (%s); nothing changed", verb, pair.Destination, o.srcDigest, pair.Source)
		}
		res.Status, res.Digest, res.Image = promotion.StatusDryRun, o.srcDigest, p.image(pair.Destination, o.srcDigest)
		res.Platforms = p.platforms(ctx, pair.Source, o)
		return res
	}
	res = p.copy(ctx, res, o)
	if res.Status == promotion.StatusAlreadyThere {
		res.Change = promotion.ChangeAlreadyThere
	}
	if res.Err == nil && res.Digest != "" {
		return p.after(ctx, res, o)
	}
	return res
}

// after completes a promotion whose destination holds the source's image:
// the cosign tags carried along, the destination signed (sign: kms), the
// platforms known. Their failure fails the promotion with their own code
// and RequestId; the registry was changed all the same.
func (p *Promoter) after(ctx context.Context, res promotion.Result, o observation) promotion.Result {
	if p.cfg.DryRun {
		res.Platforms = p.platforms(ctx, res.Source, o)
		return res // nothing is carried or signed: nothing changes in a dry run
	}
	accs, err := p.carry.All(ctx, res.Source, res.Destination, o.srcDigest)
	res.Accessories = accs
	if err == nil && p.cfg.Supply.Sign {
		var id string
		if id, err = p.signer.Sign(ctx, res.Destination, o.srcDigest); err == nil {
			res.Signed = cmp.Or(id, "already")
		}
	}
	if err != nil {
		res.Status, res.Err = promotion.StatusFailed, err
		if id := failure.RequestID(err); id != "" && !res.Copied {
			res.RequestID = id
		}
	}
	// Last: the platforms only feed an output, and the required work
	// above waits for nothing of theirs.
	res.Platforms = p.platforms(ctx, res.Source, o)
	return res
}

// platforms is what the source is — its os/arch, or its images' for an
// index — read beside the copy; unknown (with one warning) if it cannot
// be read: it is only reported.
func (p *Promoter) platforms(ctx context.Context, src imageref.Ref, o observation) []string {
	if !p.readsPlatforms() {
		return nil
	}
	ctx, cancel := p.optional(ctx)
	defer cancel()
	m, err := p.manifestOf(ctx, imageref.Ref{Namespace: src.Namespace, Repo: src.Repo, Tag: o.from})
	if err != nil {
		p.manifestWarn.Do(func() {
			p.log.For(ctx).Warnf("no platforms output: DescribeImageManifests: %v (grant tcr:DescribeImageManifests)", err)
		})
		return nil
	}
	var out []string
	for _, pl := range m.platforms { // in the index's order, each once
		if !slices.Contains(out, pl) && len(out) <= maxPlatforms {
			out = append(out, pl)
		}
	}
	if len(out) > maxPlatforms {
		// No real index has more; a hostile one would make the output,
		// and GitHub's 1 MiB of a job's outputs, overflow.
		p.log.For(ctx).Warnf("%s lists %d platforms: the platforms output gives the first %d", src, len(m.platforms), maxPlatforms)
		out = out[:maxPlatforms]
	}
	return out
}

// maxPlatforms is the most platforms the output gives.
const maxPlatforms = 64

// optionalBudget bounds a read that only feeds an output: it runs
// beside the copy and may never use up the time the copy, the carry and
// the read-back need.
const optionalBudget = 10 * time.Second

// optional is ctx for such a read: its own short deadline, within the
// step's.
func (p *Promoter) optional(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, min(optionalBudget, p.cfg.AttemptTimeout))
}

// readsPlatforms reports whether the run reads what images are. A plan or
// a check does without: DescribeImageManifests' 10/s would be most of its
// time.
func (p *Promoter) readsPlatforms() bool { return p.cfg.Mode == "" }

// copy makes the DuplicateImage call and, when verified, reads the
// destination back until TCR's index shows the copy. A copy whose answer
// was lost is settled by reading the destination, never by sending it
// again blindly (resendCheck, lost).
func (p *Promoter) copy(ctx context.Context, res promotion.Result, o observation) promotion.Result {
	src, dst := res.Source, res.Destination
	if across(dst) {
		return p.copyAcross(ctx, res, o)
	}
	if p.exact(src, o) {
		scratch, err := p.stages.Of(ctx, src, o.from, o.srcDigest)
		if err != nil {
			res.Status, res.Err, res.RequestID = promotion.StatusFailed, err, failure.RequestID(err)
			return res
		}
		src = scratch // holds exactly the digest checked, and nobody else writes it
	}
	id, err := p.duplicate(ctx, src, o.from, dst, o.override, p.resendCheck(dst, o))
	var e *failure.Error
	switch {
	case errors.Is(err, errCopied):
		return p.copiedUnanswered(res, o)
	case errors.As(err, &e) && e.Ambiguous:
		return p.lost(ctx, res, o, e)
	case err != nil:
		return p.refused(ctx, res, o, err)
	}
	res.Status, res.RequestID, res.Copied, res.Via = promotion.StatusPromoted, id, true, promotion.ViaDuplicate
	if !o.verified {
		return res
	}
	got, settled, err := p.settle(ctx, dst, o.srcDigest, o.dstDigest)
	switch {
	case err != nil:
		res.Status, res.Err = promotion.StatusFailed, failure.About(err, "reading %s back after the copy", dst)
	case got == o.srcDigest:
		res.Digest, res.Image = got, p.image(dst, got)
	case settled:
		res.Status, res.Err = promotion.StatusFailed, p.changedAfterCopy(ctx, src, dst, o, got)
	default:
		res.Status, res.Err = promotion.StatusFailed, &failure.Error{Class: failure.ClassTemporary, Action: "DescribeImages", Code: failure.CodeIndexLag, Message: fmt.Sprintf(
			"DescribeImages still shows %s at %s, not %s, %s after the copy: TCR's index may lag, so the promotion could not be verified",
			dst, cmp.Or(got, "none"), o.srcDigest, p.cfg.IndexLag),
			Hint: "re-run the step: it finds the copy in place and verifies it (raise index_lag to wait longer)"}
	}
	return res
}

// duplicate sends DuplicateImage: src's repository at tag from, to dst.
// check decides, after an ambiguous attempt, whether it may go again.
func (p *Promoter) duplicate(ctx context.Context, src imageref.Ref, from string, dst imageref.Ref, override bool, check tcrapi.ResendCheck) (string, error) {
	return p.reg.DuplicateImage(ctx, src, from, dst, override, check)
}

// errCopied: the destination already holds what a copy whose answer was
// lost was to write there. The copy happened.
var errCopied = errors.New("the copy happened")

// resendCheck is what a copy does before it is sent again after an
// ambiguous attempt — its answer lost, cut off, garbled or late: the copy
// may have happened, and someone else may have written the destination
// since. It reads the destination once. At the source's digest, the copy
// happened (errCopied); as it was when the promotion started, sending it
// again is safe; anything else is someone else's image, which is never
// overwritten. Without a read before the copy (verify: false) there is
// nothing to compare with: without override a resend cannot overwrite
// (TCR refuses), with override it may, and the log says so.
func (p *Promoter) resendCheck(dst imageref.Ref, o observation) tcrapi.ResendCheck {
	return func(ctx context.Context, last *failure.Error) error {
		if !o.verified {
			if o.override {
				p.log.For(ctx).Warnf("DuplicateImage %s: %s; with verify: false the step cannot tell whether that copy happened, nor whether someone else wrote %s since: it sends the copy again, which with override may replace a newer image (verify: true checks first)",
					dst, last.Message, dst)
			}
			return nil
		}
		got, err := p.digest(ctx, dst)
		switch {
		case err != nil && !o.override:
			return nil // TCR refuses to overwrite without override
		case err != nil:
			return failure.WithNote(last, fmt.Sprintf("not sent again, as %s could not be read to tell whether the copy happened: %v", dst, err))
		case got == o.srcDigest:
			return errCopied
		case got == o.dstDigest:
			p.log.For(ctx).Infof("DuplicateImage %s: %s; %s is as it was (%s), so the copy did not happen: sending it again", dst, last.Message, dst, cmp.Or(got, "absent"))
			return nil
		}
		return failure.Changed("DuplicateImage", dst.String(), last.RequestID, fmt.Sprintf(
			"%s; %s now points at %s, neither the source's %s nor what it held when the promotion started (%s): someone else wrote it meanwhile, so the copy is not sent again and that image stays",
			last.Message, dst, got, o.srcDigest, cmp.Or(o.dstDigest, "absent")))
	}
}

// copiedUnanswered reports a copy whose answer was lost but whose effect is
// in place.
func (p *Promoter) copiedUnanswered(res promotion.Result, o observation) promotion.Result {
	p.log.Infof("%s now points at %s, the source's digest: the copy happened, though its answer was lost (its RequestId is unknown)", res.Destination, o.srcDigest)
	res.Status, res.Copied, res.Err, res.RequestID = promotion.StatusPromoted, true, nil, ""
	res.Digest, res.Image = o.srcDigest, p.image(res.Destination, o.srcDigest)
	return res
}

// lost settles a copy that ended ambiguous — its answer unreadable, or lost
// on every try — by reading the destination: the step reports what the
// registry holds, not what the wire said. Without a read before the
// copy, or once the step is cancelled, it cannot tell, and says so.
func (p *Promoter) lost(ctx context.Context, res promotion.Result, o observation, e *failure.Error) promotion.Result {
	res.Err, res.RequestID = e, e.RequestID
	if !o.verified || ctx.Err() != nil {
		res.MaybeCopied = true
		return res
	}
	// Nothing is sent again here, so the read may wait for TCR's index,
	// which can lag behind the copy, as the read-back does.
	got, _, err := p.settle(ctx, res.Destination, o.srcDigest, o.dstDigest)
	switch {
	case err != nil:
		res.MaybeCopied = true
	case got == o.srcDigest:
		return p.copiedUnanswered(res, o)
	case got != o.dstDigest:
		res.Err = failure.Changed("DuplicateImage", res.Destination.String(), e.RequestID, fmt.Sprintf(
			"%s; %s now points at %s, neither the source's %s nor what it held before (%s): someone else wrote it", e.Message, res.Destination, got, o.srcDigest, cmp.Or(o.dstDigest, "absent")))
	default:
		res.Err = failure.WithNote(e, fmt.Sprintf("%s is as it was (%s): the copy did not happen", res.Destination, cmp.Or(got, "absent")))
	}
	return res
}

// changedAfterCopy explains a destination that settled, after the copy, on
// neither the source's digest nor its old one: the source tag moved (the
// copy took its new image), or someone else wrote the destination.
func (p *Promoter) changedAfterCopy(ctx context.Context, src, dst imageref.Ref, o observation, got string) error {
	now, err := p.digest(ctx, imageref.Ref{Namespace: src.Namespace, Repo: src.Repo, Tag: o.from})
	if err == nil && now == got {
		msg := fmt.Sprintf("after the copy %s points at %s, not at %s, which %s held when the promotion started: the source moved in between; %s now holds %s",
			dst, got, o.srcDigest, src, dst, got)
		if !o.override {
			msg += ", which was not the image checked"
		}
		return &failure.Error{Class: failure.ClassConflict, Action: "DescribeImages", Code: failure.CodeDigestMismatch, Message: msg,
			Hint: "something pushed " + src.Namespace + "/" + src.Repo + ":" + o.from + " during the promotion: check that " + got + " is what should ship, else promote the tested digest (source_reference: " + o.srcDigest + ", or pin it with expected_digest)"}
	}
	return failure.Changed("DescribeImages", dst.String(), "", fmt.Sprintf(
		"after the copy %s points at %s, neither the source's %s nor what it held before (%s): someone else wrote it in between, and it is left as they wrote it",
		dst, got, o.srcDigest, cmp.Or(o.dstDigest, "absent")))
}

// refused handles a failed DuplicateImage call. A conflict — the
// destination tag exists — is success when the destination already holds
// the source's image: a retry after a lost answer, a re-run without
// verify, a service that refuses to copy a digest onto itself. Otherwise
// it stays a conflict, explained, with advice that fits: an immutable tag
// cannot be overridden.
func (p *Promoter) refused(ctx context.Context, res promotion.Result, o observation, err error) promotion.Result {
	res.Err, res.RequestID = err, failure.RequestID(err)
	e, _ := errors.AsType[*failure.Error](err)
	if e == nil || e.Class != failure.ClassConflict {
		return res
	}
	src, dst := res.Source, res.Destination
	srcDigest, cerr := o.srcDigest, error(nil)
	if !o.verified {
		srcDigest, cerr = p.digest(ctx, src)
	}
	got := ""
	if cerr == nil && srcDigest != "" {
		got, _, cerr = p.settle(ctx, dst, srcDigest, "")
	}
	if cerr != nil || srcDigest == "" {
		why := "checking it failed"
		switch {
		case failure.ClassOf(cerr) == failure.ClassPermission:
			why = "DescribeImages is not permitted for these credentials"
		case cerr == nil:
			why = "the source's digest could not be read"
		}
		p.log.For(ctx).Warnf("%s exists and cannot be compared with %s: %s (%v); treating it as a conflict", dst, src, why, cerr)
		return res
	}
	if got == srcDigest {
		res.Err, res.Status, res.Digest, res.Image = nil, promotion.StatusAlreadyThere, got, p.image(dst, got)
		if o.verified && o.dstDigest == "" {
			// It was absent when the promotion started: the copy that
			// made it was this run's, its answer lost on the way.
			res.Status, res.Copied = promotion.StatusPromoted, true
		}
		p.log.For(ctx).Infof("%s already points at %s, as %s does: nothing to change", dst, got, src)
		return res
	}
	ne := *e
	imm := p.immutabilityOf(dst)
	switch {
	case imm.rule != nil:
		ne.Message, ne.Hint = immutableMessage(dst, got, srcDigest, src, *imm.rule)+" ("+e.Message+")", immutableHint
	case o.override && imm.err != nil:
		ne.Message = fmt.Sprintf("TCR refused to overwrite %s although override is set (%s); the tag may be immutable, but the rules could not be read: %v", dst, e.Message, imm.err)
		ne.Hint = "check the tag immutability rules of namespace " + dst.Namespace + " (grant tcr:DescribeImmutableTagRules to see them here)"
	case o.override:
		ne.Hint = "override is set, yet TCR refused; check the namespace's tag immutability rules and the instance's events"
	default:
		ne.Message = existsElsewhere(dst, got, srcDigest, src)
		if imm.err != nil {
			ne.Message += fmt.Sprintf(" (unless it is immutable: the tag immutability rules could not be read: %v)", imm.err)
		}
	}
	res.Err = &ne
	return res
}
