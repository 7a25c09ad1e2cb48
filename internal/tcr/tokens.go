package tcr

import (
	"context"

	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
)

// CreateInstanceTokenRequest asks for credentials to the instance's
// registry: TokenType temp (the default, valid about an hour) or longterm.
type CreateInstanceTokenRequest struct {
	*tchttp.BaseRequest

	RegistryId *string `json:"RegistryId,omitnil,omitempty" name:"RegistryId"`
	TokenType  *string `json:"TokenType,omitnil,omitempty" name:"TokenType"`
	Desc       *string `json:"Desc,omitnil,omitempty" name:"Desc"`
}

func NewCreateInstanceTokenRequest() *CreateInstanceTokenRequest {
	return &CreateInstanceTokenRequest{BaseRequest: newRequest("CreateInstanceToken")}
}

// CreateInstanceTokenResponseParams holds the answer: a username and a
// token for the registry's Basic authentication, and when the token
// expires (ExpTime, Unix milliseconds as Harbor's TCR adapter reads it).
type CreateInstanceTokenResponseParams struct {
	Username  *string `json:"Username,omitnil,omitempty" name:"Username"`
	Token     *string `json:"Token,omitnil,omitempty" name:"Token"`
	ExpTime   *int64  `json:"ExpTime,omitnil,omitempty" name:"ExpTime"`
	TokenId   *string `json:"TokenId,omitnil,omitempty" name:"TokenId"`
	RequestId *string `json:"RequestId,omitnil,omitempty" name:"RequestId"`
}

type CreateInstanceTokenResponse struct {
	*tchttp.BaseResponse
	Response *CreateInstanceTokenResponseParams `json:"Response"`
}

func NewCreateInstanceTokenResponse() *CreateInstanceTokenResponse {
	return &CreateInstanceTokenResponse{BaseResponse: &tchttp.BaseResponse{}}
}

func (c *Client) CreateInstanceTokenWithContext(ctx context.Context, request *CreateInstanceTokenRequest) (*CreateInstanceTokenResponse, error) {
	response := NewCreateInstanceTokenResponse()
	return response, c.send(ctx, request, response)
}
