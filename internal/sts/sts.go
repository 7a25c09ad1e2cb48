// Package sts holds STS's (2018-08-13) AssumeRoleWithWebIdentity, written
// like the official generated package
// github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/sts/v20180813,
// for the same reason as internal/tcr: only the common module can be
// fetched here.
package sts

import (
	"context"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
)

// APIVersion is the STS version these models follow.
const APIVersion = "2018-08-13"

// AssumeRoleWithWebIdentityRequest exchanges an OIDC token for temporary
// credentials. It is sent unsigned, as the real API expects.
type AssumeRoleWithWebIdentityRequest struct {
	*tchttp.BaseRequest

	ProviderId       *string `json:"ProviderId,omitnil,omitempty" name:"ProviderId"`
	WebIdentityToken *string `json:"WebIdentityToken,omitnil,omitempty" name:"WebIdentityToken"`
	RoleArn          *string `json:"RoleArn,omitnil,omitempty" name:"RoleArn"`
	RoleSessionName  *string `json:"RoleSessionName,omitnil,omitempty" name:"RoleSessionName"`
	DurationSeconds  *int64  `json:"DurationSeconds,omitnil,omitempty" name:"DurationSeconds"`
}

func NewAssumeRoleWithWebIdentityRequest() *AssumeRoleWithWebIdentityRequest {
	request := &AssumeRoleWithWebIdentityRequest{BaseRequest: &tchttp.BaseRequest{}}
	request.Init().WithApiInfo("sts", APIVersion, "AssumeRoleWithWebIdentity")
	request.SetSkipSign(true)
	return request
}

// Credentials are temporary credentials.
type Credentials struct {
	Token        *string `json:"Token,omitnil,omitempty" name:"Token"`
	TmpSecretId  *string `json:"TmpSecretId,omitnil,omitempty" name:"TmpSecretId"`
	TmpSecretKey *string `json:"TmpSecretKey,omitnil,omitempty" name:"TmpSecretKey"`
}

type AssumeRoleWithWebIdentityResponseParams struct {
	// Unix seconds.
	ExpiredTime *uint64      `json:"ExpiredTime,omitnil,omitempty" name:"ExpiredTime"`
	Expiration  *string      `json:"Expiration,omitnil,omitempty" name:"Expiration"`
	Credentials *Credentials `json:"Credentials,omitnil,omitempty" name:"Credentials"`
	RequestId   *string      `json:"RequestId,omitnil,omitempty" name:"RequestId"`
}

type AssumeRoleWithWebIdentityResponse struct {
	*tchttp.BaseResponse
	Response *AssumeRoleWithWebIdentityResponseParams `json:"Response"`
}

func NewAssumeRoleWithWebIdentityResponse() *AssumeRoleWithWebIdentityResponse {
	return &AssumeRoleWithWebIdentityResponse{BaseResponse: &tchttp.BaseResponse{}}
}

// Client mirrors sts/v20180813.Client.
type Client struct {
	common.Client
}

// NewClient mirrors sts/v20180813.NewClient; the web-identity call needs
// no credential.
func NewClient(credential common.CredentialIface, region string, clientProfile *profile.ClientProfile) (*Client, error) {
	client := &Client{}
	client.Init(region).WithCredential(credential).WithProfile(clientProfile)
	return client, nil
}

func (c *Client) AssumeRoleWithWebIdentityWithContext(ctx context.Context, request *AssumeRoleWithWebIdentityRequest) (*AssumeRoleWithWebIdentityResponse, error) {
	request.SetContext(ctx)
	response := NewAssumeRoleWithWebIdentityResponse()
	return response, c.Send(request, response)
}
