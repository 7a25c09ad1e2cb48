// Package tcr holds the TCR (2019-09-24) actions the step calls, written
// like the official generated package
// github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/tcr/v20190924:
// the same type, field, JSON and method names, for the actions and fields
// the step uses (the generated models have more fields; none is renamed or
// retyped here). That module cannot be fetched where this project is built;
// switching to it is a change of import path in plugin/tcrops, its only importer.
package tcr

import (
	"context"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
)

const (
	service    = "tcr"
	APIVersion = "2019-09-24"
)

// Client is the TCR API client, as tcr/v20190924.Client.
type Client struct {
	common.Client
}

// NewClient mirrors tcr/v20190924.NewClient.
func NewClient(credential common.CredentialIface, region string, clientProfile *profile.ClientProfile) (*Client, error) {
	client := &Client{}
	client.Init(region).
		WithCredential(credential).
		WithProfile(clientProfile)
	return client, nil
}

func newRequest(action string) *tchttp.BaseRequest {
	r := &tchttp.BaseRequest{}
	r.Init().WithApiInfo(service, APIVersion, action)
	return r
}

// send is the body every generated …WithContext method repeats.
func (c *Client) send(ctx context.Context, req tchttp.Request, resp tchttp.Response) error {
	req.SetContext(ctx)
	return c.Send(req, resp)
}

// Filter is a name and the values it matches.
type Filter struct {
	Name   *string   `json:"Name,omitnil,omitempty" name:"Name"`
	Values []*string `json:"Values,omitnil,omitempty" name:"Values"`
}

// DuplicateImageRequest copies a tag server-side within one instance.
type DuplicateImageRequest struct {
	*tchttp.BaseRequest

	RegistryId      *string `json:"RegistryId,omitnil,omitempty" name:"RegistryId"`
	SourceNamespace *string `json:"SourceNamespace,omitnil,omitempty" name:"SourceNamespace"`
	SourceRepo      *string `json:"SourceRepo,omitnil,omitempty" name:"SourceRepo"`
	// A tag: digests are documented but "currently" unsupported.
	SourceReference *string `json:"SourceReference,omitnil,omitempty" name:"SourceReference"`
	DestinationTag  *string `json:"DestinationTag,omitnil,omitempty" name:"DestinationTag"`
	// The source's when empty.
	DestinationNamespace *string `json:"DestinationNamespace,omitnil,omitempty" name:"DestinationNamespace"`
	DestinationRepo      *string `json:"DestinationRepo,omitnil,omitempty" name:"DestinationRepo"`
	Override             *bool   `json:"Override,omitnil,omitempty" name:"Override"`
}

func NewDuplicateImageRequest() *DuplicateImageRequest {
	return &DuplicateImageRequest{BaseRequest: newRequest("DuplicateImage")}
}

// DuplicateImageResponseParams holds the answer: only a RequestId.
type DuplicateImageResponseParams struct {
	RequestId *string `json:"RequestId,omitnil,omitempty" name:"RequestId"`
}

type DuplicateImageResponse struct {
	*tchttp.BaseResponse
	Response *DuplicateImageResponseParams `json:"Response"`
}

func NewDuplicateImageResponse() *DuplicateImageResponse {
	return &DuplicateImageResponse{BaseResponse: &tchttp.BaseResponse{}}
}

func (c *Client) DuplicateImageWithContext(ctx context.Context, request *DuplicateImageRequest) (*DuplicateImageResponse, error) {
	response := NewDuplicateImageResponse()
	return response, c.send(ctx, request, response)
}

// DeleteRepositoryRequest deletes a repository of an instance, with its
// tags. The step deletes only the scratch repository it made itself.
type DeleteRepositoryRequest struct {
	*tchttp.BaseRequest

	RegistryId     *string `json:"RegistryId,omitnil,omitempty" name:"RegistryId"`
	NamespaceName  *string `json:"NamespaceName,omitnil,omitempty" name:"NamespaceName"`
	RepositoryName *string `json:"RepositoryName,omitnil,omitempty" name:"RepositoryName"`
}

func NewDeleteRepositoryRequest() *DeleteRepositoryRequest {
	return &DeleteRepositoryRequest{BaseRequest: newRequest("DeleteRepository")}
}

// DeleteRepositoryResponseParams holds the answer: only a RequestId.
type DeleteRepositoryResponseParams struct {
	RequestId *string `json:"RequestId,omitnil,omitempty" name:"RequestId"`
}

type DeleteRepositoryResponse struct {
	*tchttp.BaseResponse
	Response *DeleteRepositoryResponseParams `json:"Response"`
}

func NewDeleteRepositoryResponse() *DeleteRepositoryResponse {
	return &DeleteRepositoryResponse{BaseResponse: &tchttp.BaseResponse{}}
}

func (c *Client) DeleteRepositoryWithContext(ctx context.Context, request *DeleteRepositoryRequest) (*DeleteRepositoryResponse, error) {
	response := NewDeleteRepositoryResponse()
	return response, c.send(ctx, request, response)
}

// DescribeImagesRequest lists the tags of a repository.
type DescribeImagesRequest struct {
	*tchttp.BaseRequest

	RegistryId    *string `json:"RegistryId,omitnil,omitempty" name:"RegistryId"`
	NamespaceName *string `json:"NamespaceName,omitnil,omitempty" name:"NamespaceName"`
	// Nested names (team/app) go raw, slash and all.
	RepositoryName *string `json:"RepositoryName,omitnil,omitempty" name:"RepositoryName"`
	// A fuzzy match unless ExactMatch.
	ImageVersion *string `json:"ImageVersion,omitnil,omitempty" name:"ImageVersion"`
	Limit        *int64  `json:"Limit,omitnil,omitempty" name:"Limit"`
	// A page number from 1, not an item offset.
	Offset     *int64  `json:"Offset,omitnil,omitempty" name:"Offset"`
	Digest     *string `json:"Digest,omitnil,omitempty" name:"Digest"`
	ExactMatch *bool   `json:"ExactMatch,omitnil,omitempty" name:"ExactMatch"`
}

func NewDescribeImagesRequest() *DescribeImagesRequest {
	return &DescribeImagesRequest{BaseRequest: newRequest("DescribeImages")}
}

// TcrImageInfo is one tag of a repository.
type TcrImageInfo struct {
	Digest       *string `json:"Digest,omitnil,omitempty" name:"Digest"`
	Size         *int64  `json:"Size,omitnil,omitempty" name:"Size"`
	ImageVersion *string `json:"ImageVersion,omitnil,omitempty" name:"ImageVersion"`
	UpdateTime   *string `json:"UpdateTime,omitnil,omitempty" name:"UpdateTime"`
	Kind         *string `json:"Kind,omitnil,omitempty" name:"Kind"`
	KmsSignature *string `json:"KmsSignature,omitnil,omitempty" name:"KmsSignature"`
}

type DescribeImagesResponseParams struct {
	ImageInfoList []*TcrImageInfo `json:"ImageInfoList,omitnil,omitempty" name:"ImageInfoList"`
	TotalCount    *int64          `json:"TotalCount,omitnil,omitempty" name:"TotalCount"`
	RequestId     *string         `json:"RequestId,omitnil,omitempty" name:"RequestId"`
}

type DescribeImagesResponse struct {
	*tchttp.BaseResponse
	Response *DescribeImagesResponseParams `json:"Response"`
}

func NewDescribeImagesResponse() *DescribeImagesResponse {
	return &DescribeImagesResponse{BaseResponse: &tchttp.BaseResponse{}}
}

func (c *Client) DescribeImagesWithContext(ctx context.Context, request *DescribeImagesRequest) (*DescribeImagesResponse, error) {
	response := NewDescribeImagesResponse()
	return response, c.send(ctx, request, response)
}

// DescribeInstancesRequest lists TCR Enterprise instances.
type DescribeInstancesRequest struct {
	*tchttp.BaseRequest

	// Instance IDs (the lower-case "ids" is the API's).
	Registryids []*string `json:"Registryids,omitnil,omitempty" name:"Registryids"`
	// An item offset here.
	Offset  *int64    `json:"Offset,omitnil,omitempty" name:"Offset"`
	Limit   *int64    `json:"Limit,omitnil,omitempty" name:"Limit"`
	Filters []*Filter `json:"Filters,omitnil,omitempty" name:"Filters"`
	// Every region, not only the request's.
	AllRegion *bool `json:"AllRegion,omitnil,omitempty" name:"AllRegion"`
}

func NewDescribeInstancesRequest() *DescribeInstancesRequest {
	return &DescribeInstancesRequest{BaseRequest: newRequest("DescribeInstances")}
}

// Registry is one TCR Enterprise instance.
type Registry struct {
	RegistryId       *string `json:"RegistryId,omitnil,omitempty" name:"RegistryId"`
	RegistryName     *string `json:"RegistryName,omitnil,omitempty" name:"RegistryName"`
	RegistryType     *string `json:"RegistryType,omitnil,omitempty" name:"RegistryType"`
	Status           *string `json:"Status,omitnil,omitempty" name:"Status"`
	PublicDomain     *string `json:"PublicDomain,omitnil,omitempty" name:"PublicDomain"`
	InternalEndpoint *string `json:"InternalEndpoint,omitnil,omitempty" name:"InternalEndpoint"`
	RegionName       *string `json:"RegionName,omitnil,omitempty" name:"RegionName"`
}

type DescribeInstancesResponseParams struct {
	TotalCount *int64      `json:"TotalCount,omitnil,omitempty" name:"TotalCount"`
	Registries []*Registry `json:"Registries,omitnil,omitempty" name:"Registries"`
	RequestId  *string     `json:"RequestId,omitnil,omitempty" name:"RequestId"`
}

type DescribeInstancesResponse struct {
	*tchttp.BaseResponse
	Response *DescribeInstancesResponseParams `json:"Response"`
}

func NewDescribeInstancesResponse() *DescribeInstancesResponse {
	return &DescribeInstancesResponse{BaseResponse: &tchttp.BaseResponse{}}
}

func (c *Client) DescribeInstancesWithContext(ctx context.Context, request *DescribeInstancesRequest) (*DescribeInstancesResponse, error) {
	response := NewDescribeInstancesResponse()
	return response, c.send(ctx, request, response)
}

// DescribeNamespacesRequest lists the namespaces of an instance.
type DescribeNamespacesRequest struct {
	*tchttp.BaseRequest

	RegistryId *string `json:"RegistryId,omitnil,omitempty" name:"RegistryId"`
	// A fuzzy filter on the name.
	NamespaceName *string `json:"NamespaceName,omitnil,omitempty" name:"NamespaceName"`
	Limit         *int64  `json:"Limit,omitnil,omitempty" name:"Limit"`
	// A page number.
	Offset        *int64    `json:"Offset,omitnil,omitempty" name:"Offset"`
	All           *bool     `json:"All,omitnil,omitempty" name:"All"`
	Filters       []*Filter `json:"Filters,omitnil,omitempty" name:"Filters"`
	KmsSignPolicy *bool     `json:"KmsSignPolicy,omitnil,omitempty" name:"KmsSignPolicy"`
}

func NewDescribeNamespacesRequest() *DescribeNamespacesRequest {
	return &DescribeNamespacesRequest{BaseRequest: newRequest("DescribeNamespaces")}
}

// TcrNamespaceInfo is one namespace.
type TcrNamespaceInfo struct {
	Name   *string `json:"Name,omitnil,omitempty" name:"Name"`
	Public *bool   `json:"Public,omitnil,omitempty" name:"Public"`
}

type DescribeNamespacesResponseParams struct {
	NamespaceList []*TcrNamespaceInfo `json:"NamespaceList,omitnil,omitempty" name:"NamespaceList"`
	TotalCount    *int64              `json:"TotalCount,omitnil,omitempty" name:"TotalCount"`
	RequestId     *string             `json:"RequestId,omitnil,omitempty" name:"RequestId"`
}

type DescribeNamespacesResponse struct {
	*tchttp.BaseResponse
	Response *DescribeNamespacesResponseParams `json:"Response"`
}

func NewDescribeNamespacesResponse() *DescribeNamespacesResponse {
	return &DescribeNamespacesResponse{BaseResponse: &tchttp.BaseResponse{}}
}

func (c *Client) DescribeNamespacesWithContext(ctx context.Context, request *DescribeNamespacesRequest) (*DescribeNamespacesResponse, error) {
	response := NewDescribeNamespacesResponse()
	return response, c.send(ctx, request, response)
}

// DescribeImmutableTagRulesRequest lists the tag immutability rules of
// every namespace of an instance (one rule per namespace).
type DescribeImmutableTagRulesRequest struct {
	*tchttp.BaseRequest

	RegistryId *string `json:"RegistryId,omitnil,omitempty" name:"RegistryId"`
}

func NewDescribeImmutableTagRulesRequest() *DescribeImmutableTagRulesRequest {
	return &DescribeImmutableTagRulesRequest{BaseRequest: newRequest("DescribeImmutableTagRules")}
}

// ImmutableTagRule protects the tags it selects from being overwritten.
// Patterns are Harbor's doublestar globs.
type ImmutableTagRule struct {
	RepositoryPattern *string `json:"RepositoryPattern,omitnil,omitempty" name:"RepositoryPattern"`
	TagPattern        *string `json:"TagPattern,omitnil,omitempty" name:"TagPattern"`
	// repoMatches or repoExcludes
	RepositoryDecoration *string `json:"RepositoryDecoration,omitnil,omitempty" name:"RepositoryDecoration"`
	// matches or excludes
	TagDecoration *string `json:"TagDecoration,omitnil,omitempty" name:"TagDecoration"`
	Disabled      *bool   `json:"Disabled,omitnil,omitempty" name:"Disabled"`
	RuleId        *int64  `json:"RuleId,omitnil,omitempty" name:"RuleId"`
	NsName        *string `json:"NsName,omitnil,omitempty" name:"NsName"`
}

type DescribeImmutableTagRulesResponseParams struct {
	Rules     []*ImmutableTagRule `json:"Rules,omitnil,omitempty" name:"Rules"`
	EmptyNs   []*string           `json:"EmptyNs,omitnil,omitempty" name:"EmptyNs"`
	Total     *int64              `json:"Total,omitnil,omitempty" name:"Total"`
	RequestId *string             `json:"RequestId,omitnil,omitempty" name:"RequestId"`
}

type DescribeImmutableTagRulesResponse struct {
	*tchttp.BaseResponse
	Response *DescribeImmutableTagRulesResponseParams `json:"Response"`
}

func NewDescribeImmutableTagRulesResponse() *DescribeImmutableTagRulesResponse {
	return &DescribeImmutableTagRulesResponse{BaseResponse: &tchttp.BaseResponse{}}
}

func (c *Client) DescribeImmutableTagRulesWithContext(ctx context.Context, request *DescribeImmutableTagRulesRequest) (*DescribeImmutableTagRulesResponse, error) {
	response := NewDescribeImmutableTagRulesResponse()
	return response, c.send(ctx, request, response)
}
