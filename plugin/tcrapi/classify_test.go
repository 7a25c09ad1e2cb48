package tcrapi

import (
	"context"
	"crypto/x509"
	"fmt"
	"testing"

	"github.com/tcr-promote/tcr-promote/plugin/failure"

	sdkerrors "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
)

// TestClassify: answers whose class depends on more than the code.
func TestClassify(t *testing.T) {
	t.Parallel()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name   string
		ctx    context.Context
		action string
		err    error
		class  failure.Class
		code   string
	}{
		{name: "Harbor's missing project", action: "DescribeImages",
			err: sdkerrors.NewTencentCloudSDKError("InternalError.ErrorTcrUnauthorized", "project not found: qa", "r1"), class: failure.ClassNotFound, code: "InternalError.ErrorTcrUnauthorized"},
		{name: "unauthorized, really", action: "DescribeImages",
			err: sdkerrors.NewTencentCloudSDKError("InternalError.ErrorTcrUnauthorized", "unauthorized to access project qa", "r2"), class: failure.ClassPermission, code: "InternalError.ErrorTcrUnauthorized"},
		{name: "not found words on another class stay that class", action: "DuplicateImage",
			err: sdkerrors.NewTencentCloudSDKError("InternalError.DbError", "row not found", "r3"), class: failure.ClassTemporary, code: "InternalError.DbError"},
		{name: "an untrusted certificate is not retried", action: "DuplicateImage",
			err:   sdkerrors.NewTencentCloudSDKErrorWithCause(failure.CodeNetwork, "Fail to get response", "", fmt.Errorf("post: %w", x509.UnknownAuthorityError{})),
			class: failure.ClassUnexpected, code: failure.CodeCertificate},
		{name: "a cancelled step", ctx: cancelled, action: "DuplicateImage",
			err: sdkerrors.NewTencentCloudSDKErrorWithCause(failure.CodeNetwork, "Fail to get response", "", context.Canceled), class: failure.ClassUnexpected, code: failure.CodeCanceled},
		{name: "STS refusal of any kind is a permission problem", action: failure.ActionAssumeRole,
			err: sdkerrors.NewTencentCloudSDKError("InvalidParameter.WebIdentityTokenError", "bad token", "r4"), class: failure.ClassPermission, code: "InvalidParameter.WebIdentityTokenError"},
		{name: "STS throttled stays temporary", action: failure.ActionAssumeRole,
			err: sdkerrors.NewTencentCloudSDKError("RequestLimitExceeded", "slow down", "r5"), class: failure.ClassTemporary, code: "RequestLimitExceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			e := classify(ctx, tt.action, &exchange{status: 200}, tt.err)
			if e.Class != tt.class || e.Code != tt.code {
				t.Errorf("classify = %s %s, want %s %s", e.Class, e.Code, tt.class, tt.code)
			}
		})
	}
}
