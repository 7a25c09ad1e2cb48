// Package scratch is how an exact promotion puts into the destination
// exactly the digest that was checked, or nothing. DuplicateImage copies
// a tag, and a tag can move between the check and the copy (a push to
// stg); so a gated or pinned promotion copies the source first into a
// scratch repository of its own — a name nobody else writes — reads what
// landed there, and copies on from there only if it is the digest
// checked. One scratch copy serves every destination of a source tag at
// one digest, and is deleted when the run's promotions end, whatever
// happens: a repository of the step's own making is the one thing it may
// delete (deleting a tag alone, which may remove all its tags as Harbor's
// artifacts do, is not known for TCR).
package scratch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/tcr-promote/tcr-promote/plugin/cilog"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/once"
	"github.com/tcr-promote/tcr-promote/plugin/tagread"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
)

// Prefix starts the name of every scratch repository, so that one left
// behind (a step killed mid-way) is known for what it is.
const Prefix = "tcr-promote-scratch-"

// cleanupBudget bounds the deletion of a scratch repository, which runs
// even when the step's own deadline has passed.
const cleanupBudget = 15 * time.Second

// Instance is what staging asks of the instance: the flow's copy, its
// read-back that waits for TCR's index, and the deletion.
type Instance interface {
	DuplicateImage(ctx context.Context, src imageref.Ref, from string, dst imageref.Ref, override bool, check tcrapi.ResendCheck) (string, error)
	// Settle reads ref until it shows want, within index_lag; settled
	// says the index answered at all.
	Settle(ctx context.Context, ref imageref.Ref, want string) (got string, settled bool, err error)
	DeleteRepository(ctx context.Context, ns, repo string) error
}

// Stages are the scratch copies of one run. It is safe for concurrent use.
type Stages struct {
	inst     Instance
	lag      time.Duration // index_lag, for messages
	log      *cilog.Logger
	copies   once.Map[key, imageref.Ref]
	mu       sync.Mutex
	cleanups []func()
}

// key is what one scratch copy serves: every promotion of one source tag
// at one checked digest.
type key struct{ namespace, repo, tag, digest string }

// New is the scratch copies of one run.
func New(inst Instance, lag time.Duration, log *cilog.Logger) *Stages {
	return &Stages{inst: inst, lag: lag, log: log}
}

// Of is the scratch copy of src's tag at digest, made once for every
// destination of that source in the run — a source promoted to ten tags
// is staged once, not ten times — and deleted by Cleanup.
func (s *Stages) Of(ctx context.Context, src imageref.Ref, tag, digest string) (imageref.Ref, error) {
	return s.copies.Get(key{src.Namespace, src.Repo, tag, digest}, func() (imageref.Ref, error) {
		scratch, cleanup, err := s.stage(context.WithoutCancel(ctx), src, tag, digest)
		if err == nil {
			s.mu.Lock()
			s.cleanups = append(s.cleanups, cleanup)
			s.mu.Unlock()
		}
		return scratch, err
	})
}

// Cleanup deletes the run's scratch repositories.
func (s *Stages) Cleanup() {
	s.mu.Lock()
	cleanups := s.cleanups
	s.cleanups = nil
	s.mu.Unlock()
	var g failure.Group
	for _, c := range cleanups {
		g.Go(c)
	}
	g.Wait()
}

// stage copies the source into a new scratch repository and checks that
// what landed there is digest. It returns where to copy on from, and a
// cleanup that deletes the scratch repository; on error nothing was
// promoted, and the scratch repository is already gone.
func (s *Stages) stage(ctx context.Context, src imageref.Ref, tag, digest string) (imageref.Ref, func(), error) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	scratch := imageref.Ref{Namespace: src.Namespace, Repo: Prefix + hex.EncodeToString(b[:]), Tag: tag}
	cleanup := func() {
		// Even past the step's deadline: what the step made, it deletes.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupBudget)
		defer cancel()
		s.delete(ctx, scratch)
	}
	// A copy onto a name nobody else writes may simply be sent again.
	if _, err := s.inst.DuplicateImage(ctx, src, tag, scratch, false, tcrapi.Again); err != nil {
		cleanup()
		return imageref.Ref{}, nil, failure.About(err, "copying %s into the scratch repository %s/%s", src, scratch.Namespace, scratch.Repo)
	}
	got, settled, err := s.inst.Settle(ctx, scratch, digest)
	switch {
	case err != nil:
		cleanup()
		return imageref.Ref{}, nil, failure.About(err, "reading the scratch copy %s", scratch)
	case got == digest:
		return scratch, cleanup, nil
	case settled:
		cleanup()
		return imageref.Ref{}, nil, &failure.Error{Class: failure.ClassConflict, Action: "DuplicateImage", Code: failure.CodeDigestMismatch, Message: fmt.Sprintf(
			"%s/%s:%s moved after it was checked: it was %s, and is now %s; nothing was promoted", src.Namespace, src.Repo, tag, digest, got),
			Hint: "someone pushed the source meanwhile: check what it is now, then run the step again"}
	default:
		cleanup()
		return imageref.Ref{}, nil, &failure.Error{Class: failure.ClassTemporary, Action: "DescribeImages", Code: failure.CodeIndexLag, Message: fmt.Sprintf(
			"the scratch copy %s does not show %s within %s: TCR's index may lag; nothing was promoted", scratch, digest, s.lag),
			Hint: "re-run the step (raise index_lag to wait longer)"}
	}
}

// delete deletes a scratch repository. A failure does not fail the
// promotion — what it promoted is in place — but is said, with what to
// delete by hand.
func (s *Stages) delete(ctx context.Context, scratch imageref.Ref) {
	if err := s.inst.DeleteRepository(ctx, scratch.Namespace, scratch.Repo); err != nil && !tagread.NotFound(err) {
		s.log.Warnf("the scratch repository %s/%s was not deleted (%v): delete it by hand (grant tcr:DeleteRepository)", scratch.Namespace, scratch.Repo, err)
	}
}
