// Package sts holds STS's (2018-08-13) AssumeRoleWithWebIdentity,
// AssumeRole and GetCallerIdentity, written like the official generated package
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

// GetCallerIdentityRequest asks who signs it: the account (UIN) above all,
// which names the bucket that the account's pipelines share in rate_store.
type GetCallerIdentityRequest struct {
	*tchttp.BaseRequest
}

func NewGetCallerIdentityRequest() *GetCallerIdentityRequest {
	request := &GetCallerIdentityRequest{BaseRequest: &tchttp.BaseRequest{}}
	request.Init().WithApiInfo("sts", APIVersion, "GetCallerIdentity")
	return request
}

type GetCallerIdentityResponseParams struct {
	Arn         *string `json:"Arn,omitnil,omitempty" name:"Arn"`
	AccountId   *string `json:"AccountId,omitnil,omitempty" name:"AccountId"`
	UserId      *string `json:"UserId,omitnil,omitempty" name:"UserId"`
	PrincipalId *string `json:"PrincipalId,omitnil,omitempty" name:"PrincipalId"`
	Type        *string `json:"Type,omitnil,omitempty" name:"Type"`
	RequestId   *string `json:"RequestId,omitnil,omitempty" name:"RequestId"`
}

type GetCallerIdentityResponse struct {
	*tchttp.BaseResponse
	Response *GetCallerIdentityResponseParams `json:"Response"`
}

func NewGetCallerIdentityResponse() *GetCallerIdentityResponse {
	return &GetCallerIdentityResponse{BaseResponse: &tchttp.BaseResponse{}}
}

func (c *Client) GetCallerIdentityWithContext(ctx context.Context, request *GetCallerIdentityRequest) (*GetCallerIdentityResponse, error) {
	request.SetContext(ctx)
	response := NewGetCallerIdentityResponse()
	return response, c.Send(request, response)
}

// AssumeRoleRequest asks, signed, for a role's temporary credentials: how
// one account's caller reaches a role of another account that trusts it.
type AssumeRoleRequest struct {
	*tchttp.BaseRequest

	RoleArn         *string `json:"RoleArn,omitnil,omitempty" name:"RoleArn"`
	RoleSessionName *string `json:"RoleSessionName,omitnil,omitempty" name:"RoleSessionName"`
	DurationSeconds *uint64 `json:"DurationSeconds,omitnil,omitempty" name:"DurationSeconds"`
}

func NewAssumeRoleRequest() *AssumeRoleRequest {
	request := &AssumeRoleRequest{BaseRequest: &tchttp.BaseRequest{}}
	request.Init().WithApiInfo("sts", APIVersion, "AssumeRole")
	return request
}

type AssumeRoleResponseParams struct {
	Credentials *Credentials `json:"Credentials,omitnil,omitempty" name:"Credentials"`
	ExpiredTime *int64       `json:"ExpiredTime,omitnil,omitempty" name:"ExpiredTime"`
	Expiration  *string      `json:"Expiration,omitnil,omitempty" name:"Expiration"`
	RequestId   *string      `json:"RequestId,omitnil,omitempty" name:"RequestId"`
}

type AssumeRoleResponse struct {
	*tchttp.BaseResponse
	Response *AssumeRoleResponseParams `json:"Response"`
}

func NewAssumeRoleResponse() *AssumeRoleResponse {
	return &AssumeRoleResponse{BaseResponse: &tchttp.BaseResponse{}}
}

func (c *Client) AssumeRoleWithContext(ctx context.Context, request *AssumeRoleRequest) (*AssumeRoleResponse, error) {
	request.SetContext(ctx)
	response := NewAssumeRoleResponse()
	return response, c.Send(request, response)
}
