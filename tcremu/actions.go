package tcremu

import (
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tcr-promote/tcr-promote/tcremu/api3"
	"github.com/tcr-promote/tcr-promote/tcremu/cam"
	"github.com/tcr-promote/tcr-promote/tcremu/personal"
)

// call is what an action knows about its request besides the parameters.
type call struct {
	region string
	caller cam.Caller
}

type action struct {
	service  string
	version  string
	regional bool // X-TC-Region is required
	unsigned bool // sent without a signature (STS web identity)
	params   reflect.Type
	run      func(e *Emulator, c call, params any) (any, *api3.Error)
}

func tcrAction[P any](run func(e *Emulator, c call, p *P) (any, *api3.Error)) action {
	return action{
		service: "tcr", version: APIVersion, regional: true,
		params: reflect.TypeFor[P](),
		run:    func(e *Emulator, c call, p any) (any, *api3.Error) { return run(e, c, p.(*P)) },
	}
}

// actions is the table of every action the emulator answers. It is built
// on first use, not at init: the emulator is linked into the step's binary
// for `demo`, and a run that never serves must not pay for it.
var actions = sync.OnceValue(func() map[string]action {
	return map[string]action{
		"DuplicateImage":            tcrAction((*Emulator).duplicateImage),
		"DescribeImages":            tcrAction((*Emulator).describeImages),
		"DeleteRepository":          tcrAction((*Emulator).deleteRepository),
		"DescribeInstances":         tcrAction((*Emulator).describeInstances),
		"DescribeNamespaces":        tcrAction((*Emulator).describeNamespaces),
		"DescribeImmutableTagRules": tcrAction((*Emulator).describeImmutableTagRules),
		"DuplicateImagePersonal": tcrAction(func(e *Emulator, c call, p *personal.DuplicateParams) (any, *api3.Error) {
			return e.personal.Duplicate(c.region, p)
		}),
		"DescribeImagePersonal": tcrAction(func(e *Emulator, c call, p *personal.DescribeParams) (any, *api3.Error) {
			return e.personal.Describe(c.region, p)
		}),
		"DescribeImageManifests":                tcrAction((*Emulator).describeImageManifests),
		"CreateSignature":                       tcrAction((*Emulator).createSignature),
		"DescribeReplicationInstances":          tcrAction((*Emulator).describeReplicationInstances),
		"DescribeReplicationInstanceSyncStatus": tcrAction((*Emulator).describeReplicationInstanceSyncStatus),
		"CreateInstanceToken":                   tcrAction((*Emulator).createInstanceToken),
		"AssumeRoleWithWebIdentity":             stsAction,
		"AssumeRole":                            assumeRoleAction,
		"GetCallerIdentity":                     identityAction,
	}
})

// withInstance runs fn, under the lock, on the instance a request names
// by RegistryId, in the request's region.
func (e *Emulator) withInstance(c call, id *string, fn func(r *registry) (any, *api3.Error)) (any, *api3.Error) {
	if err := api3.RequireAll(api3.Param("RegistryId", id)); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	r, aerr := e.instance(c, *id)
	if aerr != nil {
		return nil, aerr
	}
	return fn(r)
}

// instance finds a registry in the request's region. Must hold e.mu.
func (e *Emulator) instance(c call, id string) (*registry, *api3.Error) {
	r := e.registries[id]
	if r == nil || r.region != c.region || e.cam.Resolve(r.account) != c.caller.Account {
		return nil, api3.Errorf("ResourceNotFound", "The instance `%s` does not exist in region `%s`.", id, c.region)
	}
	return r, nil
}

type describeImagesParams struct {
	RegistryId     *string `json:"RegistryId"`
	NamespaceName  *string `json:"NamespaceName"`
	RepositoryName *string `json:"RepositoryName"`
	ImageVersion   *string `json:"ImageVersion"`
	Limit          *int64  `json:"Limit"`
	Offset         *int64  `json:"Offset"`
	Digest         *string `json:"Digest"`
	ExactMatch     *bool   `json:"ExactMatch"`
}

// ImageInfo is one entry of DescribeImages' ImageInfoList.
type ImageInfo struct {
	Digest       string `json:"Digest"`
	Size         int64  `json:"Size"`
	ImageVersion string `json:"ImageVersion"`
	UpdateTime   string `json:"UpdateTime"`
	Kind         string `json:"Kind"`
	KmsSignature string `json:"KmsSignature"`
}

func (e *Emulator) describeImages(c call, p *describeImagesParams) (any, *api3.Error) {
	if err := api3.RequireAll(api3.Param("RegistryId", p.RegistryId), api3.Param("NamespaceName", p.NamespaceName), api3.Param("RepositoryName", p.RepositoryName)); err != nil {
		return nil, err
	}
	limit, page := int64(20), int64(1)
	if p.Limit != nil {
		limit = *p.Limit
	}
	if p.Offset != nil {
		page = *p.Offset
	}
	if limit < 1 || limit > 100 {
		return nil, api3.Errorf("InvalidParameter", "The parameter `Limit` must be between 1 and 100.")
	}
	if page < 0 {
		return nil, api3.Errorf("InvalidParameter", "The parameter `Offset` is a page number from 1.")
	}
	page = max(page, 1) // the official example sends 0

	e.mu.Lock()
	defer e.mu.Unlock()
	// The instance, or one of its replicas: what has reached it by now.
	r, now, replica, aerr := e.view(c, *p.RegistryId)
	if aerr != nil {
		return nil, aerr
	}
	rp := e.repo(r.id, *p.NamespaceName, *p.RepositoryName)
	if rp == nil || rp.Shows.After(now) {
		return e.missing(r, *p.NamespaceName, *p.RepositoryName)
	}
	exact := p.ExactMatch != nil && *p.ExactMatch
	var list []ImageInfo
	for tag, img := range rp.ListedAt(now, replica) {
		if v := p.ImageVersion; v != nil && *v != "" {
			if exact && tag != *v || !exact && !strings.Contains(tag, *v) {
				continue
			}
		}
		if p.Digest != nil && *p.Digest != "" && img.Digest != *p.Digest {
			continue
		}
		list = append(list, ImageInfo{Digest: img.Digest, Size: img.Size, ImageVersion: tag, UpdateTime: img.UpdateTime.UTC().Format(time.RFC3339),
			Kind: "Artifact::application/vnd.docker.distribution.manifest.v2+json", KmsSignature: img.KmsSignature})
	}
	// Newest first, as the console lists them.
	sort.Slice(list, func(i, j int) bool {
		if list[i].UpdateTime != list[j].UpdateTime {
			return list[i].UpdateTime > list[j].UpdateTime
		}
		return list[i].ImageVersion < list[j].ImageVersion
	})
	total := int64(len(list))
	start, end := api3.Page(total, (page-1)*limit, limit)
	return map[string]any{"ImageInfoList": api3.List(list[start:end]), "TotalCount": total}, nil
}

// missing answers DescribeImages for a namespace or repository that does
// not exist, as the behaviour says. Must hold e.mu.
func (e *Emulator) missing(r *registry, ns, repo string) (any, *api3.Error) {
	empty := map[string]any{"ImageInfoList": []ImageInfo{}, "TotalCount": 0}
	switch e.behaviour.Missing {
	case MissingEmpty:
		return empty, nil
	case MissingProjectNotFound:
		if r.namespaces[ns] == nil {
			return nil, api3.Errorf("InternalError.ErrorTcrUnauthorized", "project not found: %s", ns)
		}
		return empty, nil
	}
	if r.namespaces[ns] == nil {
		return nil, api3.Errorf("ResourceNotFound.TcrResourceNotFound", "The namespace `%s` does not exist.", ns)
	}
	return nil, api3.Errorf("ResourceNotFound.TcrResourceNotFound", "The repository `%s/%s` does not exist.", ns, repo)
}

type filter struct {
	Name   string   `json:"Name"`
	Values []string `json:"Values"`
}

type describeInstancesParams struct {
	Registryids []string `json:"Registryids"`
	Offset      *int64   `json:"Offset"`
	Limit       *int64   `json:"Limit"`
	Filters     []filter `json:"Filters"`
	AllRegion   *bool    `json:"AllRegion"`
}

// Registry is one entry of DescribeInstances' Registries.
type Registry struct {
	RegistryId       string `json:"RegistryId"`
	RegistryName     string `json:"RegistryName"`
	RegistryType     string `json:"RegistryType"`
	Status           string `json:"Status"`
	PublicDomain     string `json:"PublicDomain"`
	InternalEndpoint string `json:"InternalEndpoint"`
	RegionName       string `json:"RegionName"`
}

// itemPage reads an Offset counted in items (not pages) and a Limit of at
// most 100, by default 0 and 20.
func itemPage(offset, limit *int64) (int64, int64, *api3.Error) {
	o, l := int64(0), int64(20)
	if offset != nil {
		o = *offset
	}
	if limit != nil {
		l = *limit
	}
	if l < 1 || l > 100 || o < 0 {
		return 0, 0, api3.Errorf("InvalidParameter", "`Limit` must be 1 to 100 and `Offset` at least 0.")
	}
	return o, l, nil
}

func (e *Emulator) describeInstances(c call, p *describeInstancesParams) (any, *api3.Error) {
	offset, limit, aerr := itemPage(p.Offset, p.Limit)
	if aerr != nil {
		return nil, aerr
	}
	want := map[string]bool{}
	for _, id := range p.Registryids {
		want[id] = true
	}
	all := p.AllRegion != nil && *p.AllRegion
	names := map[string]bool{}
	for _, f := range p.Filters {
		if f.Name != "RegistryName" {
			return nil, api3.Errorf("InvalidParameter.ErrorTcrInvalidParameter", "The filter `%s` is not supported.", f.Name)
		}
		for _, v := range f.Values {
			names[v] = true
		}
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	var list []Registry
	for _, r := range e.registries {
		if len(want) > 0 && !want[r.id] || !all && r.region != c.region || len(names) > 0 && !names[r.name] || e.cam.Resolve(r.account) != c.caller.Account {
			continue
		}
		list = append(list, Registry{
			RegistryId: r.id, RegistryName: r.name, RegistryType: "premium", Status: r.status,
			PublicDomain: r.domain, InternalEndpoint: "10.0.0.1", RegionName: r.region,
		})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].RegistryId < list[j].RegistryId })
	start, end := api3.Page(int64(len(list)), offset, limit)
	return map[string]any{"Registries": api3.List(list[start:end]), "TotalCount": len(list)}, nil
}

type describeNamespacesParams struct {
	RegistryId    *string  `json:"RegistryId"`
	NamespaceName *string  `json:"NamespaceName"`
	Limit         *int64   `json:"Limit"`
	Offset        *int64   `json:"Offset"`
	All           *bool    `json:"All"`
	Filters       []filter `json:"Filters"`
	KmsSignPolicy *bool    `json:"KmsSignPolicy"`
}

// NamespaceInfo is one entry of DescribeNamespaces' NamespaceList.
type NamespaceInfo struct {
	Name   string `json:"Name"`
	Public bool   `json:"Public"`
}

func (e *Emulator) describeNamespaces(c call, p *describeNamespacesParams) (any, *api3.Error) {
	return e.withInstance(c, p.RegistryId, func(r *registry) (any, *api3.Error) {
		var list []NamespaceInfo
		for name := range r.namespaces {
			// NamespaceName is a fuzzy filter, as in the console's search.
			if p.KmsSignPolicy != nil && *p.KmsSignPolicy && r.namespaces[name].SignPolicy == "" {
				continue // only those that sign
			}
			if p.NamespaceName == nil || strings.Contains(name, *p.NamespaceName) {
				list = append(list, NamespaceInfo{Name: name})
			}
		}
		sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
		return map[string]any{"NamespaceList": api3.List(list), "TotalCount": len(list)}, nil
	})
}
