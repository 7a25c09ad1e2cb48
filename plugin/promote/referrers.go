package promote

import (
	"context"
	"fmt"

	"github.com/tcr-promote/tcr-promote/plugin/carry"
	"github.com/tcr-promote/tcr-promote/plugin/crossing"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
)

// What refers to an image by digest — cosign v3 bundles, Notation
// signatures, SBOMs, attestations, pushed as OCI referrers — has no tag
// for DuplicateImage to copy: carry reads and carries it through the
// instance's registry, opened here with a temporary instance token.

// openRegistry reaches the instance's registry: registry_endpoint, else
// https:// and its domain; a temporary token from CreateInstanceToken,
// masked before anything could print it.
func (p *Promoter) openRegistry(ctx context.Context) (carry.Registry, error) {
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
