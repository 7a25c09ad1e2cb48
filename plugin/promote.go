package plugin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/tcr-promote/tcr-promote/internal/tcr"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// A promotion is observe → decide → act: observe reads the registry (the
// source's digest, the destination, and what else the decision needs),
// decide is a pure function from the settings and that observation to a
// plan, and act carries the plan out — the DuplicateImage call and the
// read-back — and reports.

// Status is a promotion's outcome.
type Status int

const (
	StatusFailed       Status = iota
	StatusPromoted            // this run changed the destination
	StatusAlreadyThere        // the destination already held the source's image
	StatusDryRun              // every precondition checked, nothing changed
)

func (s Status) String() string {
	return [...]string{"failed", "promoted", "already_there", "dry_run"}[s]
}

// Result is the outcome of one promotion.
type Result struct {
	Source      Ref
	Destination Ref
	Status      Status
	// RequestID is the DuplicateImage call's whenever a copy was made,
	// even if a later call failed; otherwise the failed call's.
	RequestID string
	// Copied: a DuplicateImage call succeeded, so the registry changed,
	// whatever happened after.
	Copied bool
	// MaybeCopied: a DuplicateImage was sent and what became of it is
	// unknown (its answer lost, and the destination could not be read).
	MaybeCopied bool
	Digest      string // what the destination points at, when verified
	Image       string // domain/namespace/repo:tag@digest, when verified
	Err         error  // nil on success; an *Error otherwise
}

// Client-side codes for what the step finds out itself.
const (
	CodeSourceNotFound    = "ClientError.SourceNotFound"
	CodeNamespaceNotFound = "ClientError.NamespaceNotFound"
	CodeDigestMismatch    = "ClientError.DigestMismatch"
	CodeDestinationExists = "ClientError.DestinationExists"
	CodeImmutableTag      = "ClientError.ImmutableTag"
	CodeIndexLag          = "ClientError.IndexLag"
	// Someone else wrote the destination during the promotion.
	CodeDestinationChanged = "ClientError.DestinationChanged"
)

// promoter runs the promotions of one run within one instance. It is safe
// for concurrent use: promotions share its lookups.
type promoter struct {
	api *api
	cfg *Config
	log *logger

	domain     func() (string, error)          // the registry host, looked up once
	rules      func() ([]immutableRule, error) // the tag immutability rules, read once
	sources    memo[Ref, source]               // each source resolved once
	namespaces memo[string, bool]              // dry run: each namespace checked once
	warnOnce   sync.Once
	domainWarn sync.Once
	bg         group // background lookups, waited for before the run ends
}

// newPromoter makes the promoter of one run; its lookups run under ctx.
func newPromoter(ctx context.Context, a *api, cfg *Config, log *logger) *promoter {
	p := &promoter{api: a, cfg: cfg, log: log, bg: group{dropped: true}}
	p.domain = sync.OnceValues(func() (string, error) {
		// The host the user wrote, else the instance's public domain.
		if d := cmp.Or(cfg.RegistryDomain, cfg.RegistryHost); d != "" {
			return d, nil
		}
		return p.publicDomain(ctx)
	})
	p.rules = sync.OnceValues(func() ([]immutableRule, error) { return p.readRules(ctx) })
	return p
}

// memo runs a lookup once per key, for every promotion that asks.
type memo[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]func() (V, error)
}

func (m *memo[K, V]) get(key K, lookup func() (V, error)) (V, error) {
	m.mu.Lock()
	f := m.m[key]
	if f == nil {
		if m.m == nil {
			m.m = map[K]func() (V, error){}
		}
		f = sync.OnceValues(lookup)
		m.m[key] = f
	}
	m.mu.Unlock()
	return f()
}

func (p *promoter) source(ctx context.Context, src Ref) (source, error) {
	return p.sources.get(src, func() (source, error) { return p.resolveSource(ctx, src) })
}

// verifying reports whether the run reads digests.
func (p *promoter) verifying() bool { return p.cfg.Verify || p.cfg.DryRun }

// needsDigest reports whether the run cannot do without DescribeImages.
func (p *promoter) needsDigest() bool {
	return p.cfg.ExpectedDigest != "" || p.cfg.SourceIsDigest() || p.cfg.DryRun
}

// promote runs one promotion.
func (p *promoter) promote(ctx context.Context, pair Pair) Result {
	if p.cfg.Personal {
		return p.promotePersonal(ctx, pair)
	}
	o := p.observe(ctx, pair)
	return p.act(ctx, pair, o, decide(p.cfg, pair, o))
}

// observation is what the registry held when the promotion started.
type observation struct {
	verified  bool         // the digests below were read
	from      string       // the source tag to copy from (a digest source's tag)
	srcDigest string       // what the source points at
	dstDigest string       // what the destination points at; "" if it does not exist
	immutable immutability // of the destination, when it exists at another image
	nsMissing bool         // dry run: the destination namespace does not exist
	err       error        // a lookup failed: the promotion fails with it
}

// observe reads what the decision needs. Without verify it reads nothing;
// if the credentials may not read images, it warns and reads nothing —
// unless the settings need the digests.
func (p *promoter) observe(ctx context.Context, pair Pair) observation {
	o := observation{from: pair.Source.Tag}
	if !p.verifying() {
		return o
	}
	// The two lookups are independent: overlap them.
	var (
		src    source
		srcErr error
		dstErr error
		wg     group
	)
	wg.Go(func() { src, srcErr = p.source(ctx, pair.Source) })
	wg.Go(func() { o.dstDigest, dstErr = p.digest(ctx, pair.Destination) })
	wg.Wait()
	if err := cmp.Or(srcErr, dstErr); err != nil {
		return observation{from: pair.Source.Tag, err: p.unverifiable(err)}
	}
	o.verified, o.from, o.srcDigest = true, src.tag, src.digest
	if o.dstDigest != "" && o.dstDigest != o.srcDigest {
		o.immutable = p.immutabilityOf(pair.Destination)
	}
	if p.cfg.DryRun && o.dstDigest != o.srcDigest {
		ns := pair.Destination.Namespace
		exists, err := p.namespaces.get(ns, func() (bool, error) { return p.namespaceExists(ctx, ns) })
		o.nsMissing, o.err = !exists, err
	}
	return o
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
		return withNote(err, "DescribeImages is needed for expected_digest, a digest source_reference or dry_run")
	}
	p.warnOnce.Do(func() {
		p.log.warnf("cannot verify: %s; promoting without reading digests back (grant tcr:DescribeImages, or set verify: false to silence this)", err)
	})
	return nil
}

// step is what a plan does.
type step int

const (
	stepCopy   step = iota // DuplicateImage, then read the destination back if verified
	stepSkip               // the destination already holds the source's image
	stepDryRun             // report what the copy would do
	stepFail               // a precondition failed: report it, change nothing
)

type plan struct {
	step step
	err  error // stepFail
}

// decide picks what to do from the settings and what was observed. It
// makes no call: every input is in its arguments.
func decide(cfg *Config, pair Pair, o observation) plan {
	src, dst := pair.Source, pair.Destination
	fail := func(class Class, code, format string, args ...any) plan {
		return plan{step: stepFail, err: &Error{Class: class, Code: code, Message: fmt.Sprintf(format, args...)}}
	}
	switch {
	case o.err != nil:
		return plan{step: stepFail, err: o.err}
	case !o.verified:
		return plan{step: stepCopy}
	case cfg.ExpectedDigest != "" && o.srcDigest != cfg.ExpectedDigest:
		return plan{step: stepFail, err: &Error{Class: ClassConflict, Code: CodeDigestMismatch,
			Message: fmt.Sprintf("%s points at %s, not at the expected %s: it moved since it was tested; nothing was copied", src, o.srcDigest, cfg.ExpectedDigest),
			Hint:    fmt.Sprintf("the source moved after the tests: promote what was tested (its digest as the source), or, if %s is what should ship, set expected_digest to it", o.srcDigest)}}
	case o.dstDigest == o.srcDigest:
		return plan{step: stepSkip}
	case o.dstDigest != "" && o.immutable.rule != nil:
		return plan{step: stepFail, err: &Error{Class: ClassConflict, Code: CodeImmutableTag, Hint: immutableHint,
			Message: immutableMessage(dst, o.dstDigest, o.srcDigest, src, *o.immutable.rule) + "; nothing was copied"}}
	case o.dstDigest != "" && !cfg.Override && cfg.DryRun:
		return fail(ClassConflict, CodeDestinationExists, "%s", existsElsewhere(dst, o.dstDigest, o.srcDigest, src))
	case cfg.DryRun && o.nsMissing:
		return fail(ClassNotFound, CodeNamespaceNotFound, "the destination namespace %s does not exist in %s", dst.Namespace, cfg.RegistryID)
	case cfg.DryRun:
		return plan{step: stepDryRun}
	}
	// An existing destination without override is copied too: the
	// service's own answer (and its code) decides the conflict.
	return plan{step: stepCopy}
}

const immutableHint = "choose another destination_tag, or have the namespace's tag immutability rule changed; override cannot replace an immutable tag"

// existsElsewhere explains a conflict: dst holds another image than src.
func existsElsewhere(dst Ref, dstDigest, srcDigest string, src Ref) string {
	at := "points at " + dstDigest
	if dstDigest == "" {
		at = "(so TCR says) but DescribeImages does not list it"
	}
	return fmt.Sprintf("%s already exists and %s, not at %s (the digest of %s); set override to replace it",
		dst, at, cmpOrNone(srcDigest), src)
}

func immutableMessage(dst Ref, dstDigest, srcDigest string, src Ref, rule immutableRule) string {
	return fmt.Sprintf("%s is an immutable tag (%s): it points at %s, not at %s (the digest of %s), and cannot be overwritten",
		dst, rule, cmpOrNone(dstDigest), cmpOrNone(srcDigest), src)
}

// act carries out a plan.
func (p *promoter) act(ctx context.Context, pair Pair, o observation, pl plan) Result {
	res := Result{Source: pair.Source, Destination: pair.Destination}
	switch pl.step {
	case stepFail:
		res.Err, res.RequestID = pl.err, requestID(pl.err)
		return res
	case stepSkip:
		p.log.infof("%s already points at %s, as %s does: nothing to copy", pair.Destination, o.srcDigest, pair.Source)
		res.Status, res.Digest, res.Image = StatusAlreadyThere, o.srcDigest, p.image(pair.Destination, o.srcDigest)
		return res
	case stepDryRun:
		verb := "create"
		if o.dstDigest != "" {
			verb = "replace " + o.dstDigest + " at"
		}
		p.log.infof("dry run: would %s %s with %s (%s); nothing changed", verb, pair.Destination, o.srcDigest, pair.Source)
		res.Status, res.Digest, res.Image = StatusDryRun, o.srcDigest, p.image(pair.Destination, o.srcDigest)
		return res
	}
	return p.copy(ctx, res, o)
}

// copy makes the DuplicateImage call and, when verified, reads the
// destination back until TCR's index shows the copy. A copy whose answer
// was lost is settled by reading the destination, never by sending it
// again blindly (resendCheck, lost).
func (p *promoter) copy(ctx context.Context, res Result, o observation) Result {
	src, dst := res.Source, res.Destination
	_, id, err := do(ctx, p.api, "DuplicateImage", func(ctx context.Context) (struct{}, string, error) {
		req := tcr.NewDuplicateImageRequest()
		req.RegistryId = common.StringPtr(p.cfg.RegistryID)
		req.SourceNamespace = common.StringPtr(src.Namespace)
		req.SourceRepo = common.StringPtr(src.Repo)
		req.SourceReference = common.StringPtr(o.from)
		req.DestinationNamespace = common.StringPtr(dst.Namespace)
		req.DestinationRepo = common.StringPtr(dst.Repo)
		req.DestinationTag = common.StringPtr(dst.Tag)
		req.Override = common.BoolPtr(p.cfg.Override)
		resp, err := p.api.tcr.DuplicateImageWithContext(ctx, req)
		if err != nil {
			return struct{}{}, "", err
		}
		id, err := answered(resp.Response, func(r *tcr.DuplicateImageResponseParams) *string { return r.RequestId })
		return struct{}{}, id, err
	}, p.resendCheck(dst, o))
	var e *Error
	switch {
	case errors.Is(err, errCopied):
		return p.copiedUnanswered(res, o)
	case errors.As(err, &e) && e.Ambiguous:
		return p.lost(ctx, res, o, e)
	case err != nil:
		return p.refused(ctx, res, o, err)
	}
	res.Status, res.RequestID, res.Copied = StatusPromoted, id, true
	if !o.verified {
		return res
	}
	got, settled, err := p.settle(ctx, dst, o.srcDigest, o.dstDigest)
	switch {
	case err != nil:
		res.Status, res.Err = StatusFailed, about(err, "reading %s back after the copy", dst)
	case got == o.srcDigest:
		res.Digest, res.Image = got, p.image(dst, got)
	case settled:
		res.Status, res.Err = StatusFailed, p.changedAfterCopy(ctx, src, dst, o, got)
	default:
		res.Status, res.Err = StatusFailed, &Error{Class: ClassTemporary, Action: "DescribeImages", Code: CodeIndexLag, Message: fmt.Sprintf(
			"DescribeImages still shows %s at %s, not %s, %s after the copy: TCR's index may lag, so the promotion could not be verified",
			dst, cmpOrNone(got), o.srcDigest, p.cfg.IndexLag),
			Hint: "re-run the step: it finds the copy in place and verifies it (raise index_lag to wait longer)"}
	}
	return res
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
func (p *promoter) resendCheck(dst Ref, o observation) resendCheck {
	return func(ctx context.Context, last *Error) error {
		if !o.verified {
			if p.cfg.Override {
				p.log.warnf("DuplicateImage %s: %s; with verify: false the step cannot tell whether that copy happened, nor whether someone else wrote %s since: it sends the copy again, which with override may replace a newer image (verify: true checks first)",
					dst, last.Message, dst)
			}
			return nil
		}
		got, err := p.digest(ctx, dst)
		switch {
		case err != nil && !p.cfg.Override:
			return nil // TCR refuses to overwrite without override
		case err != nil:
			return withNote(last, fmt.Sprintf("not sent again, as %s could not be read to tell whether the copy happened: %v", dst, err))
		case got == o.srcDigest:
			return errCopied
		case got == o.dstDigest:
			p.log.infof("DuplicateImage %s: %s; %s is as it was (%s), so the copy did not happen: sending it again", dst, last.Message, dst, orAbsent(got))
			return nil
		}
		return &Error{Class: ClassConflict, Action: "DuplicateImage", Code: CodeDestinationChanged, RequestID: last.RequestID, Hint: changedHint(dst),
			Message: fmt.Sprintf("%s; %s now points at %s, neither the source's %s nor what it held when the promotion started (%s): someone else wrote it meanwhile, so the copy is not sent again and that image stays",
				last.Message, dst, got, o.srcDigest, orAbsent(o.dstDigest))}
	}
}

func changedHint(dst Ref) string {
	return "someone else promotes to " + dst.String() + " at the same time: find out who, then re-run"
}

func orAbsent(digest string) string {
	if digest == "" {
		return "absent"
	}
	return digest
}

// copiedUnanswered reports a copy whose answer was lost but whose effect is
// in place.
func (p *promoter) copiedUnanswered(res Result, o observation) Result {
	p.log.infof("%s now points at %s, the source's digest: the copy happened, though its answer was lost (its RequestId is unknown)", res.Destination, o.srcDigest)
	res.Status, res.Copied, res.Err, res.RequestID = StatusPromoted, true, nil, ""
	res.Digest, res.Image = o.srcDigest, p.image(res.Destination, o.srcDigest)
	return res
}

// lost settles a copy that ended ambiguous — its answer unreadable, or lost
// on every try — by reading the destination: the step reports what the
// registry holds, not what the wire said. Without a read before the
// copy, or once the step is cancelled, it cannot tell, and says so.
func (p *promoter) lost(ctx context.Context, res Result, o observation, e *Error) Result {
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
		res.Err = &Error{Class: ClassConflict, Action: "DuplicateImage", Code: CodeDestinationChanged, RequestID: e.RequestID, Hint: changedHint(res.Destination),
			Message: fmt.Sprintf("%s; %s now points at %s, neither the source's %s nor what it held before (%s): someone else wrote it", e.Message, res.Destination, got, o.srcDigest, orAbsent(o.dstDigest))}
	default:
		res.Err = withNote(e, fmt.Sprintf("%s is as it was (%s): the copy did not happen", res.Destination, orAbsent(got)))
	}
	return res
}

// changedAfterCopy explains a destination that settled, after the copy, on
// neither the source's digest nor its old one: the source tag moved (the
// copy took its new image), or someone else wrote the destination.
func (p *promoter) changedAfterCopy(ctx context.Context, src, dst Ref, o observation, got string) error {
	now, err := p.digest(ctx, Ref{Namespace: src.Namespace, Repo: src.Repo, Tag: o.from})
	if err == nil && now == got {
		msg := fmt.Sprintf("after the copy %s points at %s, not at %s, which %s held when the promotion started: the source moved in between; %s now holds %s",
			dst, got, o.srcDigest, src, dst, got)
		if !p.cfg.Override {
			msg += ", which was not the image checked"
		}
		return &Error{Class: ClassConflict, Action: "DescribeImages", Code: CodeDigestMismatch, Message: msg,
			Hint: "something pushed " + src.Namespace + "/" + src.Repo + ":" + o.from + " during the promotion: check that " + got + " is what should ship, else promote the tested digest (source_reference: " + o.srcDigest + ", or pin it with expected_digest)"}
	}
	return &Error{Class: ClassConflict, Action: "DescribeImages", Code: CodeDestinationChanged, Hint: changedHint(dst), Message: fmt.Sprintf(
		"after the copy %s points at %s, neither the source's %s nor what it held before (%s): someone else wrote it in between, and it is left as they wrote it",
		dst, got, o.srcDigest, orAbsent(o.dstDigest))}
}

// refused handles a failed DuplicateImage call. A conflict — the
// destination tag exists — is success when the destination already holds
// the source's image: a retry after a lost answer, a re-run without
// verify, a service that refuses to copy a digest onto itself. Otherwise
// it stays a conflict, explained, with advice that fits: an immutable tag
// cannot be overridden.
func (p *promoter) refused(ctx context.Context, res Result, o observation, err error) Result {
	res.Err, res.RequestID = err, requestID(err)
	e, _ := errors.AsType[*Error](err)
	if e == nil || e.Class != ClassConflict {
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
		case ClassOf(cerr) == ClassPermission:
			why = "DescribeImages is not permitted for these credentials"
		case cerr == nil:
			why = "the source's digest could not be read"
		}
		p.log.warnf("%s exists and cannot be compared with %s: %s (%v); treating it as a conflict", dst, src, why, cerr)
		return res
	}
	if got == srcDigest {
		res.Err, res.Status, res.Digest, res.Image = nil, StatusAlreadyThere, got, p.image(dst, got)
		if o.verified && o.dstDigest == "" {
			// It was absent when the promotion started: the copy that
			// made it was this run's, its answer lost on the way.
			res.Status, res.Copied = StatusPromoted, true
		}
		p.log.infof("%s already points at %s, as %s does: nothing to change", dst, got, src)
		return res
	}
	ne := *e
	imm := p.immutabilityOf(dst)
	switch {
	case imm.rule != nil:
		ne.Message, ne.Hint = immutableMessage(dst, got, srcDigest, src, *imm.rule)+" ("+e.Message+")", immutableHint
	case p.cfg.Override && imm.err != nil:
		ne.Message = fmt.Sprintf("TCR refused to overwrite %s although override is set (%s); the tag may be immutable, but the rules could not be read: %v", dst, e.Message, imm.err)
		ne.Hint = "check the tag immutability rules of namespace " + dst.Namespace + " (grant tcr:DescribeImmutableTagRules to see them here)"
	case p.cfg.Override:
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

// requestID is the RequestId an error carries, if any.
func requestID(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.RequestID
	}
	return ""
}

// image is the full reference of a verified destination, or "" (with a
// warning, once) when the registry's domain cannot be known.
func (p *promoter) image(dst Ref, digest string) string {
	domain, err := p.domain()
	if domain == "" {
		p.domainWarn.Do(func() {
			p.log.warnf("no image output: DescribeInstances gave no domain for %s (%v); set registry_domain", p.cfg.RegistryID, err)
		})
		return ""
	}
	return domain + "/" + dst.Namespace + "/" + dst.Repo + ":" + dst.Tag + "@" + digest
}
