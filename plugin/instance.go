package plugin

import (
	"cmp"
	"context"
	"fmt"

	"github.com/tcr-promote/tcr-promote/internal/tcr"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// CodeInstanceNotFound: no instance has the name a source_image host gives.
const CodeInstanceNotFound = "ClientError.InstanceNotFound"

// lookupRegion signs the instance lookup when no region is given: with
// AllRegion any region answers for all of them.
const lookupRegion = "ap-guangzhou"

// findInstance looks up the Enterprise instance that source_image's host
// names — DescribeInstances filtered by RegistryName, in every region —
// and sets the registry ID and region that every later call uses:
// instances are regional, and a call signed for another region does not
// find one. One call per run, whatever the number of promotions.
func findInstance(ctx context.Context, a *api, cfg *Config) error {
	regs, id, err := do(ctx, a, "DescribeInstances", func(ctx context.Context) ([]*tcr.Registry, string, error) {
		req := tcr.NewDescribeInstancesRequest()
		req.AllRegion = common.BoolPtr(true)
		req.Limit = common.Int64Ptr(100)
		req.Filters = []*tcr.Filter{{Name: common.StringPtr("RegistryName"), Values: common.StringPtrs(cfg.InstanceNames)}}
		resp, err := a.tcr.DescribeInstancesWithContext(ctx, req)
		if err != nil {
			return nil, "", err
		}
		id, err := answered(resp.Response, func(r *tcr.DescribeInstancesResponseParams) *string { return r.RequestId })
		if err != nil {
			return nil, "", err
		}
		return resp.Response.Registries, id, nil
	})
	if err != nil {
		return about(err, "looking up the instance of %s", cfg.RegistryHost)
	}
	// The filter's matching is the server's: trust only an exact name, in
	// the order the host suggests them.
	for _, name := range cfg.InstanceNames {
		for _, r := range regs {
			if r != nil && deref(r.RegistryName) == name {
				// Every later call is signed for this region and names
				// this instance: they must be what they say.
				if !isInstanceID(deref(r.RegistryId)) || r.RegionName != nil && !isRegion(*r.RegionName) {
					return &Error{Class: ClassUnexpected, Action: "DescribeInstances", Code: CodeBadAnswer, RequestID: id,
						Message: badAnswer("DescribeInstances gave %s the instance ID %.80q in the region %.80q", name, deref(r.RegistryId), deref(r.RegionName)).Error()}
				}
				cfg.RegistryID = deref(r.RegistryId)
				cfg.Region = cmp.Or(deref(r.RegionName), cfg.Region)
				a.log.debugf("%s is instance %s in %s", cfg.RegistryHost, cfg.RegistryID, cfg.Region)
				return nil
			}
		}
	}
	return &Error{Class: ClassNotFound, Action: "DescribeInstances", Code: CodeInstanceNotFound, RequestID: id,
		Message: fmt.Sprintf("no TCR Enterprise instance is named %s in any region these credentials can see (from the host %s)", cfg.InstanceNames[0], cfg.RegistryHost),
		Hint:    "check the host; for an instance reached through a custom domain, set registry_id and region"}
}
