package tcrops

import (
	"context"
	"slices"

	"github.com/tcr-promote/tcr-promote/internal/tcr"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// Named is an Enterprise instance found by its name.
type Named struct{ Name, ID, Region string }

// InstancesNamed asks DescribeInstances, in every region, for the
// instances with one of names. The filter's matching is the server's:
// only exact names are kept, and each has a real instance ID and region —
// every later call is signed for that region and names that instance.
func InstancesNamed(ctx context.Context, api *tcrapi.Client, client *Client, names []string) ([]Named, string, error) {
	return tcrapi.Do(ctx, api, "DescribeInstances", func(ctx context.Context) ([]Named, string, error) {
		req := tcr.NewDescribeInstancesRequest()
		req.AllRegion = common.BoolPtr(true)
		req.Limit = common.Int64Ptr(100)
		req.Filters = []*tcr.Filter{{Name: common.StringPtr("RegistryName"), Values: common.StringPtrs(names)}}
		resp, err := client.DescribeInstancesWithContext(ctx, req)
		if err != nil {
			return nil, "", err
		}
		id, err := tcrapi.Answered(resp.Response, func(r *tcr.DescribeInstancesResponseParams) *string { return r.RequestId })
		if err != nil {
			return nil, "", err
		}
		var out []Named
		for _, r := range resp.Response.Registries {
			if r == nil || !slices.Contains(names, tcrapi.Field(r.RegistryName)) {
				continue
			}
			n := Named{Name: tcrapi.Field(r.RegistryName), ID: tcrapi.Field(r.RegistryId), Region: tcrapi.Field(r.RegionName)}
			if !IsInstanceID(n.ID) || r.RegionName != nil && !IsRegion(n.Region) {
				return nil, id, tcrapi.BadAnswer("DescribeInstances gave %s the instance ID %.80q in the region %.80q", n.Name, n.ID, n.Region)
			}
			out = append(out, n)
		}
		return out, id, nil
	})
}

// FirstNamed is the instance of found with the first of names, in the
// order a host suggests them.
func FirstNamed(found []Named, names []string) (Named, bool) {
	for _, name := range names {
		for _, f := range found {
			if f.Name == name {
				return f, true
			}
		}
	}
	return Named{}, false
}
