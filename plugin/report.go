package plugin

import (
	"cmp"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/tcr-promote/tcr-promote/plugin/cilog"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/promotion"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
)

// report logs one promotion as it ends: one line for a success; for the
// failure of a single promotion, what failed, why and what to do next. In
// a batch a failure's details wait for causes, which says each cause once;
// with debug they are printed here too.
func report(log *cilog.Logger, exits failure.Exits, registry string, res promotion.Result, batch, planned bool) {
	what := fmt.Sprintf("%s → %s in %s", res.Source, res.Destination, registry)
	if res.Destination.Host != "" {
		// On another instance: the destination names its own host.
		what = fmt.Sprintf("%s in %s → %s", res.Source, registry, res.Destination)
	}
	if res.Source == (imageref.Ref{}) {
		what = "before any promotion" // settings or credentials
	}
	if res.Err == nil && planned && (res.Status == promotion.StatusDryRun || res.Status == promotion.StatusAlreadyThere) {
		return // the plan's own line for this destination says it
	}
	if res.Err == nil {
		verb := map[promotion.Status]string{promotion.StatusPromoted: "promoted", promotion.StatusDryRun: "dry run ok:", promotion.StatusAlreadyThere: "already promoted"}[res.Status]
		var detail []string
		if res.Digest != "" {
			detail = append(detail, res.Digest)
		}
		switch {
		case res.RequestID != "":
			detail = append(detail, "RequestId "+res.RequestID)
		case res.Via == promotion.ViaRegistry:
			detail = append(detail, fmt.Sprintf("%d bytes of blobs copied through the registries", res.CopiedBytes))
		default:
			detail = append(detail, "nothing copied")
		}
		log.Infof("%s %s (%s)", verb, what, strings.Join(detail, ", "))
		return
	}
	class := failure.ClassOf(res.Err)
	if class == failure.ClassUsage {
		if e, ok := errors.AsType[*failure.Error](res.Err); ok && len(e.Problems) > 1 {
			// Several findings: one a line, then where the settings are told.
			log.Errorf("invalid settings (exit %d):", exits.Code(res.Err))
			for _, p := range e.Problems {
				log.Errorf("  - %s", p)
			}
			log.Errorf("  see tcr-promote --help, or docs/settings.md")
		} else {
			log.Errorf("%s (exit %d)", res.Err, exits.Code(res.Err))
		}
		log.Annotate("tcr-promote: invalid settings", res.Err.Error())
		return
	}
	if batch {
		// The registry's own change is said per promotion, always.
		registryChanged(log, res)
		log.Debugf("failed %s: %s: %s", what, class, res.Err)
		return
	}
	log.Errorf("failed %s: %s (exit %d)", what, class, exits.Code(res.Err))
	details(log, res.Err)
	registryChanged(log, res)
	next(log, what, res.Err)
}

// inOrder passes results on to tell in promotion order, whatever order
// they finish in: a person reads a batch's lines as the settings or the
// file list them. flush tells what is still held (a promotion that never
// reported), in order, when the batch is over.
func inOrder(pairs []settings.Pair, tell func(promotion.Result)) (ordered func(promotion.Result), flush func()) {
	var mu sync.Mutex
	at := make(map[imageref.Ref]int, len(pairs))
	for i, p := range pairs {
		at[p.Destination] = i
	}
	held := map[int]promotion.Result{}
	next := 0
	release := func() {
		for r, ok := held[next]; ok; r, ok = held[next] {
			delete(held, next)
			next++
			tell(r)
		}
	}
	ordered = func(res promotion.Result) {
		mu.Lock()
		defer mu.Unlock()
		i, ok := at[res.Destination]
		if !ok || i < next {
			tell(res)
			return
		}
		held[i] = res
		release()
	}
	flush = func() {
		mu.Lock()
		defer mu.Unlock()
		for ; len(held) > 0; next++ {
			if r, ok := held[next]; ok {
				delete(held, next)
				tell(r)
			}
		}
	}
	return ordered, flush
}

// next ends a failure's report: what to do, and GitHub's annotation.
func next(log *cilog.Logger, what string, err error) {
	log.Errorf("  next: %s", failure.Next(err))
	log.Annotate("tcr-promote: "+failure.ClassOf(err).String(), fmt.Sprintf("%s: %s", what, err))
}

// reportReplicas reports a wait for the replicas that failed, after
// promotions that did not.
func reportReplicas(log *cilog.Logger, exits failure.Exits, err error) {
	what := "waiting for the replicas"
	log.Errorf("%s: %s (exit %d)", what, failure.ClassOf(err), exits.Code(err))
	details(log, err)
	next(log, what, err)
}

// details writes a failure's code, message and RequestId.
func details(log *cilog.Logger, err error) {
	e, ok := errors.AsType[*failure.Error](err)
	if !ok {
		log.Errorf("  %s", err)
		return
	}
	log.Errorf("  %s: %s", cmp.Or(e.Code, "none"), e.Message)
	if e.Class == failure.ClassDrift || e.Code == failure.CodeReplicaLag {
		return // found by reading, not an answer that failed
	}
	switch {
	case e.RequestID != "":
		log.Errorf("  RequestId: %s", e.RequestID)
	case !decidedByStep(e):
		log.Errorf("  RequestId: none (no answer from the API)")
	}
}

// decidedByStep reports whether the step itself refused, from what it
// had read (a gate, an immutable tag, a destination that moved): the API
// answered, and no failed call has a RequestId to give.
func decidedByStep(e *failure.Error) bool {
	switch e.Class {
	case failure.ClassPolicy, failure.ClassConflict, failure.ClassDrift, failure.ClassUsage:
		return strings.HasPrefix(e.Code, "ClientError.")
	}
	return false
}

// registryChanged says what a failed promotion changed, or may have.
func registryChanged(log *cilog.Logger, res promotion.Result) {
	switch {
	case res.Copied:
		// The failure came after the copy: say plainly what changed.
		log.Errorf("  the registry was changed: DuplicateImage wrote %s (RequestId %s)", res.Destination, cmp.Or(res.RequestID, "unknown"))
	case res.MaybeCopied:
		log.Errorf("  the registry may have been changed: DuplicateImage was sent to write %s, and what became of it is unknown; a re-run reads it first", res.Destination)
	}
}

// causes ends a batch's log with its failures grouped by cause — class,
// code and advice — each said once with a count, the destinations it hit,
// the first one's message and RequestId, and what to do next; one
// annotation each. A hundred timeouts are one cause, not four hundred
// lines (each promotion's own is in results, the job summary, and the log
// with debug).
func causes(log *cilog.Logger, results []promotion.Result) {
	type cause struct {
		class failure.Class
		code  string
		next  string
	}
	var order []cause
	hit := map[cause][]promotion.Result{}
	for _, res := range results {
		if res.Err == nil {
			continue
		}
		c := cause{failure.ClassOf(res.Err), failure.CodeOf(res.Err), failure.Next(res.Err)}
		if hit[c] == nil {
			order = append(order, c)
		}
		hit[c] = append(hit[c], res)
	}
	for _, c := range order {
		rs := hit[c]
		dsts := make([]string, len(rs))
		for i, r := range rs {
			dsts[i] = r.Destination.String()
		}
		head := fmt.Sprintf("%d failed: %s (%s): %s", len(rs), c.class, cmp.Or(c.code, "no code"), cilog.Few(dsts, 5, ", "))
		log.Errorf("%s", head)
		if c.class == failure.ClassDrift {
			// A check's report is its list: every drifted destination,
			// what it holds and what it should.
			for _, r := range rs {
				if e, ok := errors.AsType[*failure.Error](r.Err); ok {
					log.Errorf("  %s", e.Message)
				}
			}
			log.Errorf("  next: %s", c.next)
			log.Annotate("tcr-promote: drift", head)
			continue
		}
		first := rs[0]
		log.Errorf("  first, %s → %s:", first.Source, first.Destination)
		details(log, first.Err)
		log.Errorf("  next: %s", c.next)
		log.Annotate("tcr-promote: "+c.class.String(), fmt.Sprintf("%s; first: %s", head, first.Err))
	}
}
