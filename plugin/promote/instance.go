package promote

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/tcr-promote/tcr-promote/internal/tcr"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// FindInstance returns the instance the settings name: given (registry_id
// and region, or the Personal edition's region), or looked up from
// source_image's host — DescribeInstances filtered by RegistryName, in
// every region — once per run, whatever the number of promotions. client
// signs the lookup for any region.
func FindInstance(ctx context.Context, api *tcrapi.Client, client *tcr.Client, cfg *settings.Config) (Target, error) {
	if len(cfg.InstanceNames) == 0 {
		return Target{RegistryID: cfg.RegistryID, Region: cfg.Region}, nil
	}
	regs, id, err := tcrapi.Do(ctx, api, "DescribeInstances", func(ctx context.Context) ([]*tcr.Registry, string, error) {
		req := tcr.NewDescribeInstancesRequest()
		req.AllRegion = common.BoolPtr(true)
		req.Limit = common.Int64Ptr(100)
		req.Filters = []*tcr.Filter{{Name: common.StringPtr("RegistryName"), Values: common.StringPtrs(cfg.InstanceNames)}}
		resp, err := client.DescribeInstancesWithContext(ctx, req)
		if err != nil {
			return nil, "", err
		}
		id, err := tcrapi.Answered(resp.Response, func(r *tcr.DescribeInstancesResponseParams) *string { return r.RequestId })
		if err != nil {
			return nil, "", err
		}
		return resp.Response.Registries, id, nil
	})
	if err != nil {
		return Target{}, failure.About(err, "looking up the instance of %s", cfg.RegistryHost)
	}
	// The filter's matching is the server's: trust only an exact name, in
	// the order the host suggests them.
	for _, name := range cfg.InstanceNames {
		for _, r := range regs {
			if r == nil || tcrapi.Field(r.RegistryName) != name {
				continue
			}
			// Every later call is signed for this region and names this
			// instance: they must be what they say.
			if !isInstanceID(tcrapi.Field(r.RegistryId)) || r.RegionName != nil && !isRegion(*r.RegionName) {
				return Target{}, &failure.Error{Class: failure.ClassUnexpected, Action: "DescribeInstances", Code: failure.CodeBadAnswer, RequestID: id,
					Message: tcrapi.BadAnswer("DescribeInstances gave %s the instance ID %.80q in the region %.80q", name, tcrapi.Field(r.RegistryId), tcrapi.Field(r.RegionName)).Error()}
			}
			return Target{RegistryID: tcrapi.Field(r.RegistryId), Region: cmp.Or(tcrapi.Field(r.RegionName), cfg.Region)}, nil
		}
	}
	return Target{}, &failure.Error{Class: failure.ClassNotFound, Action: "DescribeInstances", Code: failure.CodeInstanceNotFound, RequestID: id,
		Message: fmt.Sprintf("no TCR Enterprise instance is named %s in any region these credentials can see (from the host %s)", cfg.InstanceNames[0], cfg.RegistryHost),
		Hint:    "check the host; for an instance reached through a custom domain, set registry_id and region"}
}

// isInstanceID: an Enterprise instance ID, e.g. tcr-e8pg46c6: 1-64 of
// a-z 0-9 -.
func isInstanceID(s string) bool {
	return s != "" && len(s) <= 64 && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == ""
}

// isRegion: a region such as ap-guangzhou or ap-shanghai-fsi: runs of
// a-z 0-9 joined by single hyphens, at least two of them.
func isRegion(s string) bool {
	if len(s) > 64 || !strings.Contains(s, "-") {
		return false
	}
	for part := range strings.SplitSeq(s, "-") {
		if part == "" || strings.Trim(part, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
			return false
		}
	}
	return true
}
