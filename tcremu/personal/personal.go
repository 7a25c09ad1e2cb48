// Package personal is the Personal edition as the emulator plays it: a
// registry of the account's namespaces in each region
// (ccr.ccs.tencentyun.com, hkccr.ccs.tencentyun.com, …) with no instance
// ID — the request's region picks it — and its two actions,
// DuplicateImagePersonal and DescribeImagePersonal.
package personal

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tcr-promote/tcr-promote/tcremu/api3"
	"github.com/tcr-promote/tcr-promote/tcremu/model"
)

// Service is the Personal edition of every region. It is safe for
// concurrent use.
type Service struct {
	mu      sync.Mutex
	now     func() time.Time
	regions map[string]map[string]*model.Namespace // region → namespace
}

// New is the Personal edition on the clock now.
func New(now func() time.Time) *Service {
	return &Service{now: now, regions: map[string]map[string]*model.Namespace{}}
}

// AddNamespace creates a namespace in region's registry.
func (s *Service) AddNamespace(region, ns string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.namespace(region, ns)
}

// namespace returns ns of region's registry, creating both. Must hold mu.
func (s *Service) namespace(region, ns string) *model.Namespace {
	r := s.regions[region]
	if r == nil {
		r = map[string]*model.Namespace{}
		s.regions[region] = r
	}
	n := r[ns]
	if n == nil {
		n = model.NewNamespace()
		r[ns] = n
	}
	return n
}

// PutImage points a tag of region's registry at digest, creating the
// namespace and repository, as a docker push would.
func (s *Service) PutImage(region, ns, repo, tag, digest string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.namespace(region, ns).Repository(repo, time.Time{}).Tags[tag] = model.NewImage(digest, s.now())
}

// Lookup returns what a tag of region's registry points at.
func (s *Service) Lookup(region, ns, repo, tag string) (model.Image, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repo(region, ns, repo)
	if rp == nil {
		return model.Image{}, false
	}
	img, ok := rp.Tags[tag]
	return img, ok
}

// repo must be called with mu held.
func (s *Service) repo(region, ns, repo string) *model.Repository {
	n := s.regions[region][ns]
	if n == nil {
		return nil
	}
	return n.Repos[repo]
}

// splitImage reads namespace/repo:tag (no host).
func splitImage(v string) (ns, repo, tag string, ok bool) {
	name, tag, ok := strings.Cut(v, ":")
	ns, repo, slash := strings.Cut(name, "/")
	if !ok || !slash || !model.NamespaceRE().MatchString(ns) || !model.RepoRE().MatchString(repo) || !model.TagRE().MatchString(tag) {
		return "", "", "", false
	}
	return ns, repo, tag, true
}

// DuplicateParams are DuplicateImagePersonal's parameters.
type DuplicateParams struct {
	SrcImage  *string `json:"SrcImage"`
	DestImage *string `json:"DestImage"`
}

// Duplicate copies a tag in region; it has no Override, and overwrites an
// existing destination tag (undocumented: the step never relies on it).
func (s *Service) Duplicate(region string, p *DuplicateParams) (any, *api3.Error) {
	if err := api3.RequireAll(api3.Param("SrcImage", p.SrcImage), api3.Param("DestImage", p.DestImage)); err != nil {
		return nil, err
	}
	srcNS, srcRepo, srcTag, ok := splitImage(*p.SrcImage)
	if !ok {
		return nil, model.Invalid("SrcImage", *p.SrcImage)
	}
	dstNS, dstRepo, dstTag, ok := splitImage(*p.DestImage)
	if !ok {
		return nil, model.Invalid("DestImage", *p.DestImage)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.regions[region]
	if r == nil {
		return nil, api3.Errorf("ResourceNotFound.ErrNoUser", "The Personal edition is not activated in region `%s`.", region)
	}
	rp := s.repo(region, srcNS, srcRepo)
	img, found := model.Image{}, false
	if rp != nil {
		img, found = rp.Tags[srcTag]
	}
	if !found {
		return nil, api3.Errorf("ResourceNotFound.ErrNoTag", "The tag `%s` does not exist in `%s/%s`.", srcTag, srcNS, srcRepo)
	}
	n := r[dstNS]
	if n == nil {
		return nil, api3.Errorf("InvalidParameter.ErrNSMisMatch", "The namespace `%s` does not belong to this account.", dstNS)
	}
	img.UpdateTime = s.now()
	n.Repository(dstRepo, time.Time{}).Tags[dstTag] = img
	return map[string]any{"Data": map[string]string{"Digest": img.Digest}}, nil
}

// DescribeParams are DescribeImagePersonal's parameters.
type DescribeParams struct {
	RepoName *string `json:"RepoName"`
	Offset   *int64  `json:"Offset"`
	Limit    *int64  `json:"Limit"`
	Tag      *string `json:"Tag"`
}

// Tag is one entry of DescribeImagePersonal's TagInfo.
type Tag struct {
	TagName      string `json:"TagName"`
	TagId        string `json:"TagId"`
	ImageId      string `json:"ImageId"`
	Size         string `json:"Size"`
	CreationTime string `json:"CreationTime"`
	UpdateTime   string `json:"UpdateTime"`
	Kind         string `json:"Kind"`
}

// Describe lists a repository's tags in region: Tag is a search, Offset
// an item offset.
func (s *Service) Describe(region string, p *DescribeParams) (any, *api3.Error) {
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
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repo(region, ns, repo)
	if rp == nil {
		return nil, api3.Errorf("ResourceNotFound.ErrNoRepo", "The repository `%s` does not exist.", *p.RepoName)
	}
	var list []Tag
	for tag, img := range rp.Tags {
		if p.Tag != nil && !strings.Contains(tag, *p.Tag) {
			continue
		}
		list = append(list, Tag{
			TagName: tag, TagId: img.Digest[len(img.Digest)-12:], ImageId: img.ImageID,
			Size: fmt.Sprintf("%d", img.Size), CreationTime: img.UpdateTime.UTC().Format(time.DateTime),
			UpdateTime: img.UpdateTime.UTC().Format(time.DateTime), Kind: "image",
		})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].TagName < list[j].TagName })
	total := int64(len(list))
	start, end := api3.Page(total, offset, limit)
	return map[string]any{"Data": map[string]any{
		"TagCount": total, "TagInfo": api3.List(list[start:end]), "RepoName": *p.RepoName,
		"Server": Host(region),
	}}, nil
}

// Host is the registry host of region's Personal edition.
func Host(region string) string {
	prefix := map[string]string{"ap-hongkong": "hk", "ap-singapore": "sg", "ap-tokyo": "jp", "na-siliconvalley": "usw", "eu-frankfurt": "de"}[region]
	return prefix + "ccr.ccs.tencentyun.com"
}
