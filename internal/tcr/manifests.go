package tcr

import (
	"context"

	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
)

// DescribeImageManifestsRequest reads one tag's manifest, config and labels.
type DescribeImageManifestsRequest struct {
	*tchttp.BaseRequest

	RegistryId     *string `json:"RegistryId,omitnil,omitempty" name:"RegistryId"`
	NamespaceName  *string `json:"NamespaceName,omitnil,omitempty" name:"NamespaceName"`
	RepositoryName *string `json:"RepositoryName,omitnil,omitempty" name:"RepositoryName"`
	ImageVersion   *string `json:"ImageVersion,omitnil,omitempty" name:"ImageVersion"`
}

func NewDescribeImageManifestsRequest() *DescribeImageManifestsRequest {
	return &DescribeImageManifestsRequest{BaseRequest: newRequest("DescribeImageManifests")}
}

// KeyValueString is one label.
type KeyValueString struct {
	Key   *string `json:"Key,omitnil,omitempty" name:"Key"`
	Value *string `json:"Value,omitnil,omitempty" name:"Value"`
}

type DescribeImageManifestsResponseParams struct {
	// The manifest (or index) and the image config, each as JSON text.
	Manifest  *string           `json:"Manifest,omitnil,omitempty" name:"Manifest"`
	Config    *string           `json:"Config,omitnil,omitempty" name:"Config"`
	Labels    []*KeyValueString `json:"Labels,omitnil,omitempty" name:"Labels"`
	Size      *int64            `json:"Size,omitnil,omitempty" name:"Size"`
	RequestId *string           `json:"RequestId,omitnil,omitempty" name:"RequestId"`
}

type DescribeImageManifestsResponse struct {
	*tchttp.BaseResponse
	Response *DescribeImageManifestsResponseParams `json:"Response"`
}

func NewDescribeImageManifestsResponse() *DescribeImageManifestsResponse {
	return &DescribeImageManifestsResponse{BaseResponse: &tchttp.BaseResponse{}}
}

func (c *Client) DescribeImageManifestsWithContext(ctx context.Context, request *DescribeImageManifestsRequest) (*DescribeImageManifestsResponse, error) {
	response := NewDescribeImageManifestsResponse()
	return response, c.send(ctx, request, response)
}

// CreateSignatureRequest has KMS sign one image version, under the
// namespace's signature policy.
type CreateSignatureRequest struct {
	*tchttp.BaseRequest

	RegistryId     *string `json:"RegistryId,omitnil,omitempty" name:"RegistryId"`
	NamespaceName  *string `json:"NamespaceName,omitnil,omitempty" name:"NamespaceName"`
	RepositoryName *string `json:"RepositoryName,omitnil,omitempty" name:"RepositoryName"`
	ImageVersion   *string `json:"ImageVersion,omitnil,omitempty" name:"ImageVersion"`
}

func NewCreateSignatureRequest() *CreateSignatureRequest {
	return &CreateSignatureRequest{BaseRequest: newRequest("CreateSignature")}
}

type CreateSignatureResponseParams struct {
	RequestId *string `json:"RequestId,omitnil,omitempty" name:"RequestId"`
}

type CreateSignatureResponse struct {
	*tchttp.BaseResponse
	Response *CreateSignatureResponseParams `json:"Response"`
}

func NewCreateSignatureResponse() *CreateSignatureResponse {
	return &CreateSignatureResponse{BaseResponse: &tchttp.BaseResponse{}}
}

func (c *Client) CreateSignatureWithContext(ctx context.Context, request *CreateSignatureRequest) (*CreateSignatureResponse, error) {
	response := NewCreateSignatureResponse()
	return response, c.send(ctx, request, response)
}
