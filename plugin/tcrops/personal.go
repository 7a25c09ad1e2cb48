package tcrops

import (
	"context"

	"github.com/tcr-promote/tcr-promote/internal/tcr"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// The Personal edition's two actions, on an Instance whose ID is unused:
// the edition has one registry per region. DuplicateImagePersonal copies
// namespace/repo:tag to namespace/repo:tag and answers the copied digest;
// DescribeImagePersonal lists a repository's tags with an ImageId.

// PersonalTag is one tag of a Personal repository. Its ImageID is not
// documented as the manifest digest: compare it only with another ImageID.
type PersonalTag struct{ Name, ImageID string }

// PersonalTags lists a page of ref's repository's tags whose names
// contain ref.Tag (the API's search), and how many there are in all.
func (in Instance) PersonalTags(ctx context.Context, ref imageref.Ref, offset, limit int64) ([]PersonalTag, int64, string, error) {
	type page struct {
		tags  []PersonalTag
		total int64
	}
	pg, id, err := tcrapi.Do(tcrapi.About(ctx, ref.String()), in.API, "DescribeImagePersonal", func(ctx context.Context) (page, string, error) {
		req := tcr.NewDescribeImagePersonalRequest()
		req.RepoName = common.StringPtr(ref.Namespace + "/" + ref.Repo)
		req.Tag = common.StringPtr(ref.Tag)
		req.Offset, req.Limit = common.Int64Ptr(offset), common.Int64Ptr(limit)
		resp, err := in.Client.DescribeImagePersonalWithContext(ctx, req)
		if err != nil {
			return page{}, "", err
		}
		id, err := tcrapi.Answered(resp.Response, func(r *tcr.DescribeImagePersonalResponseParams) *string { return r.RequestId })
		if err != nil {
			return page{}, "", err
		}
		var pg page
		if d := resp.Response.Data; d != nil {
			pg.total = tcrapi.Field(d.TagCount)
			for _, t := range d.TagInfo {
				if t != nil {
					pg.tags = append(pg.tags, PersonalTag{Name: tcrapi.Field(t.TagName), ImageID: tcrapi.Field(t.ImageId)})
				}
			}
		}
		return pg, id, nil
	})
	return pg.tags, pg.total, id, err
}

// DuplicateImagePersonal copies src to dst (tags: the Personal edition
// takes no digest) and answers the digest it copied, if it says.
func (in Instance) DuplicateImagePersonal(ctx context.Context, src, dst imageref.Ref) (digest, requestID string, err error) {
	return tcrapi.Do(tcrapi.About(ctx, src.String()+" → "+dst.String()), in.API, "DuplicateImagePersonal", func(ctx context.Context) (string, string, error) {
		req := tcr.NewDuplicateImagePersonalRequest()
		req.SrcImage = common.StringPtr(src.String())
		req.DestImage = common.StringPtr(dst.String())
		resp, err := in.Client.DuplicateImagePersonalWithContext(ctx, req)
		if err != nil {
			return "", "", err
		}
		id, err := tcrapi.Answered(resp.Response, func(r *tcr.DuplicateImagePersonalResponseParams) *string { return r.RequestId })
		if err != nil {
			return "", "", err
		}
		d := ""
		if resp.Response.Data != nil {
			d = tcrapi.Field(resp.Response.Data.Digest)
		}
		return d, id, nil
	})
}
