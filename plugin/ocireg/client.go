// Package ocireg talks to a TCR instance's registry by the OCI
// distribution API — what the TCR API cannot do: find the referrers of an
// image (cosign v3 bundles, Notation signatures, SBOMs, attestations,
// which have no tags) and carry them, byte for byte, into another
// repository. It stands on go-containerregistry's remote package (Harbor's
// token flow, the referrers API and its fallback tag, cross-repository
// mounts), under the step's own rules for a hostile wire: bounded answers,
// credentials only for the registry's own host, every failure classified.
package ocireg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Config is how to reach a registry.
type Config struct {
	Endpoint  string // scheme://host[:port]
	Username  string // from CreateInstanceToken
	Token     string // from CreateInstanceToken: a secret
	Transport http.RoundTripper
	Retries   int // of a transient failure, after the first attempt
	UserAgent string
	// Debugf, if set, is told each exchange with the registry (method,
	// path, status, time), never a header or a body; ctx is the request's.
	Debugf func(ctx context.Context, format string, args ...any)
}

// Client is a registry's distribution API, authenticated. It is safe for
// concurrent use.
type Client struct {
	endpoint string
	reg      name.Registry
	// The library's puller and pusher, kept for the run: each repository's
	// ping and token exchange is made once, not once a request.
	puller *remote.Puller
	pusher *remote.Pusher
	moved  *Moved // the blob bytes read from this registry
	// What a copy reads its source's blobs with (stream.go).
	auth  authn.Authenticator
	blobs http.RoundTripper
}

// maxAnswer bounds every answer but a blob's: a manifest, an index of
// referrers, a token. The distribution spec asks registries to take
// manifests of 4 MiB; nothing the step reads is larger.
const maxAnswer = 4 << 20

// New returns a client of the registry at c.Endpoint.
func New(c Config) (*Client, error) {
	u, err := url.Parse(c.Endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("registry endpoint %q is not an http(s)://host[:port] URL", c.Endpoint)
	}
	var nopts []name.Option
	if u.Scheme == "http" {
		nopts = append(nopts, name.Insecure)
	}
	reg, err := name.NewRegistry(u.Host, nopts...)
	if err != nil {
		return nil, fmt.Errorf("registry endpoint %q: %w", c.Endpoint, err)
	}
	moved := &Moved{}
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	g := guard{base: base, scheme: u.Scheme, host: u.Host, debugf: c.Debugf, moved: moved}
	auth := &authn.Basic{Username: c.Username, Password: c.Token}
	backoff := remote.Backoff{Duration: 250 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: max(c.Retries, 0) + 1}
	opts := []remote.Option{remote.WithTransport(g), remote.WithAuth(auth), remote.WithRetryBackoff(backoff)}
	// A copy's own blob reads (stream.go) go through the same guard,
	// retried on the statuses the library retries.
	blobs := transport.NewRetry(g, transport.WithRetryBackoff(backoff), transport.WithRetryStatusCodes(
		http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout))
	if c.UserAgent != "" {
		opts = append(opts, remote.WithUserAgent(c.UserAgent))
		blobs = transport.NewUserAgent(blobs, c.UserAgent)
	}
	puller, err := remote.NewPuller(opts...)
	if err != nil {
		return nil, err
	}
	pusher, err := remote.NewPusher(opts...)
	if err != nil {
		return nil, err
	}
	return &Client{endpoint: u.Scheme + "://" + u.Host, reg: reg, puller: puller, pusher: pusher, moved: moved, auth: auth, blobs: blobs}, nil
}

// Endpoint is the registry's URL, for messages.
func (c *Client) Endpoint() string { return c.endpoint }

func (c *Client) options(ctx context.Context) []remote.Option {
	return []remote.Option{remote.WithContext(ctx), remote.Reuse(c.puller), remote.Reuse(c.pusher)}
}

// repo names a repository of the registry.
func (c *Client) repo(path string) (name.Repository, error) {
	return name.NewRepository(c.reg.Name()+"/"+path, name.StrictValidation)
}

// guard is the step's rules under the library: the endpoint's scheme kept
// whatever the library infers from the host (it takes a private IP for
// plain http), credentials sent to the endpoint's host only — never to a
// blob redirect's object storage, nor to a token realm elsewhere — and
// every answer but a blob's read to maxAnswer at most.
type guard struct {
	base         http.RoundTripper
	scheme, host string
	debugf       func(ctx context.Context, format string, args ...any)
	moved        *Moved
}

func (g guard) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	if req.URL.Host == g.host {
		req.URL.Scheme = g.scheme
	} else {
		req.Header.Del("Authorization")
	}
	start := time.Now()
	resp, err := g.base.RoundTrip(req)
	if g.debugf != nil {
		status := "no answer"
		if err == nil {
			status = resp.Status
		}
		g.debugf(req.Context(), "registry %s %s%s: %s in %s", req.Method, req.URL.Host, req.URL.Path, status, time.Since(start).Round(time.Millisecond))
	}
	if err != nil {
		return resp, err
	}
	if isBlob(req) {
		if resp.StatusCode == http.StatusOK {
			m, _ := req.Context().Value(movedKey{}).(*Moved)
			resp.Body = newCounted(resp.Body, g.moved, m)
		}
		return resp, nil
	}
	resp.Body = &bounded{r: resp.Body, left: maxAnswer}
	return resp, nil
}

// isBlob reports whether req reads a blob's bytes, which may be large and
// are verified against their digest by whoever reads them.
func isBlob(req *http.Request) bool {
	if req.Response != nil && req.Response.Request != nil {
		// A redirect's target (object storage) serves the blob asked for.
		return isBlob(req.Response.Request)
	}
	return req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/blobs/") && !strings.Contains(req.URL.Path, "/blobs/uploads")
}

// ErrTooLarge is an answer past maxAnswer.
var ErrTooLarge = errors.New("the answer is larger than 4 MiB, more than any manifest or index")

type bounded struct {
	r    io.ReadCloser
	left int64
}

func (b *bounded) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body that ends here from one that goes on.
		var one [1]byte
		if n, _ := b.r.Read(one[:]); n > 0 {
			return 0, ErrTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *bounded) Close() error { return b.r.Close() }
