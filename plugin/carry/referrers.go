package carry

import (
	"context"
	"fmt"
	"strings"

	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/ocireg"
	"github.com/tcr-promote/tcr-promote/plugin/supply"
)

// Referrers is what refers to digest in ref's repository, and what refers
// to those, read once per repository and digest.
func (c *Carrier) Referrers(ctx context.Context, ref imageref.Ref, digest string) ([]ocireg.Referrer, error) {
	return c.referrers.Get(keyOf(ref, digest), func() ([]ocireg.Referrer, error) {
		reg, err := c.registry()
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

// Named names the referrers as the gates and outputs see them: all, or
// those at depth (1: the image's own).
func Named(refs []ocireg.Referrer, depth int) []supply.Artifact {
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
func (c *Carrier) carryReferrers(ctx context.Context, src, dst imageref.Ref, digest string) ([]string, error) {
	return c.carriedRefs.Get(keyOf(dst, digest), func() ([]string, error) {
		rctx, cancel := c.forCarry(ctx)
		refs, err := c.Referrers(rctx, src, digest)
		cancel()
		if err != nil {
			c.registryWarn.Do(func() {
				c.log.For(ctx).Warnf("the referrers of %s (cosign v3 bundles, Notation signatures, SBOMs) were not checked, nor carried: %v", src.Name(), err)
			})
			return nil, nil
		}
		if len(refs) == 0 {
			return nil, nil
		}
		if dst.Host != "" {
			return c.across(ctx, src, dst, refs)
		}
		reg, _ := c.registry() // opened by Referrers above
		done, err := reg.Carry(ctx, src.Namespace+"/"+src.Repo, dst.Namespace+"/"+dst.Repo, refs)
		var names []string
		for _, a := range Named(done, 0) {
			names = append(names, a.String())
		}
		if err != nil {
			return names, reg.Fail(ctx, "carrying the referrers of "+digest+" into "+dst.Name(), err)
		}
		c.log.For(ctx).Infof("%s: carried %s", dst.Name(), strings.Join(names, ", "))
		return names, nil
	})
}

// across copies each referrer, by digest, into dst's repository on the
// other instance: parents before their referrers, as they were read.
func (c *Carrier) across(ctx context.Context, src, dst imageref.Ref, refs []ocireg.Referrer) ([]string, error) {
	var names []string
	for i, r := range refs {
		if _, err := c.remote.Copy(ctx, src, r.Digest, dst, r.Digest); err != nil {
			return names, err
		}
		names = append(names, Named(refs[i:i+1], 0)[0].String())
	}
	c.log.For(ctx).Infof("%s: carried %s", dst, strings.Join(names, ", "))
	return names, nil
}
