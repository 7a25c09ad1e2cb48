package main

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tcr-promote/tcr-promote/internal/runnerfiles"
	"github.com/tcr-promote/tcr-promote/tcremu"
	"github.com/tcr-promote/tcr-promote/tcremu/oci"
)

const (
	refID, refKey = "AKIDrefs", "refs-secret"
	refDigest     = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	otherDigest   = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

// world is an emulator on loopback with two Enterprise instances in
// different regions and the Personal edition in Hong Kong.
func world(t *testing.T) (*tcremu.Emulator, string) {
	t.Helper()
	emu := tcremu.New(tcremu.WithCredential(refID, refKey))
	emu.AddInstance("tcr-gz", "ap-guangzhou", "other.tencentcloudcr.com")
	emu.AddInstance("tcr-sh", "ap-shanghai", "acme.tencentcloudcr.com")
	_ = emu.AddNamespace("tcr-sh", "release")
	_ = emu.PutImage("tcr-sh", "develop", "app", "stg", refDigest)
	_ = emu.PutImage("tcr-sh", "develop", "team/app", "stg", refDigest)
	emu.AddPersonalNamespace("ap-hongkong", "acme")
	emu.PutPersonalImage("ap-hongkong", "acme", "app", "stg", refDigest)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	worldRegistries.Store(srv.URL, registryOf(t, emu, "tcr-sh"))
	return emu, srv.URL
}

// registryOf serves instance id's registry (the referrers API on) and
// returns its URL, for registry_endpoint: the instance's domain does not
// resolve here.
func registryOf(t testing.TB, emu *tcremu.Emulator, id string) string {
	t.Helper()
	reg := httptest.NewServer(emu.RegistryServer(id, oci.Options{Referrers: true}))
	t.Cleanup(reg.Close)
	return reg.URL
}

// worldRegistries holds each world's registry (tcr-sh's) by its API
// endpoint: the instance's domain does not resolve here, so a run is
// pointed at both, as act's --env points a workflow at the emulator.
var worldRegistries sync.Map

// pointedAt is the environment that points a run at the emulator behind
// endpoint: its API, and its registry.
func pointedAt(endpoint string) []string {
	env := []string{"PLUGIN_ENDPOINT=" + endpoint}
	if reg, ok := worldRegistries.Load(endpoint); ok {
		env = append(env, "PLUGIN_REGISTRY_ENDPOINT="+reg.(string))
	}
	return env
}

// readDotenvFile reads a dotenv output file as GitLab does.
func readDotenvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	out, err := runnerfiles.ReadDotenv(path)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type binRun struct {
	code           int
	stdout, stderr string
	outputs        map[string]string
}

// runBinary runs the real binary with settings as its whole environment
// (the endpoint and keys added) and reads its output_file.
func runBinary(t *testing.T, endpoint string, settings ...string) binRun {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out.env")
	cmd := exec.Command(binary(t))
	cmd.Env = append(append(pointedAt(endpoint), "PLUGIN_SECRET_ID="+refID, "PLUGIN_SECRET_KEY="+refKey, "PLUGIN_OUTPUT_FILE="+out), settings...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	_ = cmd.Run()
	r := binRun{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String(), outputs: map[string]string{}}
	if _, err := os.Stat(out); err == nil {
		r.outputs = readDotenvFile(t, out)
	}
	return r
}

// TestImageReferences runs the real binary with source_image and
// destination_image against the emulator.
func TestImageReferences(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		settings []string
		code     int
		outputs  map[string]string // a subset
		check    func(t *testing.T, emu *tcremu.Emulator, r binRun)
	}{
		{
			name:     "Enterprise instance found from its host, in another region",
			settings: []string{"PLUGIN_SOURCE_IMAGE=acme.tencentcloudcr.com/develop/app:stg", "PLUGIN_DESTINATION_IMAGE=release/app:prd", "TENCENTCLOUD_REGION=ap-guangzhou"},
			code:     0,
			outputs:  map[string]string{"DIGEST": refDigest, "IMAGE": "acme.tencentcloudcr.com/release/app:prd@" + refDigest, "PROMOTED": "true"},
			check: func(t *testing.T, emu *tcremu.Emulator, r binRun) {
				if img, ok := emu.Lookup("tcr-sh", "release", "app", "prd"); !ok || img.Digest != refDigest {
					t.Errorf("release/app:prd = %v %t", img, ok)
				}
				lookups := 0
				for _, e := range emu.Requests() {
					if e.Action == "DescribeInstances" {
						lookups++
						continue
					}
					if e.Region != "ap-shanghai" {
						t.Errorf("%s was signed for %q, not the instance's ap-shanghai", e.Action, e.Region)
					}
				}
				if lookups != 1 {
					t.Errorf("%d DescribeInstances calls, want the one lookup", lookups)
				}
			},
		},
		{
			name: "a destination list, one lookup",
			settings: []string{"PLUGIN_SOURCE_IMAGE=acme.tencentcloudcr.com/develop/app:stg",
				"PLUGIN_DESTINATION_IMAGE=acme.tencentcloudcr.com/release/app:prd\nrelease/app:v1\nrelease/team/app:latest"},
			code: 0,
			check: func(t *testing.T, emu *tcremu.Emulator, r binRun) {
				for _, d := range [][2]string{{"app", "prd"}, {"app", "v1"}, {"team/app", "latest"}} {
					if img, ok := emu.Lookup("tcr-sh", "release", d[0], d[1]); !ok || img.Digest != refDigest {
						t.Errorf("release/%s:%s = %v %t", d[0], d[1], img, ok)
					}
				}
				if n := emu.Count("DescribeInstances", ""); n != 1 {
					t.Errorf("%d DescribeInstances calls for 3 promotions, want 1", n)
				}
				if !strings.Contains(r.stdout, "3 promotions: 3 promoted") {
					t.Errorf("no batch line:\n%s", r.stdout)
				}
			},
		},
		{
			name:     "a digest source, nested repository",
			settings: []string{"PLUGIN_SOURCE_IMAGE=acme.tencentcloudcr.com/develop/team/app@" + refDigest, "PLUGIN_DESTINATION_IMAGE=release/team/app:prd"},
			code:     0,
			outputs:  map[string]string{"DIGEST": refDigest, "IMAGE": "acme.tencentcloudcr.com/release/team/app:prd@" + refDigest},
		},
		{
			name:     "registry_id and region given: no lookup",
			settings: []string{"PLUGIN_SOURCE_IMAGE=acme.tencentcloudcr.com/develop/app:stg", "PLUGIN_DESTINATION_IMAGE=release/app:prd", "PLUGIN_REGISTRY_ID=tcr-sh", "PLUGIN_REGION=ap-shanghai"},
			code:     0,
			check: func(t *testing.T, emu *tcremu.Emulator, r binRun) {
				if n := emu.Count("DescribeInstances", ""); n != 0 {
					t.Errorf("%d DescribeInstances calls, want none", n)
				}
			},
		},
		{
			name:     "an unknown instance name",
			settings: []string{"PLUGIN_SOURCE_IMAGE=nope.tencentcloudcr.com/develop/app:stg", "PLUGIN_DESTINATION_IMAGE=release/app:prd"},
			code:     66,
			outputs:  map[string]string{"ERROR_CODE": "ClientError.InstanceNotFound", "ERROR_CLASS": "not_found"},
			check: func(t *testing.T, emu *tcremu.Emulator, r binRun) {
				for _, want := range []string{"nope.tencentcloudcr.com", "set registry_id and region"} {
					if !strings.Contains(r.stderr, want) {
						t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
					}
				}
				if r.outputs["REQUEST_ID"] == "" {
					t.Errorf("no RequestId for the lookup that found nothing: %v", r.outputs)
				}
			},
		},
		{
			name:     "two other instances in one run",
			settings: []string{"PLUGIN_SOURCE_IMAGE=acme.tencentcloudcr.com/develop/app:stg", "PLUGIN_DESTINATION_IMAGE=other.tencentcloudcr.com/release/app:prd,third.tencentcloudcr.com/release/app:prd"},
			code:     64,
			check:    noRequests("one run copies into one other instance"),
		},
		{
			name:     "into the Personal edition across instances",
			settings: []string{"PLUGIN_SOURCE_IMAGE=acme.tencentcloudcr.com/develop/app:stg", "PLUGIN_DESTINATION_IMAGE=ccr.ccs.tencentyun.com/release/app:prd"},
			code:     64,
			check:    noRequests("is the Personal edition"),
		},
		{
			name:     "mixed with the separate settings",
			settings: []string{"PLUGIN_SOURCE_IMAGE=acme.tencentcloudcr.com/develop/app:stg", "PLUGIN_SOURCE_REPO=app", "PLUGIN_DESTINATION_IMAGE=release/app:prd", "PLUGIN_DESTINATION_TAG=prd"},
			code:     64,
			check:    noRequests("PLUGIN_SOURCE_IMAGE and PLUGIN_SOURCE_REPO name the same thing"),
		},
		{
			name:     "a custom domain needs registry_id and region",
			settings: []string{"PLUGIN_SOURCE_IMAGE=cr.example.com/develop/app:stg", "PLUGIN_DESTINATION_IMAGE=release/app:prd"},
			code:     64,
			check:    noRequests("for an instance reached through a custom domain, set registry_id and region"),
		},
		{
			name:     "the Personal edition",
			settings: []string{"PLUGIN_SOURCE_IMAGE=hkccr.ccs.tencentyun.com/acme/app:stg", "PLUGIN_DESTINATION_IMAGE=acme/app:prd", "TENCENTCLOUD_REGION=ap-guangzhou"},
			code:     0,
			outputs:  map[string]string{"DIGEST": refDigest, "IMAGE": "hkccr.ccs.tencentyun.com/acme/app:prd@" + refDigest, "PROMOTED": "true"},
			check: func(t *testing.T, emu *tcremu.Emulator, r binRun) {
				if img, ok := emu.LookupPersonal("ap-hongkong", "acme", "app", "prd"); !ok || img.Digest != refDigest {
					t.Errorf("acme/app:prd = %v %t", img, ok)
				}
				for _, e := range emu.Requests() {
					if e.Region != "ap-hongkong" || !strings.HasSuffix(e.Action, "Personal") {
						t.Errorf("%s for %q: want only Personal actions for ap-hongkong", e.Action, e.Region)
					}
				}
				if want := emu.Count("DuplicateImagePersonal", ""); want != 1 || r.outputs["REQUEST_ID"] == "" {
					t.Errorf("%d copies, REQUEST_ID %q", want, r.outputs["REQUEST_ID"])
				}
			},
		},
		{
			name:     "a missing Personal tag",
			settings: []string{"PLUGIN_SOURCE_IMAGE=hkccr.ccs.tencentyun.com/acme/app:gone", "PLUGIN_DESTINATION_IMAGE=acme/app:prd"},
			code:     66,
			outputs:  map[string]string{"ERROR_CODE": "ClientError.SourceNotFound", "ERROR_CLASS": "not_found", "PROMOTED": "false"},
			check: func(t *testing.T, emu *tcremu.Emulator, r binRun) {
				if n := emu.Count("DuplicateImagePersonal", ""); n != 0 {
					t.Errorf("%d copies of a missing tag", n)
				}
			},
		},
		{
			name:     "the Personal edition cannot check expected_digest",
			settings: []string{"PLUGIN_SOURCE_IMAGE=hkccr.ccs.tencentyun.com/acme/app:stg", "PLUGIN_DESTINATION_IMAGE=acme/app:prd", "PLUGIN_EXPECTED_DIGEST=" + refDigest},
			code:     64,
			check:    noRequests("expected_digest cannot be checked on the Personal edition"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			emu, url := world(t)
			r := runBinary(t, url, tt.settings...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.stdout, r.stderr)
			}
			for k, v := range tt.outputs {
				if r.outputs[k] != v {
					t.Errorf("%s = %q, want %q (outputs %v)", k, r.outputs[k], v, r.outputs)
				}
			}
			if tt.check != nil {
				tt.check(t, emu, r)
			}
		})
	}
}

// noRequests checks a usage error: the message, and nothing sent.
func noRequests(message string) func(t *testing.T, emu *tcremu.Emulator, r binRun) {
	return func(t *testing.T, emu *tcremu.Emulator, r binRun) {
		t.Helper()
		if !strings.Contains(r.stderr, message) {
			t.Errorf("stderr lacks %q:\n%s", message, r.stderr)
		}
		if n := len(emu.Requests()); n != 0 {
			t.Errorf("%d requests sent after a usage error", n)
		}
	}
}
