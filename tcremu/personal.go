package tcremu

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tcr-promote/tcr-promote/tcremu/api3"
	"github.com/tcr-promote/tcr-promote/tcremu/model"
)

// personalRegistry is the Personal edition's registry of one region
// (ccr.ccs.tencentyun.com, hkccr.ccs.tencentyun.com, …): namespaces of the
// account, repositories, tags. It has no instance ID; the region of the
// request picks it.
type personalRegistry struct {
	namespaces map[string]*model.Namespace
}

// AddPersonalNamespace creates a namespace in the Personal registry of
// region.
func (e *Emulator) AddPersonalNamespace(region, ns string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.personalNamespace(region, ns)
}

// personalNamespace returns ns of region's Personal registry, creating
// both. Must hold e.mu.
func (e *Emulator) personalNamespace(region, ns string) *model.Namespace {
	pr := e.personal[region]
	if pr == nil {
		pr = &personalRegistry{namespaces: map[string]*model.Namespace{}}
		e.personal[region] = pr
	}
	n := pr.namespaces[ns]
	if n == nil {
		n = model.NewNamespace()
		pr.namespaces[ns] = n
	}
	return n
}

// PutPersonalImage points a tag of region's Personal registry at digest,
// creating the namespace and repository, as a docker push would.
func (e *Emulator) PutPersonalImage(region, ns, repo, tag, digest string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.personalNamespace(region, ns).Repository(repo, time.Time{}).Tags[tag] = model.NewImage(digest, e.now())
}

// LookupPersonal returns what a tag of region's Personal registry points
// at.
func (e *Emulator) LookupPersonal(region, ns, repo, tag string) (Image, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	rp := e.personalRepo(region, ns, repo)
	if rp == nil {
		return Image{}, false
	}
	img, ok := rp.Tags[tag]
	return img, ok
}

// personalRepo must be called with e.mu held.
func (e *Emulator) personalRepo(region, ns, repo string) *model.Repository {
	pr := e.personal[region]
	if pr == nil || pr.namespaces[ns] == nil {
		return nil
	}
	return pr.namespaces[ns].Repos[repo]
}

// splitPersonalImage reads namespace/repo:tag (no host).
func splitPersonalImage(s string) (ns, repo, tag string, ok bool) {
	name, tag, ok := strings.Cut(s, ":")
	ns, repo, slash := strings.Cut(name, "/")
	if !ok || !slash || !model.NamespaceRE().MatchString(ns) || !model.RepoRE().MatchString(repo) || !model.TagRE().MatchString(tag) {
		return "", "", "", false
	}
	return ns, repo, tag, true
}

type duplicateImagePersonalParams struct {
	SrcImage  *string `json:"SrcImage"`
	DestImage *string `json:"DestImage"`
}

// duplicateImagePersonal copies a tag; it has no Override, and overwrites
// an existing destination tag (undocumented: the step never relies on it).
func (e *Emulator) duplicateImagePersonal(c call, p *duplicateImagePersonalParams) (any, *api3.Error) {
	if err := api3.RequireAll(api3.Param("SrcImage", p.SrcImage), api3.Param("DestImage", p.DestImage)); err != nil {
		return nil, err
	}
	srcNS, srcRepo, srcTag, ok := splitPersonalImage(*p.SrcImage)
	if !ok {
		return nil, invalid("SrcImage", *p.SrcImage)
	}
	dstNS, dstRepo, dstTag, ok := splitPersonalImage(*p.DestImage)
	if !ok {
		return nil, invalid("DestImage", *p.DestImage)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	pr := e.personal[c.region]
	if pr == nil {
		return nil, api3.Errorf("ResourceNotFound.ErrNoUser", "The Personal edition is not activated in region `%s`.", c.region)
	}
	rp := e.personalRepo(c.region, srcNS, srcRepo)
	img, found := Image{}, false
	if rp != nil {
		img, found = rp.Tags[srcTag]
	}
	if !found {
		return nil, api3.Errorf("ResourceNotFound.ErrNoTag", "The tag `%s` does not exist in `%s/%s`.", srcTag, srcNS, srcRepo)
	}
	n := pr.namespaces[dstNS]
	if n == nil {
		return nil, api3.Errorf("InvalidParameter.ErrNSMisMatch", "The namespace `%s` does not belong to this account.", dstNS)
	}
	img.UpdateTime = e.now()
	n.Repository(dstRepo, time.Time{}).Tags[dstTag] = img
	return map[string]any{"Data": map[string]string{"Digest": img.Digest}}, nil
}

type describeImagePersonalParams struct {
	RepoName *string `json:"RepoName"`
	Offset   *int64  `json:"Offset"`
	Limit    *int64  `json:"Limit"`
	Tag      *string `json:"Tag"`
}

// PersonalTag is one entry of DescribeImagePersonal's TagInfo.
type PersonalTag struct {
	TagName      string `json:"TagName"`
	TagId        string `json:"TagId"`
	ImageId      string `json:"ImageId"`
	Size         string `json:"Size"`
	CreationTime string `json:"CreationTime"`
	UpdateTime   string `json:"UpdateTime"`
	Kind         string `json:"Kind"`
}

// describeImagePersonal lists a repository's tags: Tag is a search,
// Offset an item offset.
func (e *Emulator) describeImagePersonal(c call, p *describeImagePersonalParams) (any, *api3.Error) {
	if err := api3.RequireAll(api3.Param("RepoName", p.RepoName)); err != nil {
		return nil, err
	}
	offset, limit := int64(0), int64(20)
	if p.Offset != nil {
		offset = *p.Offset
	}
	if p.Limit != nil {
		limit = *p.Limit
	}
	if offset < 0 || limit < 1 || limit > 100 {
		return nil, api3.Errorf("InvalidParameter", "`Offset` must be at least 0 and `Limit` 1 to 100.")
	}
	ns, repo, _ := strings.Cut(*p.RepoName, "/")
	e.mu.Lock()
	defer e.mu.Unlock()
	rp := e.personalRepo(c.region, ns, repo)
	if rp == nil {
		return nil, api3.Errorf("ResourceNotFound.ErrNoRepo", "The repository `%s` does not exist.", *p.RepoName)
	}
	var list []PersonalTag
	for tag, img := range rp.Tags {
		if p.Tag != nil && !strings.Contains(tag, *p.Tag) {
			continue
		}
		list = append(list, PersonalTag{
			TagName: tag, TagId: img.Digest[len(img.Digest)-12:], ImageId: img.ImageID,
			Size: fmt.Sprintf("%d", img.Size), CreationTime: img.UpdateTime.UTC().Format(time.DateTime),
			UpdateTime: img.UpdateTime.UTC().Format(time.DateTime), Kind: "image",
		})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].TagName < list[j].TagName })
	total := int64(len(list))
	start, end := pageOf(total, offset, limit)
	return map[string]any{"Data": map[string]any{
		"TagCount": total, "TagInfo": nonNil(list[start:end]), "RepoName": *p.RepoName,
		"Server": personalHost(c.region),
	}}, nil
}

// personalHost is the registry host of region's Personal edition.
func personalHost(region string) string {
	prefix := map[string]string{"ap-hongkong": "hk", "ap-singapore": "sg", "ap-tokyo": "jp", "na-siliconvalley": "usw", "eu-frankfurt": "de"}[region]
	return prefix + "ccr.ccs.tencentyun.com"
}
