package promote

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tcr-promote/tcr-promote/plugin/crossing"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/ocireg"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"github.com/tcr-promote/tcr-promote/plugin/supply"
)

// What refers to an image by digest — cosign v3 bundles, Notation
// signatures, SBOMs, attestations, pushed as OCI referrers — has no tag
// for DuplicateImage to copy: the flow reads and carries it through the
// instance's registry (ocireg), with a temporary instance token.

// Artifacts is what the flow asks of the instance's registry:
// *ocireg.Client over the distribution API, or a test's fake.
type Artifacts interface {
	Referrers(ctx context.Context, repo, digest string) ([]ocireg.Referrer, error)
	Carry(ctx context.Context, src, dst string, refs []ocireg.Referrer) ([]ocireg.Referrer, error)
	Fail(ctx context.Context, what string, err error) error
}

// carriesReferrers reports whether the run will carry referrers: some
// promotion copies into another repository, and nothing keeps it from
// carrying (a dry run, the Personal edition, verify: false).
func (p *Promoter) carriesReferrers() bool {
	if !p.cfg.Supply.Carry || p.cfg.DryRun || p.cfg.Personal || !p.cfg.Verify {
		return false
	}
	return slices.ContainsFunc(p.cfg.Pairs, func(pr settings.Pair) bool { return repoOf(pr.Source) != repoOf(pr.Destination) })
}

// openRegistry reaches the instance's registry: registry_endpoint, else
// https:// and its domain; a temporary token from CreateInstanceToken,
// masked before anything could print it.
func (p *Promoter) openRegistry(ctx context.Context) (Artifacts, error) {
	endpoint := p.cfg.RegistryEndpoint
	if endpoint == "" {
		domain, err := p.domain()
		if domain == "" {
			return nil, &failure.Error{Class: failure.ClassUnavailable, Code: failure.CodeRegistryUnreachable, Err: err,
				Message: fmt.Sprintf("no registry to read referrers from: the instance %s has no PublicDomain (%v)", p.target.RegistryID, err),
				Hint:    "set registry_endpoint (or registry_domain) to the registry's address"}
		}
		endpoint = "https://" + domain
	}
	c, err := crossing.Registry(ctx, p.reg, p.api.Base(), endpoint, p.cfg.Retries, p.log)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// carryBudget bounds reading the referrers only to carry them (no gate
// needs them): a registry the runner cannot reach — a whitelist drops
// its packets — costs each run this much at most, then a warning.
const carryBudget = 20 * time.Second

// forCarry is ctx for reading referrers only to carry them.
func (p *Promoter) forCarry(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, min(carryBudget, p.cfg.AttemptTimeout))
}

// prefetchReferrers reads, beside the copy, the referrers a carry will
// need after it.
func (p *Promoter) prefetchReferrers(ctx context.Context, src imageref.Ref, digest string) {
	p.bg.Go(func() {
		ctx, cancel := p.forCarry(ctx)
		defer cancel()
		_, _ = p.referrers(ctx, src, digest)
	})
}

// referrers is what refers to digest in ref's repository, and what refers
// to those, read once per repository and digest.
func (p *Promoter) referrers(ctx context.Context, ref imageref.Ref, digest string) ([]ocireg.Referrer, error) {
	key := repoDigest{ref.Host, ref.Namespace, ref.Repo, digest}
	return p.referrerMemo.get(key, func() ([]ocireg.Referrer, error) {
		reg, err := p.artifacts()
		if err != nil {
			return nil, err
		}
		refs, err := reg.Referrers(ctx, ref.Namespace+"/"+ref.Repo, digest)
		if err != nil {
			return nil, reg.Fail(ctx, fmt.Sprintf("reading the referrers of %s@%s", ref.Name(), digest), err)
		}
		return refs, nil
	})
}

// artifactsOf names the direct referrers, as the gates and outputs see
// them.
func artifactsOf(refs []ocireg.Referrer, depth int) []supply.Artifact {
	var out []supply.Artifact
	for _, r := range refs {
		if depth == 0 || r.Depth == depth {
			out = append(out, supply.Artifact{Kind: supply.KindOf(r.ArtifactType), Digest: r.Digest})
		}
	}
	return out
}

// carryReferrers puts every referrer of digest (and theirs) from src's
// repository into dst's, once per destination repository and digest, and
// names what is in place. A registry that cannot be read — unreachable, a
// token refused — is a warning, once: the promotion stands, and nothing
// is reported as carried that was not. A failure while carrying fails the
// promotion, as a cosign tag's does.
func (p *Promoter) carryReferrers(ctx context.Context, src, dst imageref.Ref, digest string) ([]string, error) {
	key := repoDigest{dst.Host, dst.Namespace, dst.Repo, digest}
	got, err := p.carriedRefs.get(key, func() (carriedTags, error) {
		rctx, cancel := p.forCarry(ctx)
		refs, err := p.referrers(rctx, src, digest)
		cancel()
		if err != nil {
			p.registryWarn.Do(func() {
				p.log.For(ctx).Warnf("the referrers of %s (cosign v3 bundles, Notation signatures, SBOMs) were not checked, nor carried: %v", src.Name(), err)
			})
			return carriedTags{}, nil
		}
		if len(refs) == 0 {
			return carriedTags{}, nil
		}
		reg, _ := p.artifacts() // opened by referrers above
		if dst.Host != "" {
			return p.carryAcross(ctx, src, dst, refs)
		}
		done, err := reg.Carry(ctx, src.Namespace+"/"+src.Repo, dst.Namespace+"/"+dst.Repo, refs)
		var names []string
		for _, a := range artifactsOf(done, 0) {
			names = append(names, a.String())
		}
		if err != nil {
			return carriedTags{names}, reg.Fail(ctx, "carrying the referrers of "+digest+" into "+dst.Name(), err)
		}
		p.log.For(ctx).Infof("%s: carried %s", dst.Name(), strings.Join(names, ", "))
		return carriedTags{names}, nil
	})
	return got.tags, err
}
