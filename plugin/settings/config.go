package settings

import (
	"crypto/x509"
	"net/url"
	"time"

	"github.com/tcr-promote/tcr-promote/plugin/cienv"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
)

// Config is the validated configuration of one run. It is read-only:
// nothing writes to it after Load; what is learnt later (the instance a
// host names) is a value of its own.
type Config struct {
	RegistryID     string
	Region         string
	RegionFromEnv  bool   // region was not given: it is $TENCENTCLOUD_REGION's
	Pairs          []Pair // every (source repo × destination tag), in promotion order
	File           *File  // the promotion file the pairs come from, nil for the settings
	Mode           string // "" (apply), "plan" or "check"; plan and check set DryRun
	PlanFile       string // the plan as markdown, when set
	WaitReplicas   bool
	ReplicaTimeout time.Duration
	Override       bool
	ExpectedDigest string
	Verify         bool
	DryRun         bool
	RegistryDomain string
	// RegistryEndpoint is the registry's URL (scheme://host[:port]) for
	// the distribution API; "" for https:// and the registry's domain.
	RegistryEndpoint string
	// From source_image: the registry host the user gave, and for an
	// Enterprise host without registry_id and region, the instance names
	// to look up (DescribeInstances, every region).
	RegistryHost   string
	InstanceNames  []string
	Personal       bool    // the Personal edition: DuplicateImagePersonal
	Remote         *Remote // the destination instance when it is not the source's; nil otherwise
	SecretID       string
	SecretKey      string
	SessionToken   string
	Scheme         string      // "https" or "http"
	Host           string      // host or host:port
	Role           *RoleConfig // keyless: assume a role with an OIDC token
	OutputFile     string
	RecordFile     string // the promotion record, when set
	DotenvPrefix   string // before every dotenv key, e.g. TCR_
	OutputDir      string
	RootCAs        *x509.CertPool // the system's and ca_cert's; nil: the system's
	Proxy          *url.URL       // nil: $HTTPS_PROXY/$NO_PROXY
	NoProxy        []string
	CI             cienv.Env
	Timeout        time.Duration
	AttemptTimeout time.Duration
	IndexLag       time.Duration
	Retries        int
	RateLimit      int
	RateStore      *RateStore // nil: each run paces on its own
	Supply         Supply
	Debug          bool

	warnings []string
	secrets  []string // every secret setting's value, to mask
	// supplySettings names the gates and signing asked for, as written,
	// for the Personal edition's refusal.
	supplySettings []string
}

// Reviewed reports whether the run is a reviewed change — a promotion
// file, or a plan or check — which reports its changes and, when nothing
// is copied, its plan.
func (c *Config) Reviewed() bool { return c.Mode != "" || c.File != nil }

// Warnings are what the settings allow but should not: printed, not failed.
func (c *Config) Warnings() []string { return c.warnings }

// Secrets are the values to mask before anything is printed.
func (c *Config) Secrets() []string { return c.secrets }

// Pair is one promotion: a source and the tag it is copied to.
type Pair struct {
	Source, Destination imageref.Ref
	Override            bool // the destination may be replaced
	// Where the promotion file names the destination and the source
	// (file:line:column), "" for the settings.
	Where, SourceAt string
}

// Supply is what travels with a promotion and what it must meet: the
// gates before any copy, the signatures carried, the signing after.
type Supply struct {
	Carry            bool    // copy the cosign tags along
	RequireSignature string  // "", "kms", "cosign" or "any"
	RequireLabels    []Label // in the order given
	Sign             bool    // sign: kms
}

// Label is one key=value of require_labels.
type Label struct{ Key, Value string }

// RateStore is the Redis the pipelines of an account share their turns
// in.
type RateStore struct {
	URL                string // secret: it may hold a password
	Password           string
	Key                string // "" to learn the account
	STSScheme, STSHost string // where GetCallerIdentity learns it
	Setting            string // the variable as written, for errors
}

// RoleConfig is how to assume a CAM role with an OIDC token.
type RoleConfig struct {
	Arn, ProviderID, SessionName string
	Duration                     time.Duration
	Audience                     string
	Token                        string // given directly
	TokenFile                    string
	STSScheme, STSHost           string
}
