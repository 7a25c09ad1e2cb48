// Package promote runs the promotions: for each, observe → decide → act —
// observe reads the registry (the source's digest, the destination, what
// else the decision needs), decide is a pure function from the settings
// and that observation to a plan, and act carries the plan out (the
// DuplicateImage call, the read-back) — concurrently for a batch, under
// the API's limits. A promotion file's repositories are listed once each
// (tagread); plan and check run the flow as a dry run, check turning what
// would change into drift. The Personal edition's flow is personal's, the
// gates' judgement supply's. It also finds the instance a registry host
// names. It returns results (promotion); the step above it reports them.
package promote

import (
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
