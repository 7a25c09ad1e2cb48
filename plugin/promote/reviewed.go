package promote

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/pace"
	"github.com/tcr-promote/tcr-promote/plugin/promotion"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
)

// What a promotion file and the modes add to a promotion: plan and check
// run it as a dry run; check turns every destination that would change
// into drift; a digest source of the file that no tag carries is an
// error of the file, found before anything is sent.

// reviewed finishes a promotion's result for the file and the mode.
func (p *Promoter) reviewed(pair settings.Pair, res promotion.Result) promotion.Result {
	if pair.Where != "" && pair.Source.ByDigest() && failure.CodeOf(res.Err) == failure.CodeSourceNotFound {
		res.Err = untagged(pair, res.Err)
	}
	if e, ok := errors.AsType[*failure.Error](res.Err); ok && pair.Where != "" && e.Code == failure.CodeDestinationExists {
		// The file, not a setting, says what may move.
		ne := *e
		ne.Hint = fmt.Sprintf("to move it, write override: true in the promotion at %s; or choose another destination", pair.SourceAt)
		res.Err = &ne
	}
	if p.cfg.Mode == "check" {
		res = p.drifted(pair, res)
	}
	return res
}

// untagged is the file's error for a digest source no tag carries.
func untagged(pair settings.Pair, err error) error {
	e := failure.Usagef("%s: no tag of %s points at %s: DuplicateImage copies from a tag, so push or keep one (nothing was sent)", pair.SourceAt, pair.Source.Name(), pair.Source.Digest)
	e.RequestID = failure.RequestID(err)
	return e
}

// drifted says, in check mode, whether the destination holds what the
// settings or the file say: a destination a plan would create or move has
// drifted (ClientError.Drift, exit 3); every other failure stays itself.
func (p *Promoter) drifted(pair settings.Pair, res promotion.Result) promotion.Result {
	code := failure.CodeOf(res.Err)
	drift := res.Status == promotion.StatusDryRun || code == failure.CodeDestinationExists || code == failure.CodeImmutableTag
	if !drift {
		return res
	}
	holds := "does not exist"
	if res.PreviousDigest != "" {
		holds = "holds " + res.PreviousDigest
	}
	says := "the settings say"
	if pair.Where != "" {
		says = pair.Where + " says"
	}
	want := res.SourceDigest()
	res.Status = promotion.StatusFailed
	res.Err = &failure.Error{Class: failure.ClassDrift, Code: failure.CodeDrift, RequestID: res.RequestID, Message: fmt.Sprintf(
		"%s %s; %s %s, the digest of %s", pair.Destination, holds, says, want, withoutDigest(pair.Source))}
	return res
}

// preflight resolves, before a file is applied, every digest source it
// names: if a tag carries none, the file is wrong and nothing is sent. It
// returns the results to end with, nil to go on.
func (p *Promoter) preflight(ctx context.Context) []promotion.Result {
	if p.cfg.File == nil || p.cfg.DryRun {
		return nil
	}
	pairs := p.cfg.Pairs
	errs := make([]error, len(pairs))
	var wg sync.WaitGroup
	seen := map[imageref.Ref]bool{}
	for i, pair := range pairs {
		if !pair.Source.ByDigest() || seen[pair.Source] {
			continue
		}
		seen[pair.Source] = true
		wg.Go(func() {
			if _, err := p.resolve(pace.InOrder(ctx, i), pair.Source); failure.CodeOf(err) == failure.CodeSourceNotFound {
				errs[i] = untagged(pair, err)
			}
		})
	}
	wg.Wait()
	var bad []error
	for _, err := range errs {
		if err != nil {
			bad = append(bad, err)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	results := make([]promotion.Result, len(pairs))
	for i, pair := range pairs {
		err := errs[i]
		if err == nil {
			err = failure.Usagef("%s: not promoted: %s names a source no tag carries (nothing was sent)", pair.Where, p.cfg.File.Path)
		}
		results[i] = promotion.Result{Source: pair.Source, Destination: pair.Destination, Where: pair.Where, Err: err, RequestID: failure.RequestID(err)}
	}
	return results
}
