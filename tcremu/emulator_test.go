package tcremu_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/tcremu"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	sdkerrors "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
)

const (
	secretID  = "AKIDtest"
	secretKey = "test-secret-key"
	region    = "ap-guangzhou"
	digestA   = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB   = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// fixture is an emulator with one instance, served over real HTTP.
func fixture(t *testing.T, opts ...tcremu.Option) (*tcremu.Emulator, *httptest.Server) {
	t.Helper()
	emu := tcremu.New(append([]tcremu.Option{tcremu.WithCredential(secretID, secretKey)}, opts...)...)
	emu.AddInstance("tcr-1", region, "acme.tencentcloudcr.com")
	if err := emu.AddNamespace("tcr-1", "release"); err != nil {
		t.Fatal(err)
	}
	if err := emu.PutImage("tcr-1", "develop", "app", "stg", digestA); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return emu, srv
}

// sdkClient is the official Go SDK's common client pointed at srv.
func sdkClient(srv *httptest.Server, id, key string, transport http.RoundTripper) *common.Client {
	c := common.NewCommonClient(common.NewCredential(id, key), region, emulatorProfile(srv))
	if transport != nil {
		c.WithHttpTransport(transport)
	}
	return c
}

// sdkClientIn signs with the test key for another region.
func sdkClientIn(srv *httptest.Server, region string) *common.Client {
	return common.NewCommonClient(common.NewCredential(secretID, secretKey), region, emulatorProfile(srv))
}

func emulatorProfile(srv *httptest.Server) *profile.ClientProfile {
	prof := profile.NewClientProfile()
	prof.Language = "en-US"
	prof.HttpProfile.Scheme = "HTTP"
	prof.HttpProfile.Endpoint = strings.TrimPrefix(srv.URL, "http://")
	return prof
}

// send calls action with params and returns the decoded Response or the
// API error code.
func send(c *common.Client, action string, params any) (map[string]any, string) {
	req := tchttp.NewCommonRequest("tcr", tcremu.APIVersion, action)
	if err := req.SetActionParameters(params); err != nil {
		panic(err)
	}
	resp := tchttp.NewCommonResponse()
	if err := c.Send(req, resp); err != nil {
		var sdkErr *sdkerrors.TencentCloudSDKError
		if errors.As(err, &sdkErr) {
			return nil, sdkErr.Code
		}
		return nil, "transport: " + err.Error()
	}
	var out struct{ Response map[string]any }
	if err := json.Unmarshal(resp.GetBody(), &out); err != nil {
		panic(err)
	}
	return out.Response, ""
}

// rewrite changes the request body after the SDK signed it.
type rewrite func([]byte) []byte

func (f rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	b, _ := io.ReadAll(r.Body)
	b = f(b)
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.ContentLength = int64(len(b))
	return http.DefaultTransport.RoundTrip(r)
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	dup := map[string]any{"RegistryId": "tcr-1", "SourceNamespace": "develop", "SourceRepo": "app", "SourceReference": "stg", "DestinationTag": "prd"}
	tests := []struct {
		name      string
		id, key   string
		clock     time.Duration // emulator clock offset
		transport http.RoundTripper
		want      string
	}{
		{name: "signed by the Go SDK", id: secretID, key: secretKey},
		{name: "unknown SecretId", id: "AKIDnobody", key: secretKey, want: "AuthFailure.SecretIdNotFound"},
		{name: "wrong key", id: secretID, key: secretKey + "x", want: "AuthFailure.SignatureFailure"},
		{name: "one byte of the body changed", id: secretID, key: secretKey, transport: rewrite(func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"prd"`), []byte(`"prx"`), 1)
		}), want: "AuthFailure.SignatureFailure"},
		{name: "timestamp six minutes old", id: secretID, key: secretKey, clock: 6 * time.Minute, want: "AuthFailure.SignatureExpire"},
		{name: "timestamp four minutes old", id: secretID, key: secretKey, clock: 4 * time.Minute},
		{name: "timestamp six minutes ahead", id: secretID, key: secretKey, clock: -6 * time.Minute, want: "AuthFailure.SignatureExpire"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			emu, srv := fixture(t, tcremu.WithClock(func() time.Time { return time.Now().Add(tt.clock) }))
			_, code := send(sdkClient(srv, tt.id, tt.key, tt.transport), "DuplicateImage", dup)
			if code != tt.want {
				t.Fatalf("code = %q, want %q", code, tt.want)
			}
			_, promoted := emu.Lookup("tcr-1", "develop", "app", "prd")
			if promoted != (tt.want == "") {
				t.Errorf("promoted = %t, want %t", promoted, tt.want == "")
			}
		})
	}
}

func TestParameters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		action string
		params any
		want   string
	}{
		{"unknown field", "DuplicateImage", map[string]any{"RegistryId": "tcr-1", "SourceNamespace": "develop", "SourceRepo": "app", "SourceReference": "stg", "DestinationTag": "prd", "Force": true}, "UnknownParameter"},
		{"wrong type", "DuplicateImage", map[string]any{"RegistryId": "tcr-1", "SourceNamespace": "develop", "SourceRepo": "app", "SourceReference": "stg", "DestinationTag": "prd", "Override": "yes"}, "InvalidParameter"},
		{"missing destination tag", "DuplicateImage", map[string]any{"RegistryId": "tcr-1", "SourceNamespace": "develop", "SourceRepo": "app", "SourceReference": "stg"}, "MissingParameter"},
		{"bad tag", "DuplicateImage", map[string]any{"RegistryId": "tcr-1", "SourceNamespace": "develop", "SourceRepo": "app", "SourceReference": "stg", "DestinationTag": "-x"}, "InvalidParameter.ErrorTcrInvalidParameter"},
		{"digest source", "DuplicateImage", map[string]any{"RegistryId": "tcr-1", "SourceNamespace": "develop", "SourceRepo": "app", "SourceReference": digestA, "DestinationTag": "prd"}, "InvalidParameter.ErrorTcrInvalidParameter"},
		{"unknown action", "DeleteEverything", map[string]any{}, "InvalidAction"},
		{"page number zero is page 1", "DescribeImages", map[string]any{"RegistryId": "tcr-1", "NamespaceName": "develop", "RepositoryName": "app", "Offset": 0}, ""},
		{"negative page number", "DescribeImages", map[string]any{"RegistryId": "tcr-1", "NamespaceName": "develop", "RepositoryName": "app", "Offset": -1}, "InvalidParameter"},
		{"unknown instance filter", "DescribeInstances", map[string]any{"Filters": []map[string]any{{"Name": "Color", "Values": []string{"red"}}}}, "InvalidParameter.ErrorTcrInvalidParameter"},
		{"namespaces with All and Filters", "DescribeNamespaces", map[string]any{"RegistryId": "tcr-1", "All": true, "Filters": []map[string]any{}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, srv := fixture(t)
			if _, code := send(sdkClient(srv, secretID, secretKey, nil), tt.action, tt.params); code != tt.want {
				t.Errorf("code = %q, want %q", code, tt.want)
			}
		})
	}
}

func TestDuplicateImage(t *testing.T) {
	t.Parallel()
	base := func(extra map[string]any) map[string]any {
		p := map[string]any{"RegistryId": "tcr-1", "SourceNamespace": "develop", "SourceRepo": "app", "SourceReference": "stg", "DestinationTag": "prd"}
		for k, v := range extra {
			p[k] = v
		}
		return p
	}
	tests := []struct {
		name     string
		existing string // digest already at release/app:prd
		params   map[string]any
		want     string
		wantAt   string // digest expected at the destination
		dstNS    string
		conflict string // emulator's conflict code
	}{
		{name: "same repository", params: base(nil), wantAt: digestA, dstNS: "develop"},
		{name: "other namespace, repository created", params: base(map[string]any{"DestinationNamespace": "release"}), wantAt: digestA, dstNS: "release"},
		{name: "missing source tag", params: base(map[string]any{"SourceReference": "nope"}), want: "ResourceNotFound.TcrResourceNotFound", dstNS: "develop"},
		{name: "missing source repo", params: base(map[string]any{"SourceRepo": "nope"}), want: "ResourceNotFound.TcrResourceNotFound", dstNS: "develop"},
		{name: "missing destination namespace", params: base(map[string]any{"DestinationNamespace": "qa"}), want: "ResourceNotFound.TcrResourceNotFound", dstNS: "qa"},
		{name: "missing instance", params: base(map[string]any{"RegistryId": "tcr-2"}), want: "ResourceNotFound", dstNS: "develop"},
		{name: "existing tag without override", existing: digestB, params: base(map[string]any{"DestinationNamespace": "release"}), want: "FailedOperation.PreconditionFailed", wantAt: digestB, dstNS: "release"},
		{name: "existing tag, other conflict code", existing: digestB, conflict: "InternalError.ErrorTcrResourceConflict", params: base(map[string]any{"DestinationNamespace": "release"}), want: "InternalError.ErrorTcrResourceConflict", wantAt: digestB, dstNS: "release"},
		{name: "existing tag with override", existing: digestB, params: base(map[string]any{"DestinationNamespace": "release", "Override": true}), wantAt: digestA, dstNS: "release"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var opts []tcremu.Option
			if tt.conflict != "" {
				opts = append(opts, tcremu.WithConflictCode(tt.conflict))
			}
			emu, srv := fixture(t, opts...)
			if tt.existing != "" {
				if err := emu.PutImage("tcr-1", "release", "app", "prd", tt.existing); err != nil {
					t.Fatal(err)
				}
			}
			resp, code := send(sdkClient(srv, secretID, secretKey, nil), "DuplicateImage", tt.params)
			if code != tt.want {
				t.Fatalf("code = %q, want %q", code, tt.want)
			}
			if code == "" && resp["RequestId"] == "" {
				t.Errorf("no RequestId in %v", resp)
			}
			img, _ := emu.Lookup("tcr-1", tt.dstNS, "app", "prd")
			if img.Digest != tt.wantAt {
				t.Errorf("destination digest = %q, want %q", img.Digest, tt.wantAt)
			}
		})
	}
}

func TestDescribeImages(t *testing.T) {
	t.Parallel()
	// Each tag pushed a second after the one before, so newest-first is
	// a total order.
	var tick atomic.Int64
	start := time.Now()
	emu, srv := fixture(t, tcremu.WithClock(func() time.Time { return start.Add(time.Duration(tick.Add(1)) * time.Second) }))
	for _, tag := range []string{"stg-1", "stg-2", "v1", "latest"} {
		if err := emu.PutImage("tcr-1", "develop", "app", tag, digestB); err != nil {
			t.Fatal(err)
		}
	}
	c := sdkClient(srv, secretID, secretKey, nil)
	versions := func(params map[string]any) ([]string, float64) {
		t.Helper()
		params["RegistryId"], params["NamespaceName"], params["RepositoryName"] = "tcr-1", "develop", "app"
		resp, code := send(c, "DescribeImages", params)
		if code != "" {
			t.Fatalf("DescribeImages(%v): %s", params, code)
		}
		var got []string
		for _, i := range resp["ImageInfoList"].([]any) {
			got = append(got, i.(map[string]any)["ImageVersion"].(string))
		}
		return got, resp["TotalCount"].(float64)
	}
	tests := []struct {
		name   string
		params map[string]any
		want   []string
		total  float64
	}{
		{"fuzzy", map[string]any{"ImageVersion": "stg"}, []string{"stg-2", "stg-1", "stg"}, 3},
		{"exact", map[string]any{"ImageVersion": "stg", "ExactMatch": true}, []string{"stg"}, 1},
		{"by digest", map[string]any{"Digest": digestA}, []string{"stg"}, 1},
		{"page 1 of 2, newest first", map[string]any{"Limit": 3, "Offset": 1}, []string{"latest", "v1", "stg-2"}, 5},
		{"page 2 of 2", map[string]any{"Limit": 3, "Offset": 2}, []string{"stg-1", "stg"}, 5},
		{"absent", map[string]any{"ImageVersion": "nope", "ExactMatch": true}, nil, 0},
	}
	for _, tt := range tests {
		got, total := versions(tt.params)
		if diff := cmp.Diff(tt.want, got); diff != "" || total != tt.total {
			t.Errorf("%s: got %v (total %v), want %v (total %v)", tt.name, got, total, tt.want, tt.total)
		}
	}
}

func TestDescribeInstances(t *testing.T) {
	t.Parallel()
	emu, srv := fixture(t)
	emu.AddInstance("tcr-2", "ap-shanghai", "other.tencentcloudcr.com")
	resp, code := send(sdkClient(srv, secretID, secretKey, nil), "DescribeInstances", map[string]any{"Registryids": []string{"tcr-1", "tcr-2"}})
	if code != "" {
		t.Fatal(code)
	}
	regs := resp["Registries"].([]any)
	if len(regs) != 1 || regs[0].(map[string]any)["PublicDomain"] != "acme.tencentcloudcr.com" {
		t.Errorf("Registries = %v, want only tcr-1 of %s with its PublicDomain", regs, region)
	}
}

// TestDescribeInstancesByName: the instance of a domain, found in any
// region by its RegistryName with AllRegion, as Harbor's adapter does.
func TestDescribeInstancesByName(t *testing.T) {
	t.Parallel()
	emu, srv := fixture(t)
	emu.AddInstance("tcr-2", "ap-shanghai", "other.tencentcloudcr.com")
	c := sdkClient(srv, secretID, secretKey, nil)
	byName := func(all bool) []any {
		resp, code := send(c, "DescribeInstances", map[string]any{"Filters": []map[string]any{{"Name": "RegistryName", "Values": []string{"other"}}}, "AllRegion": all})
		if code != "" {
			t.Fatal(code)
		}
		return resp["Registries"].([]any)
	}
	if regs := byName(false); len(regs) != 0 {
		t.Errorf("without AllRegion, a call for %s found %v", region, regs)
	}
	regs := byName(true)
	if len(regs) != 1 {
		t.Fatalf("Registries = %v, want tcr-2", regs)
	}
	got := regs[0].(map[string]any)
	if got["RegistryId"] != "tcr-2" || got["RegionName"] != "ap-shanghai" || got["RegistryName"] != "other" {
		t.Errorf("Registries[0] = %v", got)
	}
}

func TestDeleteRepository(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		params map[string]any
		want   string
		left   []string // develop's repositories after
	}{
		{"deleted with its tags", map[string]any{"RegistryId": "tcr-1", "NamespaceName": "develop", "RepositoryName": "scratch"}, "", []string{"app"}},
		{"no such repository", map[string]any{"RegistryId": "tcr-1", "NamespaceName": "develop", "RepositoryName": "nope"}, "ResourceNotFound.TcrResourceNotFound", []string{"app", "scratch"}},
		{"no such namespace", map[string]any{"RegistryId": "tcr-1", "NamespaceName": "qa", "RepositoryName": "scratch"}, "ResourceNotFound.TcrResourceNotFound", []string{"app", "scratch"}},
		{"no repository named", map[string]any{"RegistryId": "tcr-1", "NamespaceName": "develop"}, "MissingParameter", []string{"app", "scratch"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			emu, srv := fixture(t)
			if err := emu.PutImage("tcr-1", "develop", "scratch", "stg", digestA); err != nil {
				t.Fatal(err)
			}
			if _, code := send(sdkClient(srv, secretID, secretKey, nil), "DeleteRepository", tt.params); code != tt.want {
				t.Fatalf("code = %q, want %q", code, tt.want)
			}
			if got := emu.Repositories("tcr-1", "develop"); !slices.Equal(got, tt.left) {
				t.Errorf("repositories %v, want %v", got, tt.left)
			}
			if img, ok := emu.Lookup("tcr-1", "develop", "app", "stg"); !ok || img.Digest != digestA {
				t.Error("the image tagged elsewhere went with the repository")
			}
		})
	}
}
