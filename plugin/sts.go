package plugin

// The STS (2018-08-13) model for keyless promotion, written like the
// official generated package tencentcloud/sts/v20180813 for the same reason
// as tcr.go: only the common module can be fetched here.

import (
	"context"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
)

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

func NewAssumeRoleWithWebIdentityRequest() (request *AssumeRoleWithWebIdentityRequest) {
	request = &AssumeRoleWithWebIdentityRequest{BaseRequest: &tchttp.BaseRequest{}}
	request.Init().WithApiInfo("sts", "2018-08-13", "AssumeRoleWithWebIdentity")
	request.SetSkipSign(true)
	return
}

// Credentials are temporary credentials.
type Credentials struct {
	Token        *string `json:"Token,omitnil,omitempty" name:"Token"`
	TmpSecretId  *string `json:"TmpSecretId,omitnil,omitempty" name:"TmpSecretId"`
	TmpSecretKey *string `json:"TmpSecretKey,omitnil,omitempty" name:"TmpSecretKey"`
}

type AssumeRoleWithWebIdentityResponseParams struct {
	ExpiredTime *int64       `json:"ExpiredTime,omitnil,omitempty" name:"ExpiredTime"`
	Expiration  *string      `json:"Expiration,omitnil,omitempty" name:"Expiration"`
	Credentials *Credentials `json:"Credentials,omitnil,omitempty" name:"Credentials"`
	RequestId   *string      `json:"RequestId,omitnil,omitempty" name:"RequestId"`
}

type AssumeRoleWithWebIdentityResponse struct {
	*tchttp.BaseResponse
	Response *AssumeRoleWithWebIdentityResponseParams `json:"Response"`
}

func NewAssumeRoleWithWebIdentityResponse() (response *AssumeRoleWithWebIdentityResponse) {
	return &AssumeRoleWithWebIdentityResponse{BaseResponse: &tchttp.BaseResponse{}}
}

// STSClient mirrors sts/v20180813.Client.
type STSClient struct {
	common.Client
}

func (c *STSClient) AssumeRoleWithWebIdentityWithContext(ctx context.Context, request *AssumeRoleWithWebIdentityRequest) (response *AssumeRoleWithWebIdentityResponse, err error) {
	if request == nil {
		request = NewAssumeRoleWithWebIdentityRequest()
	}
	request.SetContext(ctx)
	response = NewAssumeRoleWithWebIdentityResponse()
	err = c.Send(request, response)
	return
}
