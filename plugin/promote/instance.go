package promote

import (
	"cmp"
	"context"
	"fmt"

	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
	"github.com/tcr-promote/tcr-promote/plugin/tcrops"
)

// FindInstance returns the instance the settings name: given (registry_id
// and region, or the Personal edition's region), or looked up from
// source_image's host — DescribeInstances filtered by RegistryName, in
// every region — once per run, whatever the number of promotions. client
// signs the lookup for any region.
func FindInstance(ctx context.Context, api *tcrapi.Client, client *tcrops.Client, cfg *settings.Config) (Target, error) {
	if len(cfg.InstanceNames) == 0 {
		return Target{RegistryID: cfg.RegistryID, Region: cfg.Region}, nil
	}
	found, id, err := tcrops.InstancesNamed(ctx, api, client, cfg.InstanceNames)
	if err != nil {
		return Target{}, failure.About(err, "looking up the instance of %s", cfg.RegistryHost)
	}
	// In the order the host suggests the names.
	for _, name := range cfg.InstanceNames {
		for _, r := range found {
			if r.Name == name {
				return Target{RegistryID: r.ID, Region: cmp.Or(r.Region, cfg.Region)}, nil
			}
		}
	}
	return Target{}, &failure.Error{Class: failure.ClassNotFound, Action: "DescribeInstances", Code: failure.CodeInstanceNotFound, RequestID: id,
		Message: fmt.Sprintf("no TCR Enterprise instance is named %s in any region these credentials can see (from the host %s)", cfg.InstanceNames[0], cfg.RegistryHost),
		Hint:    "check the host; for an instance reached through a custom domain, set registry_id and region"}
}
