package plugin

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"
	"github.com/tcr-promote/tcr-promote/internal/runnerfiles"
	"github.com/tcr-promote/tcr-promote/tcremu"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	sdkerrors "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
)

// FuzzLoadConfig sets one setting, in one of its three forms, to an
// arbitrary value: parsing must not panic, and must either fail as a usage
// error or produce a config whose tags and names are valid.
func FuzzLoadConfig(f *testing.F) {
	f.Add(uint8(0), uint8(0), "tcr-1")
	f.Add(uint8(8), uint8(1), "yes")
	f.Add(uint8(14), uint8(2), "1h")
	f.Add(uint8(12), uint8(0), "http://[::1]:80")
	f.Add(uint8(5), uint8(1), "-prd\n")
	f.Add(uint8(16), uint8(0), "99999999999999999999")
	f.Add(uint8(3), uint8(0), `["app","api", "app"]`)
	f.Add(uint8(5), uint8(1), "prd,\nv1.4.2,,latest")
	f.Add(uint8(5), uint8(0), `[1]`)
	settings := AllSettings()
	f.Fuzz(func(t *testing.T, which, form uint8, value string) {
		vars := map[string]string{
			"PLUGIN_REGISTRY_ID": "tcr-1", "PLUGIN_REGION": "ap-guangzhou",
			"PLUGIN_SOURCE_NAMESPACE": "develop", "PLUGIN_SOURCE_REPO": "app", "PLUGIN_SOURCE_REFERENCE": "stg",
			"PLUGIN_DESTINATION_TAG": "prd", "PLUGIN_SECRET_ID": "id", "PLUGIN_SECRET_KEY": "key",
		}
		s := settings[int(which)%len(settings)]
		names := s.Names()
		for _, n := range names {
			delete(vars, n)
		}
		vars[names[int(form)%len(names)]] = value
		cfg, err := LoadConfig(envconfig.MapLookuper(vars))
		if cfg == nil {
			t.Fatal("nil config")
		}
		if err != nil {
			if ClassOf(err) != ClassUsage || ExitCode(err) != 64 {
				t.Fatalf("error %v is not a usage error", err)
			}
			return
		}
		if len(cfg.Pairs) == 0 {
			t.Fatal("valid settings with nothing to promote")
		}
		for _, pair := range cfg.Pairs {
			if !isReference(pair.Source.Tag) || !isTag(pair.Destination.Tag) || !isRepo(pair.Source.Repo) || !isRepo(pair.Destination.Repo) {
				t.Fatalf("accepted %+v", pair)
			}
			if pair.Source == pair.Destination {
				t.Fatalf("accepted a promotion onto itself: %+v", pair)
			}
		}
		if cfg.Timeout <= 0 || cfg.AttemptTimeout <= 0 || cfg.Retries < 0 || cfg.RateLimit < 1 || cfg.Host == "" {
			t.Fatalf("accepted %+v", cfg)
		}
	})
}

// FuzzOutputs renders an untrusted value between two fixed outputs with
// every writer's format and reads the result back as its consumer would:
// the value must come back intact or be refused, and no other output may
// appear or change. (The file I/O around it is tested end to end; here it
// would only slow the fuzzer down.)
func FuzzOutputs(f *testing.F) {
	f.Add("eee33f6d-1234-4a5b-8c9d-0123456789ab")
	f.Add("id\nrequest_id=forged")
	f.Add("x\r\nERROR_CLASS=ok")
	f.Add("\"quoted\"")
	f.Add("a #comment")
	f.Add("ghadelimiter_0123\n::error::x")
	f.Add("")
	f.Add("##[set-output promoted=true]")
	f.Add("base64,dHJ1ZQ==")
	f.Add("a]b\\n[c")
	readers := map[string]func(string) (map[string]string, error){
		"github": runnerfiles.ParseGitHubOutput,
		"dotenv": parseDotenv,
		"cnb":    parseCNB,
	}
	formats := map[string]func(output) (string, error){"github": githubLine, "dotenv": dotenvLine, "cnb": cnbLine}
	f.Fuzz(func(t *testing.T, value string) {
		outs := []output{{"error_class", "conflict"}, {"request_id", value}, {"error_code", "FailedOperation"}}
		for name, format := range formats {
			text, errs := render(format, outs)
			for _, err := range errs {
				if !errors.Is(err, errUnsafeValue) {
					t.Fatal(err)
				}
			}
			got, err := readers[name](text)
			if err != nil {
				t.Fatalf("%s: unreadable: %v\n%q", name, err, text)
			}
			want := map[string]string{"error_class": "conflict", "error_code": "FailedOperation", "request_id": value}
			if len(errs) > 0 {
				delete(want, "request_id") // the value was refused
			}
			if !maps.Equal(got, want) {
				t.Fatalf("%s: outputs %q, want %q", name, got, want)
			}
		}
	})
}

// render is what a sink with format writes for outs.
func render(format func(output) (string, error), outs []output) (string, []error) {
	var b strings.Builder
	s := sink{format: format, emit: func(parts []rendered) error {
		for _, p := range parts {
			b.WriteString(p.text)
			if strings.HasPrefix(p.text, "##[") {
				b.WriteString("\n") // the logger ends CNB's lines
			}
		}
		return nil
	}}
	skipped, _ := s.write(outs)
	return b.String(), skipped
}

// parseCNB reads ##[set-output name=value] lines as CNB does: a value
// starting with base64, is decoded, any other is taken as it is (it holds
// no backslash to unescape).
func parseCNB(text string) (map[string]string, error) {
	got := map[string]string{}
	for line := range strings.Lines(text) {
		line = strings.TrimSuffix(line, "\n")
		body, ok := strings.CutPrefix(line, "##[set-output ")
		if !ok || !strings.HasSuffix(body, "]") {
			return nil, errors.New("bad line " + line)
		}
		name, v, ok := strings.Cut(strings.TrimSuffix(body, "]"), "=")
		if !ok {
			return nil, errors.New("bad line " + line)
		}
		if b64, ok := strings.CutPrefix(v, "base64,"); ok {
			b, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				return nil, err
			}
			v = string(b)
		} else if strings.ContainsAny(v, "\\[]") {
			return nil, errors.New("a plain value CNB would alter: " + line)
		}
		got[name] = v
	}
	return got, nil
}

// parseDotenv reads a dotenv file as GitLab does, keys lower-cased.
func parseDotenv(text string) (map[string]string, error) {
	env, err := runnerfiles.ParseDotenv(text)
	if err != nil {
		return nil, err
	}
	got := map[string]string{}
	for k, v := range env {
		got[strings.ToLower(k)] = v
	}
	return got, nil
}

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
		code := ExitCode(e)
		if !slices.Contains([]int{1, 65, 66, 69, 73, 75, 77}, code) {
			t.Fatalf("%q (HTTP %d) → class %v, exit %d", body, status, e.Class, code)
		}
		_ = ClassOfCode(e.Code).String()
	})
}

func firstByte(body string) byte {
	if s := strings.TrimSpace(body); s != "" {
		return s[0]
	}
	return 0
}

// FuzzAnswers feeds an arbitrary answer — body and status — to one action
// of one flow (by instance ID, by host, keyless, Personal, an overwrite, a
// dry run, a batch, unverified), every other call answered by the
// emulator in process. Whatever the body, the step must not panic, must
// not reach its last-resort recover, and must exit with a documented code.
func FuzzAnswers(f *testing.F) {
	for _, body := range []string{`{}`, `{"Response":null}`, `{"Response":{}}`, `{"Response":{"RequestId":"r"}}`,
		`{"Response":{"ImageInfoList":[{"ImageVersion":"stg"}],"RequestId":"r"}}`, `{"Response":{"Registries":[{"RegistryName":"acme","RegistryId":"x y"}],"RequestId":"r"}}`,
		`{"Response":{"Credentials":{"TmpSecretId":"a"},"RequestId":"r"}}`, `{"Response":{"Data":{"TagInfo":[null]},"RequestId":"r"}}`,
		`{"Response":{"Error":{"Code":"::error::x","Message":"##[set-output a=b]"},"RequestId":"\n"}}`, `<html>`, `{"Response":`, ``} {
		for action := range uint8(len(fuzzActions)) {
			f.Add(uint8(action), action, uint8(0), body)
		}
	}
	f.Add(uint8(6), uint8(0), uint8(3), `x`)
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
		vars := fuzzScenario(scenario)
		var out strings.Builder
		r := &Runner{
			Env: envconfig.MapLookuper(vars), Stdout: &out, Stderr: &out,
			Transport: &fuzzTransport{emu: emu, action: fuzzActions[int(action)%len(fuzzActions)],
				status: []int{200, 200, 500, 502, 403, 307}[int(status)%6], body: body},
			Backoff:            func(int) time.Duration { return 0 },
			DefaultCredentials: func(context.Context) (common.CredentialIface, error) { return nil, errors.New("none") },
		}
		code := r.Run(context.Background(), []string{"tcr-promote"})
		if !slices.Contains([]int{0, 1, 64, 65, 66, 69, 73, 75, 77}, code) || strings.Contains(out.String(), CodePanic) {
			t.Fatalf("scenario %d, %s answering %d %q: exit %d\n%s", scenario, fuzzActions[int(action)%len(fuzzActions)], status, body, code, out.String())
		}
	}
}

var fuzzActions = []string{"DuplicateImage", "DescribeImages", "DescribeInstances", "AssumeRoleWithWebIdentity",
	"DuplicateImagePersonal", "DescribeImagePersonal", "DescribeImmutableTagRules", "DescribeNamespaces"}

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
	switch n % 8 {
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
	}
	return vars
}

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
