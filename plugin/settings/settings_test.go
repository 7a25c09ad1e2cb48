package settings_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/sethvargo/go-envconfig"
	"github.com/tcr-promote/tcr-promote/internal/testenv"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"github.com/tcr-promote/tcr-promote/plugin/spelling"
)

func baseVars() map[string]string {
	return map[string]string{
		"PLUGIN_REGISTRY_ID":      "tcr-1",
		"PLUGIN_REGION":           "ap-guangzhou",
		"PLUGIN_SOURCE_NAMESPACE": "develop",
		"PLUGIN_SOURCE_REPO":      "app",
		"PLUGIN_SOURCE_REFERENCE": "stg",
		"PLUGIN_DESTINATION_TAG":  "prd",
		"PLUGIN_SECRET_ID":        "id",
		"PLUGIN_SECRET_KEY":       "key",
	}
}

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	base := settings.Config{
		ReplicaTimeout: 10 * time.Minute,
		RegistryID:     "tcr-1", Region: "ap-guangzhou",
		Pairs:    []settings.Pair{pair("develop/app:stg", "develop/app:prd")},
		SecretID: "id", SecretKey: "key",
		Scheme: "https", Host: "tcr.tencentcloudapi.com",
		Timeout: 2 * time.Minute, AttemptTimeout: 30 * time.Second, IndexLag: 10 * time.Second, Retries: 5,
		Verify: true, RateLimit: 20, Supply: settings.Supply{Carry: true},
	}
	tests := []struct {
		name   string
		vars   map[string]string
		change func(c *settings.Config)
	}{
		{name: "defaults", vars: baseVars(), change: func(*settings.Config) {}},
		{name: "two spellings that agree", vars: testenv.With(baseVars(), map[string]string{"INPUT_DESTINATION_TAG": "prd", "INPUT_DESTINATION-TAG": "prd"}), change: func(*settings.Config) {}},
		// GitHub's runner: `with: dry-run: "true"` beside the declared
		// default it exports as INPUT_DRY_RUN=false.
		{name: "a hyphen form beats a defaulted underscore form", vars: testenv.With(baseVars(), map[string]string{"INPUT_DRY_RUN": "false", "INPUT_DRY-RUN": "true", "INPUT_REQUIRE_SIGNATURE": "none", "INPUT_REQUIRE-SIGNATURE": "cosign"}),
			change: func(c *settings.Config) { c.DryRun, c.Supply.RequireSignature = true, "cosign" }},
		{name: "a value equal to the default is not given", vars: testenv.With(baseVars(), map[string]string{"PLUGIN_DESTINATION_TAG": "", "INPUT_DESTINATION_TAG": "prd", "INPUT_OVERRIDE": "FALSE", "INPUT_ENDPOINT": "tcr.tencentcloudapi.com", "PLUGIN_TIMEOUT": "2m"}),
			change: func(*settings.Config) {}},
		{name: "the composite's inputs as JSON", vars: testenv.With(baseVars(), map[string]string{"PLUGIN_DESTINATION_TAG": "", "TCR_PROMOTE_INPUTS": `{"destination-tag": "v2", "dry_run": "false", "override": "false", "verify": true}`}),
			change: func(c *settings.Config) { c.Pairs[0].Destination.Tag = "v2" }},
		{name: "hyphen form alone", vars: testenv.With(baseVars(), map[string]string{"PLUGIN_DESTINATION_TAG": "", "INPUT_DESTINATION-TAG": "v2"}),
			change: func(c *settings.Config) { c.Pairs[0].Destination.Tag = "v2" }},
		{name: "empty counts as unset", vars: testenv.With(baseVars(), map[string]string{"INPUT_OVERRIDE": "\x00", "INPUT_TIMEOUT": "\x00"}), change: func(*settings.Config) {}},
		{name: "destination defaults and overrides", vars: testenv.With(baseVars(), map[string]string{"PLUGIN_DESTINATION_NAMESPACE": "release", "PLUGIN_DESTINATION_REPO": "app2", "PLUGIN_OVERRIDE": "true"}),
			change: func(c *settings.Config) {
				c.Pairs[0].Destination = imageref.Ref{Namespace: "release", Repo: "app2", Tag: "prd"}
				c.Override, c.Pairs[0].Override = true, true
			}},
		{name: "region and keys from TENCENTCLOUD_", vars: testenv.With(baseVars(), map[string]string{
			"PLUGIN_REGION": "", "PLUGIN_SECRET_ID": "", "PLUGIN_SECRET_KEY": "",
			"TENCENTCLOUD_REGION": "ap-shanghai", "TENCENTCLOUD_SECRET_ID": "eid", "TENCENTCLOUD_SECRET_KEY": "ekey", "TENCENTCLOUD_SECURITY_TOKEN": "tok",
		}), change: func(c *settings.Config) {
			c.Region, c.RegionFromEnv, c.SecretID, c.SecretKey, c.SessionToken = "ap-shanghai", true, "eid", "ekey", "tok"
		}},
		{name: "session token setting wins", vars: testenv.With(baseVars(), map[string]string{"PLUGIN_SESSION_TOKEN": "t1", "TENCENTCLOUD_SESSION_TOKEN": "t2", "TENCENTCLOUD_SECURITY_TOKEN": "t3"}),
			change: func(c *settings.Config) { c.SessionToken = "t1" }},
		{name: "emulator endpoint", vars: testenv.With(baseVars(), map[string]string{"PLUGIN_ENDPOINT": "http://127.0.0.1:9000"}),
			change: func(c *settings.Config) { c.Scheme, c.Host = "http", "127.0.0.1:9000" }},
		{name: "regional endpoint", vars: testenv.With(baseVars(), map[string]string{"PLUGIN_ENDPOINT": "tcr.ap-shanghai-fsi.tencentcloudapi.com"}),
			change: func(c *settings.Config) { c.Host = "tcr.ap-shanghai-fsi.tencentcloudapi.com" }},
		{name: "digest source, pin, dry run, domain", vars: testenv.With(baseVars(), map[string]string{
			"PLUGIN_SOURCE_REFERENCE": "sha256:" + strings.Repeat("a", 64), "INPUT_EXPECTED_DIGEST": "sha256:" + strings.Repeat("a", 64),
			"PLUGIN_DRY_RUN": "true", "PLUGIN_REGISTRY_DOMAIN": "acme.tencentcloudcr.com",
		}), change: func(c *settings.Config) {
			c.Pairs[0].Source.Tag, c.Pairs[0].Source.Digest, c.ExpectedDigest = "", "sha256:"+strings.Repeat("a", 64), "sha256:"+strings.Repeat("a", 64)
			c.DryRun, c.RegistryDomain = true, "acme.tencentcloudcr.com"
		}},
		{name: "tags as a comma list (Drone, Woodpecker)", vars: testenv.With(baseVars(), map[string]string{"PLUGIN_DESTINATION_TAG": "prd,v1.4.2, latest"}),
			change: func(c *settings.Config) {
				c.Pairs = []settings.Pair{pair("develop/app:stg", "develop/app:prd"), pair("develop/app:stg", "develop/app:v1.4.2"), pair("develop/app:stg", "develop/app:latest")}
			}},
		{name: "repos and tags as newline lists (GitHub)", vars: testenv.With(baseVars(), map[string]string{"PLUGIN_SOURCE_REPO": "", "PLUGIN_DESTINATION_TAG": "", "INPUT_SOURCE_REPO": "app\napi\n", "INPUT_DESTINATION_TAG": "prd\r\nlatest", "PLUGIN_DESTINATION_NAMESPACE": "release"}),
			change: func(c *settings.Config) {
				c.Pairs = []settings.Pair{pair("develop/app:stg", "release/app:prd"), pair("develop/app:stg", "release/app:latest"), pair("develop/api:stg", "release/api:prd"), pair("develop/api:stg", "release/api:latest")}
			}},
		{name: "repos as a JSON array", vars: testenv.With(baseVars(), map[string]string{"PLUGIN_SOURCE_REPO": `["app", "api"]`}),
			change: func(c *settings.Config) {
				c.Pairs = []settings.Pair{pair("develop/app:stg", "develop/app:prd"), pair("develop/api:stg", "develop/api:prd")}
			}},
		{name: "keyless on GitHub: session name from the run, keys dropped", vars: testenv.With(baseVars(), map[string]string{
			"INPUT_ROLE_ARN": "qcs::cam::uin/100000000001:roleName/ci", "INPUT_PROVIDER_ID": "github", "INPUT_ROLE_DURATION": "30m",
			"GITHUB_REPOSITORY": "acme/app_x", "GITHUB_RUN_ID": "4242",
		}), change: func(c *settings.Config) {
			c.SecretID, c.SecretKey = "", ""
			c.Role = &settings.RoleConfig{
				Arn: "qcs::cam::uin/100000000001:roleName/ci", ProviderID: "github", SessionName: "tcr-promote@acme-app-x-4242",
				Duration: 30 * time.Minute, Audience: "sts.tencentcloudapi.com", STSScheme: "https", STSHost: "sts.tencentcloudapi.com",
			}
		}},
		{name: "keyless on GitLab: session name from the pipeline", vars: testenv.With(baseVars(), map[string]string{
			"PLUGIN_SECRET_ID": "", "PLUGIN_SECRET_KEY": "", "PLUGIN_ROLE_ARN": "qcs::cam::uin/1:roleName/ci", "PLUGIN_PROVIDER_ID": "gitlab",
			"PLUGIN_WEB_IDENTITY_TOKEN": "jwt", "CI_PROJECT_PATH": "group/sub/app", "CI_PIPELINE_ID": "9",
		}), change: func(c *settings.Config) {
			c.SecretID, c.SecretKey = "", ""
			c.Role = &settings.RoleConfig{
				Arn: "qcs::cam::uin/1:roleName/ci", ProviderID: "gitlab", SessionName: "tcr-promote@group-sub-app-9",
				Duration: time.Hour, Audience: "sts.tencentcloudapi.com", Token: "jwt", STSScheme: "https", STSHost: "sts.tencentcloudapi.com",
			}
		}},
		{name: "durations, seconds, retries, debug", vars: testenv.With(baseVars(), map[string]string{"PLUGIN_TIMEOUT": "90", "PLUGIN_ATTEMPT_TIMEOUT": "5s", "PLUGIN_RETRIES": "0", "RUNNER_DEBUG": "1"}),
			change: func(c *settings.Config) {
				c.Timeout, c.AttemptTimeout, c.Retries, c.Debug, c.CI.RunnerDebug = 90*time.Second, 5*time.Second, 0, true, true
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for k, v := range tt.vars {
				if v == "\x00" {
					tt.vars[k] = "" // present but empty, as GitHub exports it
				}
			}
			got, err := settings.Load(spelling.Environment(tt.vars))
			if err != nil {
				t.Fatal(err)
			}
			want := base
			want.Pairs = slices.Clone(base.Pairs) // subtests run in parallel
			tt.change(&want)
			if diff := cmp.Diff(want, *got, cmpopts.IgnoreUnexported(settings.Config{})); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

// refVars are settings naming the images as references.
func refVars() map[string]string {
	return map[string]string{
		"PLUGIN_SOURCE_IMAGE": "acme.tencentcloudcr.com/develop/app:stg", "PLUGIN_DESTINATION_IMAGE": "release/app:prd",
		"PLUGIN_SECRET_ID": "id", "PLUGIN_SECRET_KEY": "key",
	}
}

// TestLoadImageReferences: what references become.
func TestLoadImageReferences(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		vars          map[string]string
		pairs         []settings.Pair
		registryID    string
		region        string
		instanceNames []string
		personal      bool
	}{
		{"Enterprise, looked up by name", refVars(), []settings.Pair{pair("develop/app:stg", "release/app:prd")}, "", "", []string{"acme"}, false},
		{"the private-network domain", testenv.With(refVars(), map[string]string{"PLUGIN_SOURCE_IMAGE": "acme-vpc.tencentcloudcr.com/develop/app:stg"}),
			[]settings.Pair{pair("develop/app:stg", "release/app:prd")}, "", "", []string{"acme-vpc", "acme"}, false},
		{"registry_id and region given", testenv.With(refVars(), map[string]string{"PLUGIN_REGISTRY_ID": "tcr-1", "TENCENTCLOUD_REGION": "ap-shanghai"}),
			[]settings.Pair{pair("develop/app:stg", "release/app:prd")}, "tcr-1", "ap-shanghai", nil, false},
		{"a list of destinations, with and without the host", testenv.With(refVars(), map[string]string{"PLUGIN_DESTINATION_IMAGE": `["acme.tencentcloudcr.com/release/app:prd", "release/team/app:v1"]`}),
			[]settings.Pair{pair("develop/app:stg", "release/app:prd"), pair("develop/app:stg", "release/team/app:v1")}, "", "", []string{"acme"}, false},
		{"destination_tag with source_image", testenv.With(refVars(), map[string]string{"PLUGIN_DESTINATION_IMAGE": "", "PLUGIN_DESTINATION_NAMESPACE": "release", "PLUGIN_DESTINATION_TAG": "prd,v1"}),
			[]settings.Pair{pair("develop/app:stg", "release/app:prd"), pair("develop/app:stg", "release/app:v1")}, "", "", []string{"acme"}, false},
		{"Personal: the region from the host, not TENCENTCLOUD_REGION", testenv.With(refVars(), map[string]string{"PLUGIN_SOURCE_IMAGE": "hkccr.ccs.tencentyun.com/develop/app:stg", "TENCENTCLOUD_REGION": "ap-guangzhou"}),
			[]settings.Pair{pair("develop/app:stg", "release/app:prd")}, "", "ap-hongkong", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := settings.Load(envconfig.MapLookuper(tt.vars))
			if err != nil {
				t.Fatal(err)
			}
			got := []any{c.Pairs, c.RegistryID, c.Region, c.InstanceNames, c.Personal}
			want := []any{tt.pairs, tt.registryID, tt.region, tt.instanceNames, tt.personal}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		vars map[string]string
		want []string // each must appear in the message
	}{
		{"missing registry", testenv.With(baseVars(), map[string]string{"PLUGIN_REGISTRY_ID": ""}), []string{"registry_id is required", "PLUGIN_REGISTRY_ID", "INPUT_REGISTRY_ID"}},
		{"everything missing", map[string]string{}, []string{"registry_id", "region", "source_namespace", "source_repo", "source_reference", "destination_tag"}},
		{"bad bool names the GitHub input", testenv.With(baseVars(), map[string]string{"INPUT_OVERRIDE": "yes"}), []string{`INPUT_OVERRIDE: "yes" is not true or false`}},
		{"bad bool names the hyphen form", testenv.With(baseVars(), map[string]string{"INPUT_OVERRIDE": "", "INPUT_DEBUG": "", "INPUT_DEBUG-X": "", "PLUGIN_DEBUG": "maybe"}), []string{`PLUGIN_DEBUG: "maybe"`}},
		{"bad tag", testenv.With(baseVars(), map[string]string{"PLUGIN_DESTINATION_TAG": "-prd"}), []string{`PLUGIN_DESTINATION_TAG: "-prd" is not a tag`}},
		{"tag too long", testenv.With(baseVars(), map[string]string{"PLUGIN_SOURCE_REFERENCE": strings.Repeat("a", 129)}), []string{"PLUGIN_SOURCE_REFERENCE"}},
		{"bad duration", testenv.With(baseVars(), map[string]string{"PLUGIN_TIMEOUT": "soon"}), []string{`PLUGIN_TIMEOUT: "soon" is not a positive duration`}},
		{"negative duration", testenv.With(baseVars(), map[string]string{"INPUT_ATTEMPT_TIMEOUT": "-1s"}), []string{"INPUT_ATTEMPT_TIMEOUT"}},
		{"seconds past a Duration", testenv.With(baseVars(), map[string]string{"PLUGIN_TIMEOUT": "8000000000000"}), []string{`PLUGIN_TIMEOUT: "8000000000000" is not a positive duration`}},
		{"bad retries", testenv.With(baseVars(), map[string]string{"PLUGIN_RETRIES": "many"}), []string{"PLUGIN_RETRIES"}},
		{"role without a provider", testenv.With(baseVars(), map[string]string{"PLUGIN_ROLE_ARN": "qcs::cam::uin/100:roleName/ci"}), []string{"provider_id is required"}},
		{"bad role ARN", testenv.With(baseVars(), map[string]string{"INPUT_ROLE_ARN": "arn:aws:iam::1:role/x", "INPUT_PROVIDER_ID": "gh"}), []string{"INPUT_ROLE_ARN"}},
		{"role duration over 12h", testenv.With(baseVars(), map[string]string{"PLUGIN_ROLE_ARN": "qcs::cam::uin/100:roleName/ci", "PLUGIN_PROVIDER_ID": "gh", "PLUGIN_ROLE_DURATION": "13h"}), []string{"PLUGIN_ROLE_DURATION"}},
		{"token and token file", testenv.With(baseVars(), map[string]string{"PLUGIN_ROLE_ARN": "qcs::cam::uin/100:roleName/ci", "PLUGIN_PROVIDER_ID": "gh", "PLUGIN_WEB_IDENTITY_TOKEN": "t", "PLUGIN_WEB_IDENTITY_TOKEN_FILE": "/f"}), []string{"not both"}},
		{"bad session name", testenv.With(baseVars(), map[string]string{"PLUGIN_ROLE_ARN": "qcs::cam::uin/100:roleName/ci", "PLUGIN_PROVIDER_ID": "gh", "PLUGIN_ROLE_SESSION_NAME": "a b"}), []string{"PLUGIN_ROLE_SESSION_NAME"}},
		{"key without id", testenv.With(baseVars(), map[string]string{"PLUGIN_SECRET_ID": ""}), []string{"secret_id is required with secret_key"}},
		{"bad endpoint scheme", testenv.With(baseVars(), map[string]string{"PLUGIN_ENDPOINT": "ftp://x"}), []string{"PLUGIN_ENDPOINT"}},
		{"endpoint with a path", testenv.With(baseVars(), map[string]string{"PLUGIN_ENDPOINT": "https://x/api"}), []string{"PLUGIN_ENDPOINT"}},
		{"upper-case namespace", testenv.With(baseVars(), map[string]string{"PLUGIN_SOURCE_NAMESPACE": "Develop"}), []string{"PLUGIN_SOURCE_NAMESPACE"}},
		{"bad expected digest", testenv.With(baseVars(), map[string]string{"PLUGIN_EXPECTED_DIGEST": "sha256:ABC"}), []string{`PLUGIN_EXPECTED_DIGEST: "sha256:ABC" is not a digest`}},
		{"digest source without verify", testenv.With(baseVars(), map[string]string{"PLUGIN_SOURCE_REFERENCE": "sha256:" + strings.Repeat("a", 64), "PLUGIN_VERIFY": "false"}), []string{"PLUGIN_SOURCE_REFERENCE is a digest, which needs verify: true"}},
		{"pin without verify", testenv.With(baseVars(), map[string]string{"PLUGIN_EXPECTED_DIGEST": "sha256:" + strings.Repeat("a", 64), "INPUT_VERIFY": "false"}), []string{"expected_digest needs verify: true"}},
		{"bad registry domain", testenv.With(baseVars(), map[string]string{"PLUGIN_REGISTRY_DOMAIN": "https://acme"}), []string{"PLUGIN_REGISTRY_DOMAIN"}},
		{"registry endpoint with a path", testenv.With(baseVars(), map[string]string{"PLUGIN_REGISTRY_ENDPOINT": "https://acme.tencentcloudcr.com/v2"}), []string{"PLUGIN_REGISTRY_ENDPOINT"}},
		{"registry endpoint not http(s)", testenv.With(baseVars(), map[string]string{"INPUT_REGISTRY_ENDPOINT": "oci://acme"}), []string{"INPUT_REGISTRY_ENDPOINT"}},
		{"destination_repo with several sources", testenv.With(baseVars(), map[string]string{"PLUGIN_SOURCE_REPO": "app,api", "PLUGIN_DESTINATION_REPO": "all"}), []string{"PLUGIN_DESTINATION_REPO is set, but PLUGIN_SOURCE_REPO lists 2 repositories"}},
		{"bad JSON list", testenv.With(baseVars(), map[string]string{"PLUGIN_DESTINATION_TAG": `["prd", 1]`}), []string{"PLUGIN_DESTINATION_TAG: not a JSON array of strings"}},
		{"empty list", testenv.With(baseVars(), map[string]string{"PLUGIN_DESTINATION_TAG": " , ,"}), []string{"lists nothing"}},
		{"bad tag in a list", testenv.With(baseVars(), map[string]string{"PLUGIN_DESTINATION_TAG": "prd,-x"}), []string{`PLUGIN_DESTINATION_TAG: "-x" is not a tag`}},
		{"bad rate limit", testenv.With(baseVars(), map[string]string{"PLUGIN_RATE_LIMIT": "0"}), []string{`PLUGIN_RATE_LIMIT: "0" is not a whole number from 1 to 1000`}},
		{"promotion onto itself", testenv.With(baseVars(), map[string]string{"PLUGIN_DESTINATION_TAG": "stg"}), []string{"is the source itself"}},
		{"source_image with source_reference", testenv.With(refVars(), map[string]string{"INPUT_SOURCE_REFERENCE": "stg"}), []string{"PLUGIN_SOURCE_IMAGE and INPUT_SOURCE_REFERENCE name the same thing"}},
		{"destination_image with destination_namespace", testenv.With(refVars(), map[string]string{"PLUGIN_DESTINATION_NAMESPACE": "qa"}), []string{"PLUGIN_DESTINATION_IMAGE and PLUGIN_DESTINATION_NAMESPACE name the same thing"}},
		{"destination_image without source_image", testenv.With(baseVars(), map[string]string{"PLUGIN_DESTINATION_TAG": "", "PLUGIN_DESTINATION_IMAGE": "release/app:prd"}), []string{"PLUGIN_DESTINATION_IMAGE needs source_image"}},
		{"source_image without a host", testenv.With(refVars(), map[string]string{"PLUGIN_SOURCE_IMAGE": "develop/app:stg"}), []string{"names no registry host"}},
		{"source_image without a tag", testenv.With(refVars(), map[string]string{"PLUGIN_SOURCE_IMAGE": "acme.tencentcloudcr.com/develop/app"}), []string{"names no tag (:tag) or digest"}},
		{"source_image without a namespace", testenv.With(refVars(), map[string]string{"PLUGIN_SOURCE_IMAGE": "acme.tencentcloudcr.com/app:stg"}), []string{"needs a namespace and a repository"}},
		{"a digest destination", testenv.With(refVars(), map[string]string{"PLUGIN_DESTINATION_IMAGE": "release/app@sha256:" + strings.Repeat("a", 64)}), []string{"a destination is a tag, not a digest"}},
		{"the same destination spelt twice", testenv.With(refVars(), map[string]string{"PLUGIN_DESTINATION_IMAGE": "release/app:prd,acme.tencentcloudcr.com/release/app:prd"}),
			[]string{`"release/app:prd" and "acme.tencentcloudcr.com/release/app:prd" are the same destination`}},
		{"two other instances", testenv.With(refVars(), map[string]string{"PLUGIN_DESTINATION_IMAGE": "release/app:prd,b.tencentcloudcr.com/release/app:prd,c.tencentcloudcr.com/release/app:prd"}), []string{": two other registries (b.tencentcloudcr.com, c.tencentcloudcr.com)", "one run copies into one other instance"}},
		{"destination settings without another instance", testenv.With(refVars(), map[string]string{"PLUGIN_DESTINATION_REGISTRY_ID": "tcr-2"}), []string{"PLUGIN_DESTINATION_REGISTRY_ID is set, but no destination is on another instance"}},
		{"destination keys and a role", testenv.With(refVars(), map[string]string{"PLUGIN_DESTINATION_IMAGE": "b.tencentcloudcr.com/release/app:prd", "PLUGIN_DESTINATION_SECRET_ID": "AKIDx", "PLUGIN_DESTINATION_SECRET_KEY": "k", "PLUGIN_DESTINATION_ROLE_ARN": "qcs::cam::uin/200000000002:roleName/x"}), []string{"not both"}},
		{"a destination custom domain needs its id", testenv.With(refVars(), map[string]string{"PLUGIN_DESTINATION_IMAGE": "cr.example.com/release/app:prd"}), []string{"set destination_registry_id and destination_region"}},
		{"a custom domain without registry_id", testenv.With(refVars(), map[string]string{"PLUGIN_SOURCE_IMAGE": "cr.example.com/develop/app:stg"}), []string{"cr.example.com is not a TCR Enterprise domain", "set registry_id and region"}},
		{"an unknown gate", testenv.With(baseVars(), map[string]string{"PLUGIN_REQUIRE_SIGNATURE": "gpg"}), []string{`PLUGIN_REQUIRE_SIGNATURE: "gpg" is not one of none, kms, cosign, notation, any`}},
		{"a label without a value", testenv.With(baseVars(), map[string]string{"PLUGIN_REQUIRE_LABELS": "team=web,revision"}), []string{`PLUGIN_REQUIRE_LABELS: "revision" is not key=value`}},
		{"an unknown signer", testenv.With(baseVars(), map[string]string{"INPUT_SIGN": "cosign"}), []string{`INPUT_SIGN: "cosign" is not one of none, kms`}},
		{"gates without verify", testenv.With(baseVars(), map[string]string{"PLUGIN_REQUIRE_SIGNATURE": "kms", "PLUGIN_SIGN": "kms", "PLUGIN_VERIFY": "false"}),
			[]string{"PLUGIN_REQUIRE_SIGNATURE and PLUGIN_SIGN need verify: true"}},
		{"an unknown mode", testenv.With(baseVars(), map[string]string{"PLUGIN_MODE": "deploy"}), []string{`PLUGIN_MODE: "deploy" is not one of apply, plan, check`}},
		{"replicas without verify", testenv.With(baseVars(), map[string]string{"PLUGIN_WAIT_REPLICAS": "true", "PLUGIN_VERIFY": "false", "PLUGIN_REPLICA_TIMEOUT": "soon"}),
			[]string{"PLUGIN_WAIT_REPLICAS needs verify: true", `PLUGIN_REPLICA_TIMEOUT: "soon" is not a positive duration`}},
		{"a promotion file that is not there", testenv.With(baseVars(), map[string]string{"PLUGIN_PROMOTION_FILE": "nowhere.yaml", "PLUGIN_SOURCE_NAMESPACE": "", "PLUGIN_SOURCE_REPO": "", "PLUGIN_SOURCE_REFERENCE": "", "PLUGIN_DESTINATION_TAG": ""}),
			[]string{"PLUGIN_PROMOTION_FILE: nowhere.yaml: no such file or directory"}},
		{"gates on the Personal edition", testenv.With(refVars(), map[string]string{"PLUGIN_SOURCE_IMAGE": "ccr.ccs.tencentyun.com/develop/app:stg", "PLUGIN_REQUIRE_LABELS": "a=b"}),
			[]string{"PLUGIN_REQUIRE_LABELS cannot be checked on the Personal edition"}},
		{"a record in a missing directory", testenv.With(baseVars(), map[string]string{"PLUGIN_RECORD_FILE": "/nonexistent-dir/record.json"}), []string{"PLUGIN_RECORD_FILE"}},
		{"a record inside a Docker action's container", testenv.With(baseVars(), map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": "/github/workspace", "PLUGIN_RECORD_FILE": "/home/runner/work/_temp/promotion.json"}),
			[]string{`PLUGIN_RECORD_FILE: "/home/runner/work/_temp/promotion.json" is inside the action's container`}},
		{"a repository named twice", testenv.With(baseVars(), map[string]string{"PLUGIN_SOURCE_REPO": `["app", "api", "app"]`}), []string{`PLUGIN_SOURCE_REPO: "app" is named twice`}},
		{"a destination named twice", testenv.With(refVars(), map[string]string{"PLUGIN_DESTINATION_IMAGE": "release/app:prd,release/app:prd"}), []string{`"release/app:prd" and "release/app:prd" are the same destination`}},
		{"a tag named twice", testenv.With(baseVars(), map[string]string{"PLUGIN_DESTINATION_TAG": "prd,v1,prd"}), []string{`PLUGIN_DESTINATION_TAG: "prd" is named twice`}},
		{"two spellings that disagree", testenv.With(baseVars(), map[string]string{"INPUT_DESTINATION_TAG": "v1", "INPUT_DESTINATION-TAG": "v2"}),
			[]string{`PLUGIN_DESTINATION_TAG="prd" and INPUT_DESTINATION_TAG="v1" are two spellings of destination_tag that disagree`, `and INPUT_DESTINATION-TAG="v2"`}},
		{"a secret in two spellings is not shown", testenv.With(baseVars(), map[string]string{"INPUT_SECRET-KEY": "other-secret"}),
			[]string{"PLUGIN_SECRET_KEY and INPUT_SECRET-KEY are two spellings of secret_key with different values (not shown: secret)"}},
		{"a setting without its separator", testenv.With(baseVars(), map[string]string{"PLUGIN_DRYRUN": "true"}), []string{"PLUGIN_DRYRUN is not a setting: did you mean dry_run?"}},
		{"a misspelt setting", testenv.With(baseVars(), map[string]string{"INPUT_OVERIDE": "true"}), []string{"INPUT_OVERIDE is not a setting: did you mean override?"}},
		{"a composite input misspelt", testenv.With(baseVars(), map[string]string{"TCR_PROMOTE_INPUTS": `{"require-signatur": "cosign"}`}), []string{"INPUT_REQUIRE-SIGNATUR is not a setting: did you mean require_signature?"}},
		{"the composite's inputs unreadable", testenv.With(baseVars(), map[string]string{"TCR_PROMOTE_INPUTS": `{"dry_run": `}), []string{"TCR_PROMOTE_INPUTS is not the JSON object of the composite action's inputs"}},
		{"no source at all names both ways", map[string]string{"PLUGIN_DESTINATION_TAG": "prd"}, []string{"source_repo is required (set --source-repo, PLUGIN_SOURCE_REPO or INPUT_SOURCE_REPO), or give source_image"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := settings.Load(spelling.Environment(tt.vars))
			var e *failure.Error
			if !errors.As(err, &e) || e.Class != failure.ClassUsage {
				t.Fatalf("error = %v, want a usage error", err)
			}
			if got := failure.ExitCode(err); got != 64 {
				t.Errorf("exit code = %d, want 64", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// pair parses "ns/repo:tag" twice into a promotion.
func pair(src, dst string) settings.Pair {
	ref := func(s string) imageref.Ref {
		ns, rest, _ := strings.Cut(s, "/")
		repo, tag, _ := strings.Cut(rest, ":")
		return imageref.Ref{Namespace: ns, Repo: repo, Tag: tag}
	}
	return settings.Pair{Source: ref(src), Destination: ref(dst)}
}

// TestSupplySettings: the gates, what is carried and what is signed.
func TestSupplySettings(t *testing.T) {
	t.Parallel()
	c, err := settings.Load(envconfig.MapLookuper(testenv.With(baseVars(), map[string]string{
		"PLUGIN_REQUIRE_SIGNATURE": "any", "PLUGIN_REQUIRE_LABELS": "org.opencontainers.image.revision=abc,team=a=b", "PLUGIN_SIGN": "kms", "PLUGIN_CARRY_SIGNATURES": "false",
	})))
	if err != nil {
		t.Fatal(err)
	}
	want := settings.Supply{RequireSignature: "any", Sign: true, RequireLabels: []settings.Label{{Key: "org.opencontainers.image.revision", Value: "abc"}, {Key: "team", Value: "a=b"}}}
	if diff := cmp.Diff(want, c.Supply); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestTrimmedValues: values are trimmed as GitHub's toolkit trims inputs,
// so a stray blank or a YAML block's newline reads as meant.
func TestTrimmedValues(t *testing.T) {
	t.Parallel()
	c, err := settings.Load(envconfig.MapLookuper(testenv.With(refVars(), map[string]string{
		"INPUT_OVERRIDE":      " true",
		"PLUGIN_SOURCE_IMAGE": "acme.tencentcloudcr.com/develop/app:stg\n",
		"INPUT_TIMEOUT":       "90s\n",
		"PLUGIN_SECRET_KEY":   "key\n",
		"INPUT_DEBUG":         "  \n", // blank: unset, the default stands
	})))
	if err != nil {
		t.Fatal(err)
	}
	got := []any{c.Override, c.Pairs, c.Timeout, c.SecretKey, c.Debug}
	overridden := pair("develop/app:stg", "release/app:prd")
	overridden.Override = true
	want := []any{true, []settings.Pair{overridden}, 90 * time.Second, "key", false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestPinnedSource: docker's name:tag@digest names the tag to copy and
// the digest it must point at.
func TestPinnedSource(t *testing.T) {
	t.Parallel()
	d, other := "sha256:"+strings.Repeat("a", 64), "sha256:"+strings.Repeat("b", 64)
	pinned := testenv.With(refVars(), map[string]string{"PLUGIN_SOURCE_IMAGE": "acme.tencentcloudcr.com/develop/app:stg@" + d})
	c, err := settings.Load(envconfig.MapLookuper(pinned))
	if err != nil {
		t.Fatal(err)
	}
	want := imageref.Ref{Namespace: "develop", Repo: "app", Tag: "stg", Digest: d}
	if diff := cmp.Diff(want, c.Pairs[0].Source); diff != "" {
		t.Errorf("source (-want +got):\n%s", diff)
	}
	for name, tt := range map[string]struct {
		vars map[string]string
		want string
	}{
		"without verify":           {testenv.With(pinned, map[string]string{"PLUGIN_VERIFY": "false"}), "is a digest, which needs verify: true"},
		"a different pin":          {testenv.With(pinned, map[string]string{"PLUGIN_EXPECTED_DIGEST": other}), "they must agree"},
		"on the Personal edition":  {testenv.With(pinned, map[string]string{"PLUGIN_SOURCE_IMAGE": "ccr.ccs.tencentyun.com/develop/app:stg@" + d}), "the Personal edition can only copy and look up tags"},
		"a pinned destination too": {testenv.With(pinned, map[string]string{"PLUGIN_DESTINATION_IMAGE": "release/app:prd@" + d}), "a destination is a tag, not a digest"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := settings.Load(envconfig.MapLookuper(tt.vars)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// TestRegistryEndpoint: an http(s) URL without a path; plain http away
// from loopback is warned about, as the API endpoint is.
func TestRegistryEndpoint(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		given, want string
		warns       bool
	}{
		{"https://acme-vpc.tencentcloudcr.com", "https://acme-vpc.tencentcloudcr.com", false},
		{"acme.tencentcloudcr.com:8443", "https://acme.tencentcloudcr.com:8443", false},
		{"http://127.0.0.1:5000/", "http://127.0.0.1:5000", false},
		{"http://registry.internal", "http://registry.internal", true},
	} {
		c, err := settings.Load(spelling.Environment(testenv.With(baseVars(), map[string]string{"PLUGIN_REGISTRY_ENDPOINT": tt.given})))
		if err != nil {
			t.Fatalf("%s: %v", tt.given, err)
		}
		warned := slices.ContainsFunc(c.Warnings(), func(w string) bool { return strings.Contains(w, "instance token over plain http") })
		if c.RegistryEndpoint != tt.want || warned != tt.warns {
			t.Errorf("%s: %q (warned %v), want %q (warned %v)", tt.given, c.RegistryEndpoint, warned, tt.want, tt.warns)
		}
	}
}
