package promote

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/tcr-promote/tcr-promote/plugin/carry"
	"github.com/tcr-promote/tcr-promote/plugin/cilog"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/kmssign"
	"github.com/tcr-promote/tcr-promote/plugin/ocireg"
	"github.com/tcr-promote/tcr-promote/plugin/once"
	"github.com/tcr-promote/tcr-promote/plugin/personal"
	"github.com/tcr-promote/tcr-promote/plugin/promotion"
	"github.com/tcr-promote/tcr-promote/plugin/scratch"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"github.com/tcr-promote/tcr-promote/plugin/supply"
	"github.com/tcr-promote/tcr-promote/plugin/tagread"
	"github.com/tcr-promote/tcr-promote/plugin/target"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
	"github.com/tcr-promote/tcr-promote/plugin/tcrops"
)

// Promoter runs the promotions of one run within one instance. It is safe
// for concurrent use: promotions share its lookups.
type Promoter struct {
	api    *tcrapi.Client
	reg    Registry // the target instance
	cfg    *settings.Config
	target target.Target
	log    *cilog.Logger

	domain     func() (string, error)                 // the registry host, looked up once
	rules      func() ([]tcrops.ImmutableRule, error) // the tag immutability rules, read once
	sources    once.Map[imageref.Ref, resolved]       // each source resolved once
	namespaces once.Map[string, bool]                 // dry run: each namespace checked once
	manifests  once.Map[imageref.Ref, manifest]       // each source tag's platforms and labels, read once
	// A promotion file's repositories, listed once each (listing.go);
	// wanted is nil when lookups go tag by tag.
	wanted   map[tagread.Repo]int
	listings once.Map[tagread.Repo, tagread.Listing]
	// What travels with the promotions: cosign's tags and the referrers.
	carry  *carry.Carrier
	signer *kmssign.Signer // sign: kms
	// Exact promotions' scratch copies, one per source tag and digest,
	// deleted when the run's promotions end.
	stages       *scratch.Stages
	manifestWarn sync.Once
	warnOnce     sync.Once
	domainWarn   sync.Once
	rulesWarn    sync.Once
	bg           failure.Group  // background lookups, waited for before the run ends
	personal     *personal.Flow // the Personal edition's promotions
	remote       Remote         // the destination instance when it is not the source's
}

// New makes the promoter of one run; its lookups run under ctx.
func New(ctx context.Context, api *tcrapi.Client, reg Registry, cfg *settings.Config, target target.Target, log *cilog.Logger) *Promoter {
	p := &Promoter{api: api, reg: reg, cfg: cfg, target: target, log: log, bg: failure.Group{Dropped: true}}
	p.domain = sync.OnceValues(func() (string, error) {
		// The host the user wrote, else the instance's public domain.
		if d := cmp.Or(cfg.RegistryDomain, cfg.RegistryHost); d != "" {
			return d, nil
		}
		return p.publicDomain(ctx)
	})
	p.personal = &personal.Flow{Reg: reg, Cfg: cfg, Log: log, Image: p.image}
	p.stages = scratch.New(staging{p}, cfg.IndexLag, log)
	p.signer = kmssign.New(reg, api.Clock(), cfg.IndexLag, log)
	p.carry = carry.New(cfg, log, tags{p}, func() (carry.Registry, error) { return p.openRegistry(ctx) }, &p.bg)
	p.rules = sync.OnceValues(func() ([]tcrops.ImmutableRule, error) { return p.readRules(ctx) })
	if cfg.File != nil {
		var srcs, dsts []imageref.Ref
		for _, pr := range cfg.Pairs {
			srcs, dsts = append(srcs, pr.Source), append(dsts, pr.Destination)
		}
		p.wanted = tagread.Wanted(srcs, dsts, cfg.Supply.Carry)
	}
	return p
}

func (p *Promoter) resolve(ctx context.Context, src imageref.Ref) (resolved, error) {
	return p.sources.Get(src, func() (resolved, error) { return p.resolveSource(ctx, src) })
}

// verifying reports whether the run reads digests.
func (p *Promoter) verifying() bool { return p.cfg.Verify || p.cfg.DryRun }

// needsDigest reports whether the run cannot do without DescribeImages.
func (p *Promoter) needsDigest() bool {
	return p.cfg.ExpectedDigest != "" || len(p.cfg.Pairs) > 0 && p.cfg.Pairs[0].Source.Digest != "" || p.cfg.DryRun
}

// promote runs one promotion.
func (p *Promoter) promote(ctx context.Context, pair settings.Pair) promotion.Result {
	var res promotion.Result
	if p.cfg.Personal {
		res = p.personal.Promote(ctx, pair)
	} else {
		var moved ocireg.Moved
		if across(pair.Destination) {
			ctx = ocireg.Counting(ctx, &moved)
		}
		o := p.observe(ctx, pair)
		o.override = pair.Override
		res = p.act(ctx, pair, o, decide(p.cfg, p.target.RegistryID, pair, o))
		res.CopiedBytes = moved.Bytes()
	}
	res = p.reviewed(pair, res)
	if failure.ClassOf(res.Err) == failure.ClassNotFound && p.cfg.RegionFromEnv && p.target.Region == p.cfg.Region {
		// A region nobody wrote in the settings finds nothing if it is
		// not the instance's: say where it came from.
		res.Err = failure.WithNote(res.Err, fmt.Sprintf("the calls were signed for %s, the region from $TENCENTCLOUD_REGION: set region, or leave registry_id out to find the instance from its host", p.cfg.Region))
	}
	return res
}

// observation is what the registry held when the promotion started.
type observation struct {
	verified  bool              // the digests below were read
	from      string            // the source tag to copy from (a digest source's tag)
	srcDigest string            // what the source points at
	srcKms    string            // the source's KMS signature, "" if unsigned
	hasSig    bool              // require_signature cosign or any: the source digest's .sig tag exists
	referrers []supply.Artifact // require_signature: the source digest's referrers, when read
	manifest  manifest          // require_labels: the source's labels
	dstDigest string            // what the destination points at; "" if it does not exist
	immutable immutability      // of the destination, when it exists at another image
	nsMissing bool              // dry run: the destination namespace does not exist
	noPolicy  bool              // sign: kms, and the destination namespace has no signature policy
	override  bool              // the promotion may replace the destination
	err       error             // a lookup failed: the promotion fails with it
}

// observe reads what the decision needs. Without verify it reads nothing;
// if the credentials may not read images, it warns and reads nothing —
// unless the settings need the digests. The source's manifest (its
// platforms) and its cosign tags are read beside the copy unless a gate
// needs them before it.
func (p *Promoter) observe(ctx context.Context, pair settings.Pair) observation {
	o := observation{from: pair.Source.Tag}
	if !p.verifying() && !across(pair.Destination) {
		// Across instances the destination is read all the same: the
		// registry's protocol overwrites a tag without a word.
		return o
	}
	// The independent lookups overlap; each returns what it read.
	var g failure.Group
	byTag := later(&g, func() read[manifest] {
		if pair.Source.ByDigest() {
			return read[manifest]{} // read by the tag the digest resolves to, below
		}
		return p.readManifest(ctx, pair.Source, pair.Source.Tag)
	})
	source := later(&g, func() sourceView { return p.observeSource(ctx, pair) })
	dst := later(&g, func() read[string] { return p.observeDestination(ctx, pair) })
	policy := later(&g, func() read[bool] { return p.observePolicy(ctx, pair.Destination.Namespace) })
	g.Wait()
	src := source()
	if err := cmp.Or(src.err, dst().err); err != nil {
		return observation{from: pair.Source.Tag, err: p.unverifiable(err)}
	}
	man := byTag()
	if pair.Source.ByDigest() {
		man = src.manifest
	}
	if err := cmp.Or(man.err, src.sigErr, policy().err); err != nil {
		return observation{from: pair.Source.Tag, err: err}
	}
	o.verified, o.from, o.srcDigest, o.srcKms = true, src.tag, src.digest, src.kms
	o.manifest, o.hasSig, o.noPolicy, o.dstDigest = man.v, src.hasSig, policy().v, dst().v
	o.referrers = src.refs
	if o.dstDigest != "" && o.dstDigest != o.srcDigest {
		o.immutable = p.immutabilityOf(pair.Destination)
	}
	if (p.cfg.DryRun || across(pair.Destination)) && o.dstDigest != o.srcDigest {
		o.nsMissing, o.err = p.namespaceMissing(ctx, pair.Destination)
	}
	return o
}

// read is a lookup's result: its value, or why there is none.
type read[T any] struct {
	v   T
	err error
}

// later runs f in g and returns what gives its result, once g.Wait has
// returned: results leave goroutines as values, not through variables
// they share.
func later[T any](g *failure.Group, f func() T) func() T {
	var v T
	g.Go(func() { v = f() })
	return func() T { return v }
}

// readManifest reads the source's manifest at tag when require_labels
// needs its labels; otherwise it only starts the read for the platforms
// output, beside the copy, on a budget of its own.
func (p *Promoter) readManifest(ctx context.Context, src imageref.Ref, tag string) read[manifest] {
	at := imageref.Ref{Namespace: src.Namespace, Repo: src.Repo, Tag: tag}
	if len(p.cfg.Supply.RequireLabels) == 0 {
		if p.readsPlatforms() {
			p.bg.Go(func() {
				octx, cancel := p.optional(ctx)
				defer cancel()
				_, _ = p.manifestOf(octx, at)
			})
		}
		return read[manifest]{}
	}
	m, err := p.manifestOf(ctx, at)
	if err != nil {
		err = failure.WithNote(err, "DescribeImageManifests is needed for require_labels")
	}
	return read[manifest]{m, err}
}

// sourceView is what observe reads of the source: the resolved digest,
// and what the gates need of it.
type sourceView struct {
	resolved
	manifest read[manifest]    // by the resolved tag, for a digest source
	hasSig   bool              // its .sig tag exists
	refs     []supply.Artifact // its direct referrers, when a gate needed them
	err      error             // it could not be resolved
	sigErr   error             // the signature tags could not be read
}

// observeSource resolves the source, then reads what a gate needs of its
// digest; the cosign tags a copy will carry are read beside it.
func (p *Promoter) observeSource(ctx context.Context, pair settings.Pair) sourceView {
	var v sourceView
	if v.resolved, v.err = p.resolve(ctx, pair.Source); v.err != nil {
		return v
	}
	if pair.Source.ByDigest() {
		v.manifest = p.readManifest(ctx, pair.Source, v.tag)
	}
	sc := p.cfg.Supply
	switch want := sc.RequireSignature; {
	case want == "cosign" || want == "any" && v.kms == "":
		accs, err := p.carry.Accessories(ctx, pair.Source, v.digest)
		if err != nil {
			v.sigErr = failure.WithNote(err, "DescribeImages of the signature tags is needed for require_signature")
		}
		v.hasSig = slices.ContainsFunc(accs, func(t tcrops.Tag) bool { return strings.HasSuffix(t.Name, ".sig") })
		v.refs, v.sigErr = p.signatureReferrers(ctx, pair.Source, v)
	case want == "notation":
		v.refs, v.sigErr = p.signatureReferrers(ctx, pair.Source, v)
	case p.carry.Travels(pair.Source, pair.Destination) && !p.cfg.DryRun:
		// For the copy of them after: read beside the copy, not after it.
		p.carry.Prefetch(ctx, pair.Source, v.digest)
	}
	return v
}

// signatureReferrers reads the source's referrers when require_signature
// cannot pass without them; a registry that cannot be read fails the gate
// by its cause's class — never a pass, never a refusal.
func (p *Promoter) signatureReferrers(ctx context.Context, src imageref.Ref, v sourceView) ([]supply.Artifact, error) {
	if v.sigErr != nil || !supply.NeedsReferrers(p.cfg.Supply.RequireSignature, v.kms, v.hasSig) {
		return nil, v.sigErr
	}
	refs, err := p.carry.Referrers(ctx, src, v.digest)
	if err != nil {
		return nil, failure.WithNote(err, "require_signature "+p.cfg.Supply.RequireSignature+" needs the registry's referrers; nothing was copied")
	}
	return carry.Named(refs, 1), nil
}

// observeDestination reads what the destination points at, "" if it does
// not exist.
func (p *Promoter) observeDestination(ctx context.Context, pair settings.Pair) read[string] {
	if pair.Override && !p.cfg.DryRun && !across(pair.Destination) {
		// A listing may be a whole batch old when this copy's turn comes:
		// a copy that may overwrite reads what it overwrites now, for
		// previous_digest and for settling a lost answer.
		d, err := p.digest(ctx, pair.Destination)
		return read[string]{d, err}
	}
	if across(pair.Destination) {
		d, err := p.remote.Digest(ctx, pair.Destination)
		return read[string]{d, err}
	}
	d, err := p.current(ctx, pair.Destination)
	return read[string]{d, err}
}

// observePolicy reads, with sign: kms, whether the destination namespace
// lacks a KMS signature policy.
func (p *Promoter) observePolicy(ctx context.Context, ns string) read[bool] {
	if !p.cfg.Supply.Sign {
		return read[bool]{}
	}
	ok, err := p.signer.HasPolicy(ctx, ns)
	if err != nil {
		return read[bool]{err: failure.WithNote(err, "DescribeNamespaces is needed for sign: kms")}
	}
	return read[bool]{v: !ok}
}

// unverifiable decides what a failed lookup means. If err only says the
// credentials may not read images, verification is skipped (with one
// warning) and it returns nil — unless a digest pin, a digest source or a
// dry run needs the reads. Otherwise it returns the error to fail with.
func (p *Promoter) unverifiable(err error) error {
	if failure.ClassOf(err) != failure.ClassPermission {
		return err
	}
	if p.needsDigest() {
		return failure.WithNote(err, "DescribeImages is needed for expected_digest, a digest source or dry_run")
	}
	p.warnOnce.Do(func() {
		p.log.Warnf("cannot verify: %s; promoting without reading digests back (grant tcr:DescribeImages, or set verify: false to silence this)", err)
	})
	return nil
}

// image is the full reference of a verified destination, or "" (with a
// warning, once) when the registry's domain cannot be known.
func (p *Promoter) image(dst imageref.Ref, digest string) string {
	if across(dst) {
		dst.Digest = digest
		return dst.String()
	}
	domain, err := p.domain()
	if domain == "" {
		p.domainWarn.Do(func() {
			p.log.Warnf("no image output: DescribeInstances gave no domain for %s (%v); set registry_domain", p.target.RegistryID, err)
		})
		return ""
	}
	dst.Host, dst.Digest = domain, digest
	return dst.String()
}
