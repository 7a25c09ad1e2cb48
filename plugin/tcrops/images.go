package tcrops

import (
	"context"
	"fmt"
	"strings"

	"github.com/tcr-promote/tcr-promote/internal/tcr"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// Tag is one tag of a repository, as DescribeImages lists it.
type Tag struct{ Name, Digest, KMS, Updated string }

// Query is what DescribeImages is asked for: one tag exactly, the tags
// whose names contain Like (its fuzzy match), the tags of one digest; or,
// with none of those, Page (from 1) of every tag.
type Query struct {
	Tag, Like, Digest string
	Page              int64
}

// about names what q reads in ns/repo, for the call's debug line.
func (q Query) about(ns, repo string) string {
	name := ns + "/" + repo
	switch {
	case q.Tag != "":
		return name + ":" + q.Tag
	case q.Digest != "":
		return name + "@" + q.Digest
	case q.Like != "":
		return name + ", tags like " + q.Like
	}
	return fmt.Sprintf("%s, page %d", name, q.Page)
}

// PageSize is DescribeImages' largest page.
const PageSize = 100

// Images lists the tags of ns/repo that q asks for, and how many match in
// all (TotalCount, for paging). The server's filter is fuzzy: only exact
// matches are kept, and each kept tag has a real digest and tag name.
func (in Instance) Images(ctx context.Context, ns, repo string, q Query) ([]Tag, int64, string, error) {
	type answer struct {
		tags  []Tag
		total int64
	}
	a, id, err := tcrapi.Do(tcrapi.About(ctx, q.about(ns, repo)), in.API, "DescribeImages", func(ctx context.Context) (answer, string, error) {
		req := tcr.NewDescribeImagesRequest()
		req.RegistryId = common.StringPtr(in.ID)
		req.NamespaceName = common.StringPtr(ns)
		req.RepositoryName = common.StringPtr(repo)
		switch {
		case q.Tag != "":
			req.ImageVersion = common.StringPtr(q.Tag)
			req.ExactMatch = common.BoolPtr(true)
		case q.Like != "":
			req.ImageVersion = common.StringPtr(q.Like)
			req.Limit = common.Int64Ptr(PageSize)
		case q.Page > 0:
			req.Offset, req.Limit = common.Int64Ptr(q.Page), common.Int64Ptr(PageSize)
		}
		if q.Digest != "" {
			req.Digest = common.StringPtr(q.Digest)
			req.Limit = common.Int64Ptr(PageSize)
		}
		resp, err := in.Client.DescribeImagesWithContext(ctx, req)
		if err != nil {
			return answer{}, "", err
		}
		id, err := tcrapi.Answered(resp.Response, func(r *tcr.DescribeImagesResponseParams) *string { return r.RequestId })
		if err != nil {
			return answer{}, "", err
		}
		a := answer{total: tcrapi.Field(resp.Response.TotalCount)}
		for _, img := range resp.Response.ImageInfoList {
			if img == nil {
				continue
			}
			name := tcrapi.Field(img.ImageVersion)
			if q.Tag != "" && name != q.Tag || q.Like != "" && !strings.Contains(name, q.Like) || q.Digest != "" && tcrapi.Field(img.Digest) != q.Digest {
				continue // the filter is the server's; trust only exact matches
			}
			t := Tag{name, tcrapi.Field(img.Digest), tcrapi.Field(img.KmsSignature), tcrapi.Field(img.UpdateTime)}
			if !imageref.IsDigest(t.Digest) || !imageref.IsTag(t.Name) {
				// An empty digest would equal an absent tag's, and a
				// false "already there" would follow.
				return answer{}, "", tcrapi.BadAnswer("DescribeImages listed %s/%s:%.130q with the digest %.80q, not sha256: and 64 hex digits", ns, repo, t.Name, t.Digest)
			}
			if len(t.KMS) > 4096 || len(t.Updated) > 64 {
				return answer{}, "", tcrapi.BadAnswer("DescribeImages gave %s/%s:%s a KmsSignature of %d bytes and an UpdateTime of %d", ns, repo, t.Name, len(t.KMS), len(t.Updated))
			}
			a.tags = append(a.tags, t)
		}
		return a, id, nil
	})
	return a.tags, a.total, id, err
}

// NamespaceExists asks DescribeNamespaces whether the namespace exists —
// with signing, whether it has a KMS signature policy; its name filter is
// fuzzy, so names are compared here.
func (in Instance) NamespaceExists(ctx context.Context, name string, signing bool) (bool, error) {
	found, _, err := tcrapi.Do(tcrapi.About(ctx, "namespace "+name), in.API, "DescribeNamespaces", func(ctx context.Context) (bool, string, error) {
		req := tcr.NewDescribeNamespacesRequest()
		req.RegistryId = common.StringPtr(in.ID)
		req.NamespaceName = common.StringPtr(name)
		req.Limit = common.Int64Ptr(100)
		if signing {
			req.KmsSignPolicy = common.BoolPtr(true)
		}
		resp, err := in.Client.DescribeNamespacesWithContext(ctx, req)
		if err != nil {
			return false, "", err
		}
		id, err := tcrapi.Answered(resp.Response, func(r *tcr.DescribeNamespacesResponseParams) *string { return r.RequestId })
		if err != nil {
			return false, "", err
		}
		for _, ns := range resp.Response.NamespaceList {
			if ns != nil && tcrapi.Field(ns.Name) == name {
				return true, id, nil
			}
		}
		return false, id, nil
	})
	return found, err
}

// PublicDomain is the instance's registry host, from DescribeInstances;
// "" if the answer does not list the instance.
func (in Instance) PublicDomain(ctx context.Context) (string, error) {
	domain, _, err := tcrapi.Do(tcrapi.About(ctx, in.ID), in.API, "DescribeInstances", func(ctx context.Context) (string, string, error) {
		req := tcr.NewDescribeInstancesRequest()
		req.Registryids = common.StringPtrs([]string{in.ID})
		resp, err := in.Client.DescribeInstancesWithContext(ctx, req)
		if err != nil {
			return "", "", err
		}
		id, err := tcrapi.Answered(resp.Response, func(r *tcr.DescribeInstancesResponseParams) *string { return r.RequestId })
		if err != nil {
			return "", "", err
		}
		for _, r := range resp.Response.Registries {
			if r != nil && tcrapi.Field(r.RegistryId) == in.ID {
				if d := tcrapi.Field(r.PublicDomain); !imageref.IsHost(d) {
					// It would go into the image output.
					return "", "", tcrapi.BadAnswer("DescribeInstances gave %s the domain %.80q, not a host name", in.ID, d)
				}
				return tcrapi.Field(r.PublicDomain), id, nil
			}
		}
		return "", id, nil
	})
	return domain, err
}
