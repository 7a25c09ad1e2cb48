// Package crossing reaches a destination instance that is not the
// source's — another region, another account — where no TCR API copies:
// it finds that instance with the destination's own credentials, gets each
// side a temporary instance token, and copies through the registries'
// protocol (ocireg), reporting progress and the bytes moved through the
// runner. It also opens an instance's registry for the flow's referrers.
package crossing

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/tcr-promote/tcr-promote/plugin/cilog"
	"github.com/tcr-promote/tcr-promote/plugin/creds"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/ocireg"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
	"github.com/tcr-promote/tcr-promote/plugin/tcrops"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// Tokens gives an instance's registry tokens: tcrops.Instance, or a fake.
type Tokens interface {
	CreateInstanceToken(ctx context.Context) (tcrops.InstanceToken, error)
}

// Registry opens an instance's registry at endpoint with a temporary
// token from CreateInstanceToken, masked before anything could print it;
// base is the transport with ca_cert and the proxy applied.
func Registry(ctx context.Context, inst Tokens, base http.RoundTripper, endpoint string, retries int, log *cilog.Logger) (*ocireg.Client, error) {
	tok, err := inst.CreateInstanceToken(ctx)
	if err != nil {
		return nil, failure.About(err, "a token for the registry %s", endpoint)
	}
	log.Mask(tok.Token)
	log.Debugf("registry %s: a temporary token for %s (until %s)", endpoint, tok.Username, tok.Expires.Format("15:04:05"))
	debugf := func(ctx context.Context, format string, args ...any) { log.For(ctx).Debugf(format, args...) }
	c, err := ocireg.New(ocireg.Config{Endpoint: endpoint, Username: tok.Username, Token: tok.Token, Transport: base,
		Retries: retries, UserAgent: "tcr-promote", Debugf: debugf})
	if err != nil {
		return nil, &failure.Error{Class: failure.ClassUsage, Code: failure.CodeInvalidSettings, Message: err.Error(), Err: err}
	}
	return c, nil
}

// Side is the destination instance and both registries.
type Side struct {
	Host  string // the destination's host, as destination_image names it
	ID    string // its instance ID
	inst  tcrops.Instance
	from  *ocireg.Client
	to    *ocireg.Client
	log   *cilog.Logger
	every time.Duration // how often a long copy says how far it is
	rules func() ([]tcrops.ImmutableRule, error)
}

// Open reaches the destination instance of cfg.Remote and both
// registries: the source's (src, with srcEndpoint) and the destination's,
// each with its own token.
func Open(ctx context.Context, cfg *settings.Config, api *tcrapi.Client, srcCred common.CredentialIface, src tcrops.Instance, srcEndpoint string, log *cilog.Logger) (*Side, error) {
	// The two sides are opened at once: across regions each call is a
	// long round trip, and neither side waits for the other. Both end
	// before either's failure is told, the source's first.
	var (
		wg      sync.WaitGroup
		from    *ocireg.Client
		fromErr error
	)
	wg.Go(func() { from, fromErr = Registry(ctx, src, api.Base(), srcEndpoint, cfg.Retries, log) })
	dst, dstErr := openDestination(ctx, cfg, api, srcCred, log)
	wg.Wait()
	if err := cmp.Or(fromErr, dstErr); err != nil {
		return nil, err
	}
	r := cfg.Remote
	s := &Side{Host: r.Host, ID: dst.inst.ID, inst: dst.inst, from: from, to: dst.registry, log: log, every: 5 * time.Second}
	s.rules = sync.OnceValues(func() ([]tcrops.ImmutableRule, error) { return dst.inst.ImmutableTagRules(ctx) })
	log.Infof("the destination %s is the instance %s (%s): copying through the registries, %s → %s", r.Host, dst.inst.ID, dst.region, from.Endpoint(), dst.registry.Endpoint())
	return s, nil
}

// destination is the destination instance, found, and its registry.
type destination struct {
	inst     tcrops.Instance
	region   string
	registry *ocireg.Client
}

// openDestination finds the destination instance with its own
// credentials and opens its registry.
func openDestination(ctx context.Context, cfg *settings.Config, api *tcrapi.Client, srcCred common.CredentialIface, log *cilog.Logger) (destination, error) {
	r := cfg.Remote
	cred, err := creds.Destination(ctx, cfg, api, srcCred, log)
	if err != nil {
		return destination{}, err
	}
	id, region := r.RegistryID, r.Region
	if id == "" {
		if id, region, err = find(ctx, api, cred, cfg); err != nil {
			return destination{}, err
		}
	}
	inst := tcrops.Instance{ID: id, Client: tcrops.NewClient(api, cred, region), API: api}
	to, err := Registry(ctx, inst, api.Base(), cmp.Or(r.Endpoint, "https://"+r.Host), cfg.Retries, log)
	return destination{inst: inst, region: region, registry: to}, err
}

// Source is the source instance's registry, opened by Open.
func (s *Side) Source() *ocireg.Client { return s.from }

// find looks the destination instance up by the names its host suggests,
// in every region, with the destination's credentials.
func find(ctx context.Context, api *tcrapi.Client, cred common.CredentialIface, cfg *settings.Config) (id, region string, err error) {
	r := cfg.Remote
	found, reqID, err := tcrops.InstancesNamed(ctx, api, tcrops.NewClient(api, cred, cmp.Or(cfg.Region, tcrapi.AnyRegion)), r.InstanceNames)
	if err != nil {
		return "", "", failure.About(err, "looking up the destination instance of %s", r.Host)
	}
	if f, ok := tcrops.FirstNamed(found, r.InstanceNames); ok {
		return f.ID, f.Region, nil
	}
	hint := "it may belong to another account: set destination_secret_id and destination_secret_key, or destination_role_arn (a role of that account trusting this one); for a custom domain, set destination_registry_id and destination_region"
	if r.SecretID != "" || r.RoleArn != "" {
		hint = "check the host, and that destination_secret_id or destination_role_arn is of the account the instance belongs to; for a custom domain, set destination_registry_id and destination_region"
	}
	return "", "", &failure.Error{Class: failure.ClassNotFound, Action: "DescribeInstances", Code: failure.CodeInstanceNotFound, RequestID: reqID,
		Message: fmt.Sprintf("no TCR Enterprise instance is named %s in any region the destination's credentials can see (from the host %s)", r.InstanceNames[0], r.Host),
		Hint:    hint}
}

// Digest is what dst (a tag) points at in the destination's registry, ""
// when it does not exist.
func (s *Side) Digest(ctx context.Context, dst imageref.Ref) (string, error) {
	d, err := s.to.Digest(ctx, dst.Name(), dst.Tag)
	return d, s.to.Fail(ctx, "reading "+dst.String(), err)
}

// ImmutableTagRules are the destination instance's, read once.
func (s *Side) ImmutableTagRules() ([]tcrops.ImmutableRule, error) { return s.rules() }

// NamespaceExists asks the destination instance whether ns exists.
func (s *Side) NamespaceExists(ctx context.Context, ns string) (bool, error) {
	return s.inst.NamespaceExists(ctx, ns, false)
}

// Moved is the blob bytes read from the source's registry so far: what
// the copies moved through the runner.
func (s *Side) Moved() int64 {
	b, _ := s.from.Moved()
	return b
}

// Copy copies src at ref (its digest, or a tag) into dst at to (a tag,
// or "" for dst's own digest-only copy at ref), saying every few seconds
// how far it is. It returns the digest copied.
func (s *Side) Copy(ctx context.Context, src imageref.Ref, ref string, dst imageref.Ref, to string) (string, error) {
	stop := s.progress(ctx, fmt.Sprintf("%s@%s → %s", src.Name(), ref, dst))
	defer stop()
	d, err := s.to.Copy(ctx, s.from, src.Name(), ref, dst.Name(), cmp.Or(to, ref))
	if err != nil {
		return "", s.to.Fail(ctx, fmt.Sprintf("copying %s@%s from %s to %s", src.Name(), ref, s.from.Endpoint(), dst), err)
	}
	return d, nil
}

// progress logs, every s.every until stopped, the blobs and bytes read
// from the source and the rate.
func (s *Side) progress(ctx context.Context, what string) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	startBytes, startBlobs := s.from.Moved()
	start := time.Now()
	wg.Go(func() {
		t := time.NewTicker(s.every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				b, n := s.from.Moved()
				s.log.For(ctx).Infof("%s", progressLine(what, n-startBlobs, b-startBytes, time.Since(start)))
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// progressLine says how far a copy is: the blobs read whole, the bytes
// read, and the rate since it started.
func progressLine(what string, blobs, bytes int64, elapsed time.Duration) string {
	rate := int64(0)
	if elapsed > 0 {
		rate = int64(float64(bytes) / elapsed.Seconds())
	}
	return fmt.Sprintf("copying %s: %d blobs, %s moved (%s/s)", what, blobs, humanBytes(bytes), humanBytes(rate))
}

// humanBytes is n in the units people read: 512 B, 3.1 MB, 1.2 GB.
func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
