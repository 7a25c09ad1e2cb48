package plugin

// This file holds the few TCR (2019-09-24) request and response models the
// step needs, written to match the official generated package
// github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/tcr/v20190924
// field for field. That package cannot be fetched where this project is
// built, so these stand in for it; switching back means deleting this file
// and importing tcr "…/tcr/v20190924" (same type and method names).

import (
	"context"
	"encoding/json"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
)

const (
	tcrService = "tcr"
	tcrVersion = "2019-09-24"
)

// TCRClient is the TCR API client, shaped like tcr/v20190924.Client.
type TCRClient struct {
	common.Client
}

// NewTCRClient mirrors tcr/v20190924.NewClient.
func NewTCRClient(credential common.CredentialIface, region string, clientProfile *profile.ClientProfile) (*TCRClient, error) {
	client := &TCRClient{}
	client.Init(region).
		WithCredential(credential).
		WithProfile(clientProfile)
	return client, nil
}

// DuplicateImageRequest copies a tag server-side.
type DuplicateImageRequest struct {
	*tchttp.BaseRequest

	// Instance ID.
	RegistryId *string `json:"RegistryId,omitnil,omitempty" name:"RegistryId"`
	// Source namespace.
	SourceNamespace *string `json:"SourceNamespace,omitnil,omitempty" name:"SourceNamespace"`
	// Source repository.
	SourceRepo *string `json:"SourceRepo,omitnil,omitempty" name:"SourceRepo"`
	// Source reference: a tag (digests are documented but "currently" unsupported).
	SourceReference *string `json:"SourceReference,omitnil,omitempty" name:"SourceReference"`
	// Destination tag.
	DestinationTag *string `json:"DestinationTag,omitnil,omitempty" name:"DestinationTag"`
	// Destination namespace; the source's if empty.
	DestinationNamespace *string `json:"DestinationNamespace,omitnil,omitempty" name:"DestinationNamespace"`
	// Destination repository; the source's if empty.
	DestinationRepo *string `json:"DestinationRepo,omitnil,omitempty" name:"DestinationRepo"`
	// Replace an existing destination tag.
	Override *bool `json:"Override,omitnil,omitempty" name:"Override"`
}

func (r *DuplicateImageRequest) ToJsonString() string {
	b, _ := json.Marshal(r)
	return string(b)
}

func NewDuplicateImageRequest() (request *DuplicateImageRequest) {
	request = &DuplicateImageRequest{BaseRequest: &tchttp.BaseRequest{}}
	request.Init().WithApiInfo(tcrService, tcrVersion, "DuplicateImage")
	return
}

// DuplicateImageResponseParams holds the answer: only a RequestId.
type DuplicateImageResponseParams struct {
	RequestId *string `json:"RequestId,omitnil,omitempty" name:"RequestId"`
}

type DuplicateImageResponse struct {
	*tchttp.BaseResponse
	Response *DuplicateImageResponseParams `json:"Response"`
}

func NewDuplicateImageResponse() (response *DuplicateImageResponse) {
	return &DuplicateImageResponse{BaseResponse: &tchttp.BaseResponse{}}
}

// DuplicateImageWithContext mirrors the generated method.
func (c *TCRClient) DuplicateImageWithContext(ctx context.Context, request *DuplicateImageRequest) (response *DuplicateImageResponse, err error) {
	if request == nil {
		request = NewDuplicateImageRequest()
	}
	request.SetContext(ctx)
	response = NewDuplicateImageResponse()
	err = c.Send(request, response)
	return
}

// DescribeImagesRequest lists the tags of a repository.
type DescribeImagesRequest struct {
	*tchttp.BaseRequest

	RegistryId     *string `json:"RegistryId,omitnil,omitempty" name:"RegistryId"`
	NamespaceName  *string `json:"NamespaceName,omitnil,omitempty" name:"NamespaceName"`
	RepositoryName *string `json:"RepositoryName,omitnil,omitempty" name:"RepositoryName"`
	// A fuzzy match unless ExactMatch.
	ImageVersion *string `json:"ImageVersion,omitnil,omitempty" name:"ImageVersion"`
	Limit        *int64  `json:"Limit,omitnil,omitempty" name:"Limit"`
	// A page number from 1, not an item offset.
	Offset     *int64  `json:"Offset,omitnil,omitempty" name:"Offset"`
	Digest     *string `json:"Digest,omitnil,omitempty" name:"Digest"`
	ExactMatch *bool   `json:"ExactMatch,omitnil,omitempty" name:"ExactMatch"`
}

func NewDescribeImagesRequest() (request *DescribeImagesRequest) {
	request = &DescribeImagesRequest{BaseRequest: &tchttp.BaseRequest{}}
	request.Init().WithApiInfo(tcrService, tcrVersion, "DescribeImages")
	return
}

// TcrImageInfo is one tag of a repository.
type TcrImageInfo struct {
	Digest       *string `json:"Digest,omitnil,omitempty" name:"Digest"`
	Size         *int64  `json:"Size,omitnil,omitempty" name:"Size"`
	ImageVersion *string `json:"ImageVersion,omitnil,omitempty" name:"ImageVersion"`
	UpdateTime   *string `json:"UpdateTime,omitnil,omitempty" name:"UpdateTime"`
	Kind         *string `json:"Kind,omitnil,omitempty" name:"Kind"`
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

func NewDescribeImagesResponse() (response *DescribeImagesResponse) {
	return &DescribeImagesResponse{BaseResponse: &tchttp.BaseResponse{}}
}

func (c *TCRClient) DescribeImagesWithContext(ctx context.Context, request *DescribeImagesRequest) (response *DescribeImagesResponse, err error) {
	if request == nil {
		request = NewDescribeImagesRequest()
	}
	request.SetContext(ctx)
	response = NewDescribeImagesResponse()
	err = c.Send(request, response)
	return
}

// DescribeInstancesRequest lists TCR Enterprise instances.
type DescribeInstancesRequest struct {
	*tchttp.BaseRequest

	// Instance IDs (note the lower-case "ids", as in the API).
	Registryids []*string `json:"Registryids,omitnil,omitempty" name:"Registryids"`
	Offset      *int64    `json:"Offset,omitnil,omitempty" name:"Offset"`
	Limit       *int64    `json:"Limit,omitnil,omitempty" name:"Limit"`
	AllRegion   *bool     `json:"AllRegion,omitnil,omitempty" name:"AllRegion"`
}

func NewDescribeInstancesRequest() (request *DescribeInstancesRequest) {
	request = &DescribeInstancesRequest{BaseRequest: &tchttp.BaseRequest{}}
	request.Init().WithApiInfo(tcrService, tcrVersion, "DescribeInstances")
	return
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

func NewDescribeInstancesResponse() (response *DescribeInstancesResponse) {
	return &DescribeInstancesResponse{BaseResponse: &tchttp.BaseResponse{}}
}

func (c *TCRClient) DescribeInstancesWithContext(ctx context.Context, request *DescribeInstancesRequest) (response *DescribeInstancesResponse, err error) {
	if request == nil {
		request = NewDescribeInstancesRequest()
	}
	request.SetContext(ctx)
	response = NewDescribeInstancesResponse()
	err = c.Send(request, response)
	return
}

// DescribeNamespacesRequest lists the namespaces of an instance.
type DescribeNamespacesRequest struct {
	*tchttp.BaseRequest

	RegistryId *string `json:"RegistryId,omitnil,omitempty" name:"RegistryId"`
	// A fuzzy filter on the name.
	NamespaceName *string `json:"NamespaceName,omitnil,omitempty" name:"NamespaceName"`
	Limit         *int64  `json:"Limit,omitnil,omitempty" name:"Limit"`
	Offset        *int64  `json:"Offset,omitnil,omitempty" name:"Offset"`
}

func NewDescribeNamespacesRequest() (request *DescribeNamespacesRequest) {
	request = &DescribeNamespacesRequest{BaseRequest: &tchttp.BaseRequest{}}
	request.Init().WithApiInfo(tcrService, tcrVersion, "DescribeNamespaces")
	return
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

func NewDescribeNamespacesResponse() (response *DescribeNamespacesResponse) {
	return &DescribeNamespacesResponse{BaseResponse: &tchttp.BaseResponse{}}
}

func (c *TCRClient) DescribeNamespacesWithContext(ctx context.Context, request *DescribeNamespacesRequest) (response *DescribeNamespacesResponse, err error) {
	if request == nil {
		request = NewDescribeNamespacesRequest()
	}
	request.SetContext(ctx)
	response = NewDescribeNamespacesResponse()
	err = c.Send(request, response)
	return
}
