package plugin_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"
	"github.com/tcr-promote/tcr-promote/plugin"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/tcremu"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// FuzzAnswers feeds an arbitrary answer — body and status — to one action
// of one flow (by instance ID, by host, keyless, Personal, an overwrite, a
// dry run, a batch, unverified), every other call answered by the
// emulator in process. Whatever the body, the step must not panic, must
// not reach its last-resort recover, and must exit with a documented code.
func FuzzAnswers(f *testing.F) {
	for _, body := range []string{`{}`, `{"Response":null}`, `{"Response":{}}`, `{"Response":{"RequestId":"r"}}`,
		`{"Response":{"ImageInfoList":[{"ImageVersion":"stg"}],"RequestId":"r"}}`, `{"Response":{"Registries":[{"RegistryName":"acme","RegistryId":"x y"}],"RequestId":"r"}}`,
		`{"Response":{"Credentials":{"TmpSecretId":"a"},"RequestId":"r"}}`, `{"Response":{"Data":{"TagInfo":[null]},"RequestId":"r"}}`,
		`{"Response":{"Error":{"Code":"::error::x","Message":"##[set-output a=b]"},"RequestId":"\n"}}`, `<html>`, `{"Response":`, ``,
		`{"Response":{"Manifest":"{\"manifests\":[{\"platform\":null}]}","Config":"[]","Labels":[null,{"Key":"team"}],"RequestId":"r"}}`,
		`{"Response":{"ImageInfoList":[{"ImageVersion":"stg","Digest":"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","KmsSignature":"::error::x"}],"RequestId":"r"}}`} {
		for action := range uint8(len(fuzzActions)) {
			f.Add(uint8(action), action, uint8(0), body)
		}
	}
	f.Add(uint8(6), uint8(0), uint8(3), `x`)
	f.Add(uint8(12), uint8(1), uint8(0), `{"Response":{"ImageInfoList":[],"TotalCount":100000000,"RequestId":"r"}}`)
	f.Add(uint8(10), uint8(11), uint8(0), `{"Response":{"ReplicationStatus":"Success","ReplicationTime":"9999-12-31 23:59:59","RequestId":"r"}}`)
	f.Add(uint8(10), uint8(10), uint8(0), `{"Response":{"ReplicationRegistries":[null,{"ReplicationRegistryId":"tcr-1-sg","ReplicationRegionName":"ap-singapore","ReplicationRegionId":-1}],"TotalCount":1,"RequestId":"r"}}`)
	f.Fuzz(fuzzOne)
}

func fuzzOne(t *testing.T, scenario, action, status uint8, body string) {
	{
		emu := tcremu.New(tcremu.WithCredential("AKIDfuzz", "fuzz-key"), tcremu.WithWebIdentity("gh", "qcs::cam::uin/1:roleName/r", "jwt"))
		emu.AddInstance("tcr-1", "ap-guangzhou", "acme.tencentcloudcr.com")
		_ = emu.AddNamespace("tcr-1", "release")
		_ = emu.PutImage("tcr-1", "develop", "app", "stg", "sha256:"+strings.Repeat("a", 64))
		_ = emu.PutImage("tcr-1", "release", "app", "old", "sha256:"+strings.Repeat("b", 64))
		emu.PutPersonalImage("ap-hongkong", "develop", "app", "stg", "sha256:"+strings.Repeat("a", 64))
		_ = emu.AddReplica("tcr-1", "tcr-1-sg", "ap-singapore", 0)
		vars := fuzzScenario(scenario)
		var out strings.Builder
		r := &plugin.Runner{
			Env: envconfig.MapLookuper(vars), Stdout: &out, Stderr: &out,
			Transport: &fuzzTransport{emu: emu, action: fuzzActions[int(action)%len(fuzzActions)],
				status: []int{200, 200, 500, 502, 403, 307}[int(status)%6], body: body},
			Backoff:            func(int) time.Duration { return 0 },
			DefaultCredentials: func(context.Context) (common.CredentialIface, error) { return nil, errors.New("none") },
		}
		code := r.Run(context.Background(), []string{"tcr-promote"})
		if !slices.Contains([]int{0, 1, 3, 64, 65, 66, 69, 73, 75, 77, 78}, code) || strings.Contains(out.String(), failure.CodePanic) {
			t.Fatalf("scenario %d, %s answering %d %q: exit %d\n%s", scenario, fuzzActions[int(action)%len(fuzzActions)], status, body, code, out.String())
		}
	}
}

var fuzzActions = []string{"DuplicateImage", "DescribeImages", "DescribeInstances", "AssumeRoleWithWebIdentity",
	"DuplicateImagePersonal", "DescribeImagePersonal", "DescribeImmutableTagRules", "DescribeNamespaces",
	"DescribeImageManifests", "CreateSignature", "DescribeReplicationInstances", "DescribeReplicationInstanceSyncStatus"}

func fuzzScenario(n uint8) map[string]string {
	vars := map[string]string{
		"PLUGIN_REGISTRY_ID": "tcr-1", "PLUGIN_REGION": "ap-guangzhou", "PLUGIN_SOURCE_NAMESPACE": "develop", "PLUGIN_SOURCE_REPO": "app",
		"PLUGIN_SOURCE_REFERENCE": "stg", "PLUGIN_DESTINATION_NAMESPACE": "release", "PLUGIN_DESTINATION_TAG": "prd",
		"PLUGIN_SECRET_ID": "AKIDfuzz", "PLUGIN_SECRET_KEY": "fuzz-key", "PLUGIN_ENDPOINT": "http://tcr.fuzz",
		"PLUGIN_RETRIES": "1", "PLUGIN_INDEX_LAG": "0", "PLUGIN_TIMEOUT": "1s", "PLUGIN_ATTEMPT_TIMEOUT": "500ms", // a refusal for rate is resent until timeout
	}
	refs := func(src, dst string) {
		for _, k := range []string{"PLUGIN_REGISTRY_ID", "PLUGIN_REGION", "PLUGIN_SOURCE_NAMESPACE", "PLUGIN_SOURCE_REPO", "PLUGIN_SOURCE_REFERENCE", "PLUGIN_DESTINATION_NAMESPACE", "PLUGIN_DESTINATION_TAG"} {
			delete(vars, k)
		}
		vars["PLUGIN_SOURCE_IMAGE"], vars["PLUGIN_DESTINATION_IMAGE"] = src, dst
	}
	switch n % 13 {
	case 1:
		refs("acme.tencentcloudcr.com/develop/app:stg", "release/app:prd")
	case 2:
		delete(vars, "PLUGIN_SECRET_ID")
		delete(vars, "PLUGIN_SECRET_KEY")
		vars["PLUGIN_ROLE_ARN"], vars["PLUGIN_PROVIDER_ID"], vars["PLUGIN_WEB_IDENTITY_TOKEN"], vars["PLUGIN_STS_ENDPOINT"] = "qcs::cam::uin/1:roleName/r", "gh", "jwt", "http://sts.fuzz"
	case 3:
		refs("hkccr.ccs.tencentyun.com/develop/app:stg", "develop/app:prd")
	case 4:
		vars["PLUGIN_DESTINATION_TAG"], vars["PLUGIN_OVERRIDE"] = "old", "true"
	case 5:
		vars["PLUGIN_DRY_RUN"] = "true"
	case 6:
		vars["PLUGIN_DESTINATION_TAG"] = "a,b,old"
	case 7:
		vars["PLUGIN_VERIFY"] = "false"
	case 8: // the supply chain: gates, signatures carried, signing after
		vars["PLUGIN_REQUIRE_SIGNATURE"], vars["PLUGIN_REQUIRE_LABELS"], vars["PLUGIN_SIGN"] = "any", "team=web", "kms"
	case 9:
		vars["PLUGIN_REQUIRE_SIGNATURE"], vars["PLUGIN_RECORD_FILE"] = "cosign", filepath.Join(os.TempDir(), "tcr-promote-fuzz-record.json")
	case 10: // done in every region
		vars["PLUGIN_WAIT_REPLICAS"], vars["PLUGIN_REPLICA_TIMEOUT"] = "true", "1s"
	case 11, 12: // a promotion file, applied, then checked: its listings page through repositories
		for _, k := range []string{"PLUGIN_SOURCE_NAMESPACE", "PLUGIN_SOURCE_REPO", "PLUGIN_SOURCE_REFERENCE", "PLUGIN_DESTINATION_NAMESPACE", "PLUGIN_DESTINATION_TAG"} {
			delete(vars, k)
		}
		vars["PLUGIN_PROMOTION_FILE"] = fuzzPromotionFile()
		if n%13 == 12 {
			vars["PLUGIN_MODE"] = "check"
		}
	}
	return vars
}

// fuzzPromotionFile is a promotion file of a tag and a digest source,
// written once.
var fuzzPromotionFile = sync.OnceValue(func() string {
	path := filepath.Join(os.TempDir(), "tcr-promote-fuzz-promotions.yaml")
	_ = os.WriteFile(path, []byte("promotions:\n  - source: develop/app:stg\n    destinations: [release/app:prd, release/app:old]\n    override: true\n  - source: develop/app@sha256:"+strings.Repeat("a", 64)+"\n    destinations: [release/app:v1]\n"), 0o644)
	return path
})

// fuzzTransport answers every request in process: the emulator for every
// action but one, which gets the fuzzed answer. It tells the request's
// trace that the request was written, as a real transport does.
type fuzzTransport struct {
	emu    *tcremu.Emulator
	action string
	status int
	body   string
}

func (t *fuzzTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if trace := httptrace.ContextClientTrace(req.Context()); trace != nil && trace.WroteRequest != nil {
		trace.WroteRequest(httptrace.WroteRequestInfo{})
	}
	if req.Header.Get("X-TC-Action") == "" {
		// Not an API call (the registry's protocol): no such host here.
		return nil, &net.DNSError{Err: "no such host", Name: req.URL.Hostname(), IsNotFound: true}
	}
	if req.Header.Get("X-TC-Action") == t.action {
		h := http.Header{"Content-Type": {"application/json"}}
		if t.status == 307 {
			h.Set("Location", "http://elsewhere.fuzz/")
		}
		return &http.Response{StatusCode: t.status, Header: h, Body: io.NopCloser(strings.NewReader(t.body)), ContentLength: -1, Request: req}, nil
	}
	rec := httptest.NewRecorder()
	t.emu.ServeHTTP(rec, req)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}
