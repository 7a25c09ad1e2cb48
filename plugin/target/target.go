// Package target is the instance a run's promotions go to: given by the
// settings (registry_id and region, or the Personal edition's region), or
// found from source_image's host — DescribeInstances filtered by the
// names the host suggests, in every region — once per run, whatever the
// number of promotions.
package target

import (
	"cmp"
	"context"
	"fmt"

	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
	"github.com/tcr-promote/tcr-promote/plugin/tcrops"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// Target is the instance the promotions run in (on the Personal edition,
// only the region).
type Target struct {
	RegistryID, Region string
}

// Instance is the target as tcrops reaches it, signed with cred for its
// region.
func (t Target) Instance(api *tcrapi.Client, cred common.CredentialIface) tcrops.Instance {
	return tcrops.Instance{ID: t.RegistryID, Client: tcrops.NewClient(api, cred, t.Region), API: api}
}

// Find returns the instance the settings name. client signs the lookup
// for any region.
func Find(ctx context.Context, api *tcrapi.Client, client *tcrops.Client, cfg *settings.Config) (Target, error) {
	if len(cfg.InstanceNames) == 0 {
		return Target{RegistryID: cfg.RegistryID, Region: cfg.Region}, nil
	}
	found, id, err := tcrops.InstancesNamed(ctx, api, client, cfg.InstanceNames)
	if err != nil {
		return Target{}, failure.About(err, "looking up the instance of %s", cfg.RegistryHost)
	}
	if r, ok := tcrops.FirstNamed(found, cfg.InstanceNames); ok {
		return Target{RegistryID: r.ID, Region: cmp.Or(r.Region, cfg.Region)}, nil
	}
	return Target{}, &failure.Error{Class: failure.ClassNotFound, Action: "DescribeInstances", Code: failure.CodeInstanceNotFound, RequestID: id,
		Message: fmt.Sprintf("no TCR Enterprise instance is named %s in any region these credentials can see (from the host %s)", cfg.InstanceNames[0], cfg.RegistryHost),
		Hint:    "check the host; for an instance reached through a custom domain, set registry_id and region"}
}
