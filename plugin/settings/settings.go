// Package settings reads the step's settings — PLUGIN_<NAME> (Drone,
// Woodpecker, CNB), INPUT_<NAME> and INPUT_<NAME-WITH-HYPHENS> (GitHub) —
// with go-envconfig, and a promotion file if one is named (its errors at
// file:line:column), validates them all at once and returns a read-only
// Config: what to promote, where, how, and what the CI runner said about
// itself. Nothing has been sent when it returns; every problem found is
// named, as the variable the user wrote.
package settings

import (
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/tcr-promote/tcr-promote/plugin/settings/decode"
	"github.com/tcr-promote/tcr-promote/plugin/spelling"
)

// Settings are the step's settings as the CI passed them, decoded by
// go-envconfig through the lookuper of this package (an empty value counts
// as unset; values are trimmed as GitHub's toolkit trims inputs). The
// struct is the single source of the settings' names, defaults and
// descriptions: --help, the README table and the parity tests are derived
// from it.
type Settings struct {
	PromotionFile               string          `env:"PROMOTION_FILE" group:"what" desc:"a YAML file (relative to the workspace) listing the promotions — registry, then promotions: each a source (a digest, recommended, or a tag), its destinations and override — instead of the single-promotion settings; reviewed like code, applied on merge"`
	Mode                        string          `env:"MODE, default=apply" group:"safety" desc:"apply (copy), plan (read everything, change nothing, say for each destination create, move, already there or refused), or check (plan, then exit 3 if any destination does not hold what the settings or the file say)"`
	PlanFile                    string          `env:"PLAN_FILE" group:"safety" desc:"write the plan here as markdown, ready to post as a pull-request comment (any mode)"`
	SourceImage                 string          `env:"SOURCE_IMAGE" group:"what" desc:"the source as one reference, <host>/<namespace>/<repo>:<tag>, …@sha256:<digest> or …:<tag>@sha256:<digest> (the digest pins the tag), e.g. acme.tencentcloudcr.com/develop/app:stg; the instance and region are found from the host (Enterprise), or the Personal edition is used (ccr.ccs.tencentyun.com…)"`
	DestinationImage            decode.List     `env:"DESTINATION_IMAGE" group:"what" desc:"the destination as a reference, <host>/<namespace>/<repo>:<tag> or without the host (release/app:prd); a list creates each"`
	RegistryID                  string          `env:"REGISTRY_ID" or:"source_image" group:"where" desc:"TCR Enterprise instance ID, e.g. tcr-e8pg46c6; with source_image, found from the host unless given (needed for a custom domain)"`
	Region                      string          `env:"REGION, default=$TENCENTCLOUD_REGION" or:"source_image" group:"where" desc:"region of the instance, e.g. ap-guangzhou; with source_image, found from the host unless given"`
	SourceNamespace             string          `env:"SOURCE_NAMESPACE" or:"source_image" group:"what" desc:"namespace of the source image"`
	SourceRepo                  decode.List     `env:"SOURCE_REPO" or:"source_image" group:"what" desc:"repository of the source image (may be nested, team/app); a list (comma- or newline-separated, or a JSON array) promotes each"`
	SourceReference             string          `env:"SOURCE_REFERENCE" or:"source_image" group:"what" desc:"source tag (e.g. stg), or a digest (sha256:…) that a tag of the source repository points at"`
	DestinationTag              decode.List     `env:"DESTINATION_TAG" or:"destination_image" group:"what" desc:"tag to create, e.g. prd; a list (e.g. prd,v1.4.2,latest) creates each"`
	DestinationNamespace        string          `env:"DESTINATION_NAMESPACE" group:"what" desc:"namespace of the destination (default: source_namespace)"`
	DestinationRepo             string          `env:"DESTINATION_REPO" group:"what" desc:"repository of the destination (default: source_repo; only with one source_repo)"`
	Override                    decode.Bool     `env:"OVERRIDE, default=false" group:"safety" desc:"replace an existing destination tag (true/false)"`
	ExpectedDigest              string          `env:"EXPECTED_DIGEST" group:"safety" desc:"promote only if the source still points at this digest (sha256:…)"`
	Verify                      decode.Bool     `env:"VERIFY, default=true" group:"safety" desc:"resolve the source's digest first and read the destination back after (true/false)"`
	DryRun                      decode.Bool     `env:"DRY_RUN, default=false" group:"safety" desc:"check every precondition and report what would happen; change nothing"`
	CarrySignatures             decode.Bool     `env:"CARRY_SIGNATURES, default=true" group:"supply" desc:"copy what refers to the source digest into the destination repository with it: cosign's tags (sha256-<hex>.sig, .att, .sbom) and every OCI referrer — cosign v3 bundles, Notation signatures, SBOMs, attestations — through the registry (true/false)"`
	RequireSignature            string          `env:"REQUIRE_SIGNATURE, default=none" group:"supply" desc:"refuse, before any copy, a source without a signature: none, kms (TCR's KmsSignature), cosign (a sha256-<hex>.sig tag or a cosign v3 bundle referrer), notation (a Notation signature referrer) or any (one of them); exit 78"`
	RequireLabels               decode.List     `env:"REQUIRE_LABELS" group:"supply" desc:"key=value labels the source image must carry exactly, e.g. org.opencontainers.image.revision=<commit>; a list; refused before any copy, exit 78"`
	Sign                        string          `env:"SIGN, default=none" group:"supply" desc:"after the copy: none, or kms — have TCR sign the destination with the namespace's KMS signature policy when it is not signed yet"`
	RegistryDomain              string          `env:"REGISTRY_DOMAIN" group:"where" desc:"registry host for the image output, e.g. acme.tencentcloudcr.com (default: the instance's PublicDomain)"`
	RegistryEndpoint            string          `env:"REGISTRY_ENDPOINT" group:"where" desc:"the registry's URL for the OCI distribution API — referrers are read and carried through it with a temporary instance token (CreateInstanceToken) — e.g. https://acme-vpc.tencentcloudcr.com (default: https:// and registry_domain, else the instance's PublicDomain; http://… for a local emulator)"`
	DestinationRegistryID       string          `env:"DESTINATION_REGISTRY_ID" group:"where" desc:"with destination_image on another TCR instance: its instance ID, e.g. tcr-prd0e8a1 (found from the host unless given; needed for a custom domain, with destination_region)"`
	DestinationRegion           string          `env:"DESTINATION_REGION" group:"where" desc:"with destination_registry_id: the region of the destination instance, e.g. ap-shanghai"`
	DestinationRegistryEndpoint string          `env:"DESTINATION_REGISTRY_ENDPOINT" group:"where" desc:"like registry_endpoint, for the destination instance's registry when it is another instance (default: https:// and its host)"`
	DestinationSecretID         string          `env:"DESTINATION_SECRET_ID" secret:"true" group:"credentials" desc:"SecretId of an API key of the account the destination instance belongs to, when it is another account (default: the source's credentials)"`
	DestinationSecretKey        string          `env:"DESTINATION_SECRET_KEY" secret:"true" group:"credentials" desc:"SecretKey of destination_secret_id"`
	DestinationSessionToken     string          `env:"DESTINATION_SESSION_TOKEN" secret:"true" group:"credentials" desc:"token of temporary destination credentials"`
	DestinationRoleArn          string          `env:"DESTINATION_ROLE_ARN" group:"credentials" desc:"a CAM role of the destination's account, assumed with the source side's credentials (STS AssumeRole; it must trust the source account), e.g. qcs::cam::uin/200000000002:roleName/tcr-promote"`
	SecretID                    string          `env:"SECRET_ID, default=$TENCENTCLOUD_SECRET_ID" group:"credentials" desc:"SecretId of the API key"`
	SecretKey                   string          `env:"SECRET_KEY, default=$TENCENTCLOUD_SECRET_KEY" secret:"true" group:"credentials" desc:"SecretKey of the API key"`
	SessionToken                string          `env:"SESSION_TOKEN, default=$TENCENTCLOUD_SESSION_TOKEN" secret:"true" group:"credentials" desc:"token of temporary credentials (also read from $TENCENTCLOUD_SECURITY_TOKEN)"`
	RoleArn                     string          `env:"ROLE_ARN" group:"credentials" desc:"CAM role to assume with the CI's OIDC token (keyless), e.g. qcs::cam::uin/100000000001:roleName/tcr-promote"`
	ProviderID                  string          `env:"PROVIDER_ID" group:"credentials" desc:"the CAM OIDC identity provider, with role_arn"`
	RoleSessionName             string          `env:"ROLE_SESSION_NAME" group:"credentials" desc:"session name of the assumed role (default: from the CI run, e.g. repository and run id)"`
	RoleDuration                decode.Duration `env:"ROLE_DURATION, default=1h" group:"credentials" desc:"lifetime of the temporary credentials (at most 12h)"`
	Audience                    string          `env:"AUDIENCE, default=sts.tencentcloudapi.com" group:"credentials" desc:"audience of the GitHub OIDC token; must match the identity provider's client ID"`
	WebIdentityToken            string          `env:"WEB_IDENTITY_TOKEN" secret:"true" group:"credentials" desc:"an OIDC token given directly, e.g. GitLab id_tokens"`
	WebIdentityTokenFile        string          `env:"WEB_IDENTITY_TOKEN_FILE" group:"credentials" desc:"a file holding the OIDC token"`
	STSEndpoint                 string          `env:"STS_ENDPOINT, default=sts.tencentcloudapi.com" group:"credentials" desc:"STS host or URL, like endpoint"`
	Endpoint                    string          `env:"ENDPOINT, default=tcr.tencentcloudapi.com" group:"where" desc:"API host, or a URL (https://…, or http://… for a local emulator)"`
	OutputFile                  string          `env:"OUTPUT_FILE" group:"outputs" desc:"also write the outputs to this dotenv file (GitLab artifacts:reports:dotenv, Woodpecker)"`
	DotenvPrefix                string          `env:"DOTENV_PREFIX" group:"outputs" desc:"put this before every key of the dotenv outputs (output_file, $DRONE_OUTPUT), e.g. TCR_: GitLab passes dotenv variables on to every later job, where they win over the job's own variables"`
	RecordFile                  string          `env:"RECORD_FILE" group:"supply" desc:"write a promotion record here after the run: a JSON predicate of what was promoted, checked and carried, by which CI run (for actions/attest or cosign attest)"`
	OutputDir                   string          `env:"OUTPUT_DIR" group:"outputs" desc:"also write each output to its own file in this directory, holding exactly the value (Tekton results, Argo output parameters)"`
	CACert                      string          `env:"CA_CERT" group:"network" desc:"a CA to trust besides the system's, PEM text or a file (e.g. a TLS-inspecting proxy's, or a private endpoint's)"`
	Proxy                       string          `env:"PROXY" group:"network" desc:"proxy for the API calls (TCR, STS), e.g. http://proxy.internal:3128; default $HTTPS_PROXY"`
	NoProxy                     decode.List     `env:"NO_PROXY" group:"network" desc:"hosts to reach without the proxy, comma-separated (example.com also covers its subdomains; IPs and CIDRs too)"`
	WaitReplicas                decode.Bool     `env:"WAIT_REPLICAS, default=false" group:"batches" desc:"after the promotions, wait until every replica of the instance in another region holds each destination at its digest (true/false); exit 75 if one does not within replica_timeout"`
	ReplicaTimeout              decode.Duration `env:"REPLICA_TIMEOUT, default=10m" group:"batches" desc:"how long wait_replicas waits, on top of timeout"`
	Timeout                     decode.Duration `env:"TIMEOUT, default=2m" group:"timing" desc:"deadline for the whole step, retries included"`
	AttemptTimeout              decode.Duration `env:"ATTEMPT_TIMEOUT, default=30s" group:"timing" desc:"deadline for one API request"`
	IndexLag                    decode.Duration `env:"INDEX_LAG, default=10s" group:"timing" desc:"how long the read-back after a copy waits for TCR's index, which may lag a few seconds behind a write, to show it (0 waits not at all)"`
	Retries                     decode.Count    `env:"RETRIES, default=5" group:"timing" desc:"retries of a transient failure after the first attempt; requests refused for rate are sent again within timeout and do not count"`
	RateLimit                   decode.Count    `env:"RATE_LIMIT, default=20" group:"batches" desc:"DuplicateImage requests per second at most (TCR allows 20 for the whole account); below it the step adapts to the share other pipelines leave"`
	RateStore                   string          `env:"RATE_STORE" secret:"true" group:"batches" desc:"a Redis that every pipeline of the account takes its turns from, so that together they use TCR's limit and are almost never refused: redis://host:6379/0, rediss:// for TLS, ?addr=… for a Cluster, ?master_name=… for Sentinel; if it cannot be reached the step warns and paces on its own"`
	RateStorePassword           string          `env:"RATE_STORE_PASSWORD" secret:"true" group:"batches" desc:"password of rate_store, instead of one in its URL"`
	RateStoreKey                string          `env:"RATE_STORE_KEY" group:"batches" desc:"the name every pipeline of the account shares its turns under (default: the account's UIN, from role_arn or STS GetCallerIdentity)"`
	Debug                       decode.Bool     `env:"DEBUG, default=false" group:"outputs" desc:"more detail in the log, never secrets (also on with RUNNER_DEBUG=1)"`
}

// Setting describes one setting, for --help and the parity tests.
type Setting struct {
	Name     string // snake_case, as in action.yml and .drone.yml
	Env      string // upper snake case, without prefix
	Default  string
	Required bool
	Or       string // required unless this setting is given instead
	Secret   bool   // its value is masked on GitHub and never printed
	Desc     string
	Group    string // the topic --help lists it under (Groups)
	Bool     bool   // true or false: as a flag, alone it means true
}

// Flag is the setting as a command-line flag: --source-image.
func (s Setting) Flag() string { return spelling.Flag(s.Env) }

// Groups are --help's topics, in order: the essentials first.
var Groups = []struct{ Key, Title string }{
	{"what", "What to promote"}, {"where", "Where"}, {"credentials", "Credentials"}, {"safety", "Safety"},
	{"batches", "Batches and rate"}, {"supply", "Supply chain"}, {"outputs", "Outputs"}, {"network", "Network"}, {"timing", "Timing"},
}

// Names returns the environment variables the setting is read from, in
// order of precedence.
func (s Setting) Names() []string { return spelling.Names(s.Env) }

// All lists the settings in declaration order.
func All() []Setting { return slices.Clone(all()) }

// all reads the struct tags once.
var all = sync.OnceValue(func() []Setting {
	t := reflect.TypeFor[Settings]()
	out := make([]Setting, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		env, opts, _ := strings.Cut(f.Tag.Get("env"), ",")
		_, def, _ := strings.Cut(strings.TrimSpace(opts), "default=")
		out = append(out, Setting{
			Name:     strings.ToLower(env),
			Env:      env,
			Default:  def,
			Required: strings.Contains(opts, "required"),
			Or:       f.Tag.Get("or"),
			Secret:   f.Tag.Get("secret") == "true",
			Desc:     f.Tag.Get("desc"),
			Group:    f.Tag.Get("group"),
			Bool:     f.Type == reflect.TypeFor[decode.Bool](),
		})
	}
	return out
})

// secretValues returns the values of the settings tagged secret.
func secretValues(s *Settings) []string {
	var out []string
	v := reflect.ValueOf(s).Elem()
	t := v.Type()
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("secret") == "true" && v.Field(i).String() != "" {
			out = append(out, v.Field(i).String())
		}
	}
	return out
}
