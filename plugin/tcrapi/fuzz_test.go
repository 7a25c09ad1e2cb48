package tcrapi

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/tcr-promote/tcr-promote/plugin/failure"
	sdkerrors "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
)

// FuzzClassify feeds arbitrary API answers through the SDK's own error
// parser and the classifier: every outcome must map to a documented exit
// code, never panic, never 78.
func FuzzClassify(f *testing.F) {
	f.Add(`{"Response":{"Error":{"Code":"InternalError.ErrorTcrResourceConflict","Message":"m"},"RequestId":"r"}}`, 200)
	f.Add(`<html>502 Bad Gateway</html>`, 502)
	f.Add(`{"Response":{"Error":{"Code":"AuthFailure.","Message":""}}}`, 200)
	f.Add(`{"Response":{"Error":{"Code":".","Message":""}}}`, 200)
	f.Add(`{"code":5,"codeDesc":"x","message":"y"}`, 200)
	f.Fuzz(func(t *testing.T, body string, status int) {
		err := tchttp.ParseErrorFromHTTPResponse([]byte(body))
		if err == nil {
			err = sdkerrors.NewTencentCloudSDKError("ClientError.HttpStatusCodeError", "x", "")
		}
		e := classify(context.Background(), "DuplicateImage", &exchange{status: status, sent: true, first: firstByte(body)}, err)
		code := failure.ExitCode(e)
		if !slices.Contains([]int{1, 65, 66, 69, 73, 75, 77}, code) {
			t.Fatalf("%q (HTTP %d) → class %v, exit %d", body, status, e.Class, code)
		}
		_ = failure.ClassOfCode(e.Code).String()
	})
}

func firstByte(body string) byte {
	if s := strings.TrimSpace(body); s != "" {
		return s[0]
	}
	return 0
}
