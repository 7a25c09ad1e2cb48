package tcr

import (
	"context"

	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
)

// DuplicateImagePersonalRequest copies a tag within the Personal edition's
// registry of the request's region. Images are namespace/repo:tag, with no
// registry host.
type DuplicateImagePersonalRequest struct {
	*tchttp.BaseRequest

	SrcImage  *string `json:"SrcImage,omitnil,omitempty" name:"SrcImage"`
	DestImage *string `json:"DestImage,omitnil,omitempty" name:"DestImage"`
}

func NewDuplicateImagePersonalRequest() *DuplicateImagePersonalRequest {
	return &DuplicateImagePersonalRequest{BaseRequest: newRequest("DuplicateImagePersonal")}
}

// DupImageTagResp is what DuplicateImagePersonal copied.
type DupImageTagResp struct {
	Digest *string `json:"Digest,omitnil,omitempty" name:"Digest"`
}

type DuplicateImagePersonalResponseParams struct {
	Data      *DupImageTagResp `json:"Data,omitnil,omitempty" name:"Data"`
	RequestId *string          `json:"RequestId,omitnil,omitempty" name:"RequestId"`
}

type DuplicateImagePersonalResponse struct {
	*tchttp.BaseResponse
	Response *DuplicateImagePersonalResponseParams `json:"Response"`
}

func NewDuplicateImagePersonalResponse() *DuplicateImagePersonalResponse {
	return &DuplicateImagePersonalResponse{BaseResponse: &tchttp.BaseResponse{}}
}

func (c *Client) DuplicateImagePersonalWithContext(ctx context.Context, request *DuplicateImagePersonalRequest) (*DuplicateImagePersonalResponse, error) {
	response := NewDuplicateImagePersonalResponse()
	return response, c.send(ctx, request, response)
}

// DescribeImagePersonalRequest lists the tags of a Personal edition
// repository.
type DescribeImagePersonalRequest struct {
	*tchttp.BaseRequest

	// namespace/repo
	RepoName *string `json:"RepoName,omitnil,omitempty" name:"RepoName"`
	// An item offset.
	Offset *int64 `json:"Offset,omitnil,omitempty" name:"Offset"`
	Limit  *int64 `json:"Limit,omitnil,omitempty" name:"Limit"`
	// A search, not an exact match.
	Tag *string `json:"Tag,omitnil,omitempty" name:"Tag"`
}

func NewDescribeImagePersonalRequest() *DescribeImagePersonalRequest {
	return &DescribeImagePersonalRequest{BaseRequest: newRequest("DescribeImagePersonal")}
}

// TagInfo is one tag of a Personal edition repository. ImageId is what
// `docker images` shows — not documented as the manifest digest.
type TagInfo struct {
	TagName      *string `json:"TagName,omitnil,omitempty" name:"TagName"`
	TagId        *string `json:"TagId,omitnil,omitempty" name:"TagId"`
	ImageId      *string `json:"ImageId,omitnil,omitempty" name:"ImageId"`
	Size         *string `json:"Size,omitnil,omitempty" name:"Size"`
	CreationTime *string `json:"CreationTime,omitnil,omitempty" name:"CreationTime"`
	UpdateTime   *string `json:"UpdateTime,omitnil,omitempty" name:"UpdateTime"`
	Kind         *string `json:"Kind,omitnil,omitempty" name:"Kind"`
}

type TagInfoResp struct {
	TagCount *int64     `json:"TagCount,omitnil,omitempty" name:"TagCount"`
	TagInfo  []*TagInfo `json:"TagInfo,omitnil,omitempty" name:"TagInfo"`
	Server   *string    `json:"Server,omitnil,omitempty" name:"Server"`
	RepoName *string    `json:"RepoName,omitnil,omitempty" name:"RepoName"`
}

type DescribeImagePersonalResponseParams struct {
	Data      *TagInfoResp `json:"Data,omitnil,omitempty" name:"Data"`
	RequestId *string      `json:"RequestId,omitnil,omitempty" name:"RequestId"`
}

type DescribeImagePersonalResponse struct {
	*tchttp.BaseResponse
	Response *DescribeImagePersonalResponseParams `json:"Response"`
}

func NewDescribeImagePersonalResponse() *DescribeImagePersonalResponse {
	return &DescribeImagePersonalResponse{BaseResponse: &tchttp.BaseResponse{}}
}

func (c *Client) DescribeImagePersonalWithContext(ctx context.Context, request *DescribeImagePersonalRequest) (*DescribeImagePersonalResponse, error) {
	response := NewDescribeImagePersonalResponse()
	return response, c.send(ctx, request, response)
}
