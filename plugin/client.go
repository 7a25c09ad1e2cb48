package plugin

import (
	"crypto/tls"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tcr-promote/tcr-promote/internal/tcr"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
)

// api sends TCR actions through the common SDK: one place for the client's
// profile, per-attempt deadlines, retries and error classification.
type api struct {
	tcr            *tcr.Client
	log            *logger
	retries        int
	attemptTimeout time.Duration
	timeout        time.Duration // the step's
	backoff        func(retry int) time.Duration
	limiters       map[string]*limiter
	transport      http.RoundTripper
}

// Documented per-action limits of TCR (requests per second, for the
// account); actions not listed get the default.
const (
	describeImagesLimit = 100
	defaultActionLimit  = 20
)

func newAPI(cfg *Config, log *logger, transport http.RoundTripper, backoff func(int) time.Duration) *api {
	if transport == nil {
		transport = configure(NewTransport().(*http.Transport), cfg)
	}
	if backoff == nil {
		backoff = jitterBackoff(time.Second, 20*time.Second)
	}
	a := &api{
		log: log, retries: cfg.Retries, attemptTimeout: cfg.AttemptTimeout, timeout: cfg.Timeout, backoff: backoff,
		transport: guarded(transport, log),
		limiters:  map[string]*limiter{},
	}
	for _, l := range []struct {
		action           string
		perSecond, burst int
	}{
		{"DuplicateImage", cfg.RateLimit, 1},
		{"DescribeImages", describeImagesLimit - 5, 5}, // a margin: reads are not the bottleneck
		{"DescribeInstances", defaultActionLimit, 2},
		{"DescribeNamespaces", defaultActionLimit, 2},
		{"DescribeImmutableTagRules", defaultActionLimit, 2},
		{"DuplicateImagePersonal", cfg.RateLimit, 1},
		{"DescribeImagePersonal", defaultActionLimit, 2},
	} {
		a.limiters[l.action] = newLimiter(l.action, l.perSecond, l.burst, log)
	}
	return a
}

// refusals is how many requests TCR refused for rate, all actions.
func (a *api) refusals() int {
	n := 0
	for _, l := range a.limiters {
		n += l.refusals()
	}
	return n
}

// clientProfile is the common SDK profile for an endpoint.
func clientProfile(cfg *Config, scheme, host string) *profile.ClientProfile {
	prof := profile.NewClientProfile()
	prof.Language = "en-US"
	prof.DisableRegionBreaker = true // on, it reroutes to ap-guangzhou
	prof.HttpProfile.Endpoint = host
	prof.HttpProfile.Scheme = map[string]string{"http": "HTTP", "https": "HTTPS"}[scheme]
	// Each attempt has its own context deadline; the client's timeout is only
	// a backstop and must not cut an attempt short.
	prof.HttpProfile.ReqTimeout = int(math.Ceil(cfg.Timeout.Seconds())) + 1
	// Retries happen in do, not in the SDK: its rate-limit retry sleeps
	// with time.Sleep (deaf to the step's deadline and to cancellation) and
	// its attempts are invisible to our budget and log. Debug stays off: its
	// dump prints every header, X-TC-Token included.
	prof.RateLimitExceededMaxRetries = 0
	prof.NetworkFailureMaxRetries = 0
	prof.Debug = false
	return prof
}

// connect builds the TCR client signing with cred for region.
func (a *api) connect(cfg *Config, region string, cred common.CredentialIface) error {
	client, err := tcr.NewClient(cred, region, clientProfile(cfg, cfg.Scheme, cfg.Host))
	if err != nil {
		return err
	}
	client.WithHttpTransport(a.transport)
	client.WithRequestClient("tcr-promote")
	a.tcr = client
	return nil
}

// guarded puts the network boundary around a transport.
func guarded(base http.RoundTripper, log *logger) *guardTransport {
	g := &guardTransport{base: base, log: log}
	if t, ok := base.(*http.Transport); ok && t.Proxy != nil {
		g.proxyFor = t.Proxy
	}
	return g
}

// NewTransport is the HTTP transport the step uses by default: Go's
// default, keeping as many idle connections to the API as a batch has
// requests in flight, so that concurrent promotions reuse connections (and
// TLS sessions) instead of dialling anew for each request.
func NewTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = maxInFlight
	t.IdleConnTimeout = 30 * time.Second
	return t
}

// configure applies the ca_cert, proxy and no_proxy settings. Without
// them, Go's defaults stand: the system's roots, $HTTPS_PROXY, $NO_PROXY,
// $SSL_CERT_FILE and $SSL_CERT_DIR.
func configure(t *http.Transport, cfg *Config) *http.Transport {
	if cfg.RootCAs != nil {
		t.TLSClientConfig = &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12}
	}
	if cfg.Proxy != nil {
		t.Proxy = func(req *http.Request) (*url.URL, error) {
			if bypass(cfg.NoProxy, req.URL.Host) {
				return nil, nil
			}
			return cfg.Proxy, nil
		}
	}
	return t
}

// bypass reports whether hostport is reached without the proxy: "*", the
// host itself, a domain and its subdomains (example.com, .example.com), an
// IP, a CIDR, or host:port.
func bypass(noProxy []string, hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(host)
	ip := net.ParseIP(host)
	for _, entry := range noProxy {
		entry = strings.ToLower(entry)
		switch {
		case entry == "*", entry == hostport, entry == host:
			return true
		case ip != nil:
			if _, cidr, err := net.ParseCIDR(entry); err == nil && cidr.Contains(ip) {
				return true
			}
		case strings.HasSuffix(host, "."+strings.TrimPrefix(entry, ".")):
			return true
		}
	}
	return false
}
