package promote

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/tagread"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
)

// An exact promotion puts into the destination exactly the digest that
// was checked, or nothing. DuplicateImage copies a tag, and a tag can
// move between the check and the copy (a push to stg); so a gated or
// pinned promotion copies the source first into a scratch repository of
// its own — a name nobody else writes — reads what landed there, and
// copies on from there only if it is the digest checked. The scratch
// repository is deleted whatever happens: a repository of the step's
// own, not a tag, because whether deleting a tag deletes the image with
// all its tags (Harbor's artifacts) is not known for TCR.

// scratchPrefix starts the name of every scratch repository, so that one
// left behind (a step killed mid-way) is known for what it is.
const scratchPrefix = "tcr-promote-scratch-"

// cleanupBudget bounds the deletion of a scratch repository, which runs
// even when the step's own deadline has passed.
const cleanupBudget = 15 * time.Second

// exact reports whether the promotion of src must copy exactly what was
// checked: a gate read the source, or a digest pins it.
func (p *Promoter) exact(src imageref.Ref, o observation) bool {
	if !o.verified || p.cfg.Personal {
		return false
	}
	s := p.cfg.Supply
	return src.Digest != "" || p.cfg.ExpectedDigest != "" || s.RequireSignature != "" || len(s.RequireLabels) > 0
}

// stageKey is what one scratch copy serves: every promotion of one
// source tag at one checked digest.
type stageKey struct{ namespace, repo, tag, digest string }

// staged is the scratch copy of src at the digest o checked, made once
// for every destination of that source in the run — a source promoted
// to ten tags is staged once, not ten times — and deleted when the run's
// promotions end (cleanupScratches).
func (p *Promoter) staged(ctx context.Context, src imageref.Ref, o observation) (imageref.Ref, error) {
	key := stageKey{src.Namespace, src.Repo, o.from, o.srcDigest}
	return p.scratches.Get(key, func() (imageref.Ref, error) {
		scratch, cleanup, err := p.stage(context.WithoutCancel(ctx), src, o)
		if err == nil {
			p.cleanupMu.Lock()
			p.cleanups = append(p.cleanups, cleanup)
			p.cleanupMu.Unlock()
		}
		return scratch, err
	})
}

// cleanupScratches deletes the run's scratch repositories.
func (p *Promoter) cleanupScratches() {
	p.cleanupMu.Lock()
	cleanups := p.cleanups
	p.cleanups = nil
	p.cleanupMu.Unlock()
	var g failure.Group
	for _, c := range cleanups {
		g.Go(c)
	}
	g.Wait()
}

// stage copies the source into a new scratch repository and checks that
// what landed there is o.srcDigest. It returns where to copy on from, and
// a cleanup that deletes the scratch repository; on error nothing was
// promoted, and the scratch repository is already gone.
func (p *Promoter) stage(ctx context.Context, src imageref.Ref, o observation) (imageref.Ref, func(), error) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	scratch := imageref.Ref{Namespace: src.Namespace, Repo: scratchPrefix + hex.EncodeToString(b[:]), Tag: o.from}
	cleanup := func() {
		// Even past the step's deadline: what the step made, it deletes.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupBudget)
		defer cancel()
		p.deleteScratch(ctx, scratch)
	}
	// A copy onto a name nobody else writes may simply be sent again.
	if _, err := p.duplicate(ctx, src, o.from, scratch, false, tcrapi.Again); err != nil {
		cleanup()
		return imageref.Ref{}, nil, failure.About(err, "copying %s into the scratch repository %s/%s", src, scratch.Namespace, scratch.Repo)
	}
	got, settled, err := p.settle(ctx, scratch, o.srcDigest, "")
	switch {
	case err != nil:
		cleanup()
		return imageref.Ref{}, nil, failure.About(err, "reading the scratch copy %s", scratch)
	case got == o.srcDigest:
		return scratch, cleanup, nil
	case settled:
		cleanup()
		return imageref.Ref{}, nil, &failure.Error{Class: failure.ClassConflict, Action: "DuplicateImage", Code: failure.CodeDigestMismatch, Message: fmt.Sprintf(
			"%s/%s:%s moved after it was checked: it was %s, and is now %s; nothing was promoted", src.Namespace, src.Repo, o.from, o.srcDigest, got),
			Hint: "someone pushed the source meanwhile: check what it is now, then run the step again"}
	default:
		cleanup()
		return imageref.Ref{}, nil, &failure.Error{Class: failure.ClassTemporary, Action: "DescribeImages", Code: failure.CodeIndexLag, Message: fmt.Sprintf(
			"the scratch copy %s does not show %s within %s: TCR's index may lag; nothing was promoted", scratch, o.srcDigest, p.cfg.IndexLag),
			Hint: "re-run the step (raise index_lag to wait longer)"}
	}
}

// deleteScratch deletes a scratch repository. A failure does not fail
// the promotion — what it promoted is in place — but is said, with what
// to delete by hand.
func (p *Promoter) deleteScratch(ctx context.Context, scratch imageref.Ref) {
	if err := p.reg.DeleteRepository(ctx, scratch.Namespace, scratch.Repo); err != nil && !tagread.NotFound(err) {
		p.log.Warnf("the scratch repository %s/%s was not deleted (%v): delete it by hand (grant tcr:DeleteRepository)", scratch.Namespace, scratch.Repo, err)
	}
}
