// Command bare is the physical floor for one promotion: a minimal program
// that sends one signed DuplicateImage request through the common SDK and
// exits. BenchmarkProcess compares tcr-promote's start-to-exit time with
// this one's over the same loopback.
//
// Usage: TCR_ENDPOINT=127.0.0.1:port TCR_SECRET_ID=… TCR_SECRET_KEY=… bare DESTINATION_TAG
package main

import (
	"fmt"
	"os"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
)

func main() {
	prof := profile.NewClientProfile()
	prof.HttpProfile.Scheme = "HTTP"
	prof.HttpProfile.Endpoint = os.Getenv("TCR_ENDPOINT")
	client := common.NewCommonClient(common.NewCredential(os.Getenv("TCR_SECRET_ID"), os.Getenv("TCR_SECRET_KEY")), "ap-guangzhou", prof)
	req := tchttp.NewCommonRequest("tcr", "2019-09-24", "DuplicateImage")
	_ = req.SetActionParameters(map[string]any{
		"RegistryId": "tcr-1", "SourceNamespace": "develop", "SourceRepo": "app", "SourceReference": "stg",
		"DestinationNamespace": "release", "DestinationTag": os.Args[1],
	})
	if err := client.Send(req, tchttp.NewCommonResponse()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
