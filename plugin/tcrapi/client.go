// Package tcrapi sends the step's API calls through Tencent's common SDK:
// the TCR and STS clients, one transport that is the boundary with the
// network (wire.go), one adaptive rate limiter per action, and one call
// loop with retries, deadlines and classification (Do). Everything above
// it makes requests and reads answers; it decides how they travel.
package tcrapi

import (
	"crypto/tls"
	"crypto/x509"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tcr-promote/tcr-promote/internal/sts"
	"github.com/tcr-promote/tcr-promote/plugin/cilog"
	"github.com/tcr-promote/tcr-promote/plugin/pace"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	"golang.org/x/net/http/httpproxy"
)

// Options configure a Client.
type Options struct {
	Scheme, Host string // the TCR endpoint
	// Transport carries the requests; nil means NewTransport() with the
	// CA and proxy below.
	Transport      http.RoundTripper
	RootCAs        *x509.CertPool // nil: the system's
	Proxy          *url.URL       // nil: $HTTPS_PROXY and $NO_PROXY
	NoProxy        []string
	Retries        int
	AttemptTimeout time.Duration
	Timeout        time.Duration // the step's, a backstop for the SDK's own
	RateLimit      int           // DuplicateImage requests per second at most
	// Store, if set, hands out the turns of the heavy actions
	// (DuplicateImage, DescribeImages) that every pipeline of the account
	// shares (rate_store).
	Store pace.Store
	// Backoff is the wait before retry n (from 0); nil means exponential
	// backoff with full jitter from 1s, capped at 20s.
	Backoff func(retry int) time.Duration
	// Clock is where the step's deliberate waits happen; nil means
	// RealClock.
	Clock Clock
}

// Clock is the run's clock, for the waits of the packages above.
func (c *Client) Clock() Clock { return c.opts.Clock }

// Client holds what every call of one run shares.
type Client struct {
	log      *cilog.Logger
	http     http.RoundTripper
	base     http.RoundTripper // under the guard: the registry's transport
	opts     Options
	backoff  func(int) time.Duration
	limiters map[string]*pace.Limiter
	rtt      roundTrip
}

// Documented per-action limits of TCR (requests per second, for the
// account); actions not listed get the default.
const (
	describeImagesLimit = 100
	manifestsLimit      = 10 // DescribeImageManifests: the tightest of all
	defaultActionLimit  = 20
)

// New returns the client of one run.
func New(o Options, log *cilog.Logger) *Client {
	base := o.Transport
	if base == nil {
		base = configure(NewTransport().(*http.Transport), o)
	}
	c := &Client{log: log, base: base, http: guarded(base, log), opts: o, backoff: o.Backoff, limiters: map[string]*pace.Limiter{}}
	if c.backoff == nil {
		c.backoff = jitterBackoff(time.Second, 20*time.Second)
	}
	if c.opts.Clock == nil {
		c.opts.Clock = RealClock{}
	}
	for _, l := range []struct {
		action    string
		perSecond int
		shared    bool // through the store, if any: the actions a batch spends
	}{
		{"DuplicateImage", o.RateLimit, true},
		{"DescribeImages", describeImagesLimit - 10, true}, // a margin: reads are not the bottleneck
		{"DescribeInstances", defaultActionLimit, false},
		{"DescribeNamespaces", defaultActionLimit, false},
		{"DescribeImmutableTagRules", defaultActionLimit, false},
		{"DescribeImageManifests", manifestsLimit, false},
		{"CreateSignature", defaultActionLimit, false},
		{"CreateInstanceToken", defaultActionLimit, false},
		{"DescribeReplicationInstances", defaultActionLimit, false},
		{"DescribeReplicationInstanceSyncStatus", defaultActionLimit, false},
		{"DuplicateImagePersonal", o.RateLimit, true},
		{"DescribeImagePersonal", defaultActionLimit, true},
	} {
		var store pace.Store
		if l.shared {
			store = o.Store
		}
		// The copies' first burst is spaced, for a fair start among
		// pipelines started together; lookups are on each promotion's path.
		spaced := l.action == "DuplicateImage" || l.action == "DuplicateImagePersonal"
		c.limiters[l.action] = pace.NewLimiter(l.action, l.perSecond, spaced, log, store)
	}
	return c
}

// Profile is the SDK profile of the TCR endpoint, for the clients that
// tcrops makes.
func (c *Client) Profile() *profile.ClientProfile { return c.profile(c.opts.Scheme, c.opts.Host) }

// STS returns the STS client for an endpoint, signing with cred (nil for
// the web-identity call, which is sent unsigned).
func (c *Client) STS(cred common.CredentialIface, scheme, host, region string) *sts.Client {
	client, _ := sts.NewClient(cred, region, c.profile(scheme, host))
	client.WithHttpTransport(c.http)
	return client
}

// HTTP is the guarded transport itself, for the calls that are not the
// SDK's (GitHub's OIDC token endpoint).
func (c *Client) HTTP() http.RoundTripper { return c.http }

// Base is the transport under the API's guard — ca_cert, proxy and
// no_proxy applied — for the registry's protocol, which has rules of its
// own (ocireg).
func (c *Client) Base() http.RoundTripper { return c.base }

// Refusals is how many requests TCR refused for rate, all actions.
func (c *Client) Refusals() int {
	n := 0
	for _, l := range c.limiters {
		n += l.Refusals()
	}
	return n
}

// Rate is the rate action is paced at now, requests per second.
func (c *Client) Rate(action string) float64 { return c.limiters[action].Rate() }

// RoundTrip is the typical round trip of an answered request so far, and
// whether one was measured yet.
func (c *Client) RoundTrip() (time.Duration, bool) { return c.rtt.get() }

// profile is the common SDK profile for an endpoint.
func (c *Client) profile(scheme, host string) *profile.ClientProfile {
	prof := profile.NewClientProfile()
	prof.Language = "en-US"
	prof.DisableRegionBreaker = true // on, it reroutes to ap-guangzhou
	prof.HttpProfile.Endpoint = host
	prof.HttpProfile.Scheme = map[string]string{"http": "HTTP", "https": "HTTPS"}[scheme]
	// Each attempt has its own context deadline; the client's timeout is only
	// a backstop and must not cut an attempt short.
	prof.HttpProfile.ReqTimeout = int(math.Ceil(c.opts.Timeout.Seconds())) + 1
	// Retries happen in Do, not in the SDK: its rate-limit retry sleeps
	// with time.Sleep (deaf to the step's deadline and to cancellation) and
	// its attempts are invisible to our budget and log. Debug stays off: its
	// dump prints every header, X-TC-Token included.
	prof.RateLimitExceededMaxRetries = 0
	prof.NetworkFailureMaxRetries = 0
	prof.Debug = false
	return prof
}

// MaxInFlight bounds the requests of one run in flight at once: far above
// what 20 copies/s with 50–200 ms round trips needs. The transport keeps
// as many idle connections.
const MaxInFlight = 64

// NewTransport is the HTTP transport the step uses by default: Go's
// default, keeping as many idle connections to the API as a batch has
// requests in flight, so that concurrent promotions reuse connections (and
// TLS sessions) instead of dialling anew for each request.
func NewTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = MaxInFlight
	t.IdleConnTimeout = 30 * time.Second
	return t
}

// configure applies the ca_cert, proxy and no_proxy settings. Without
// them, Go's defaults stand: the system's roots, $HTTPS_PROXY, $NO_PROXY,
// $SSL_CERT_FILE and $SSL_CERT_DIR. no_proxy is read as Go reads
// $NO_PROXY (golang.org/x/net/http/httpproxy): hosts, domains with their
// subdomains, IPs, CIDRs, ports, "*"; loopback is never proxied.
func configure(t *http.Transport, o Options) *http.Transport {
	if o.RootCAs != nil {
		t.TLSClientConfig = &tls.Config{RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12}
	}
	if o.Proxy != nil {
		proxy := (&httpproxy.Config{HTTPProxy: o.Proxy.String(), HTTPSProxy: o.Proxy.String(), NoProxy: strings.Join(o.NoProxy, ",")}).ProxyFunc()
		t.Proxy = func(req *http.Request) (*url.URL, error) { return proxy(req.URL) }
	}
	return t
}

// AnyRegion signs a call that must name a region when none is known yet:
// DescribeInstances with AllRegion, and STS, answer in any.
const AnyRegion = "ap-guangzhou"
