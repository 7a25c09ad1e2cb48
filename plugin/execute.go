package plugin

import (
	"cmp"
	"context"
	"sync"
	"time"

	"github.com/tcr-promote/tcr-promote/plugin/cilog"
	"github.com/tcr-promote/tcr-promote/plugin/creds"
	"github.com/tcr-promote/tcr-promote/plugin/crossing"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/outputs"
	"github.com/tcr-promote/tcr-promote/plugin/promote"
	"github.com/tcr-promote/tcr-promote/plugin/promotion"
	"github.com/tcr-promote/tcr-promote/plugin/ratestore"
	"github.com/tcr-promote/tcr-promote/plugin/replicas"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"github.com/tcr-promote/tcr-promote/plugin/target"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
	"github.com/tcr-promote/tcr-promote/plugin/tcrops"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// execute gets the credentials, finds the instance, runs the promotions
// and waits for the replicas; registry names where they ran, for the log
// and summary.
func (r *Runner) execute(outer context.Context, cfg *settings.Config, log *cilog.Logger) outcome {
	ctx, cancel := context.WithTimeout(outer, cfg.Timeout)
	defer cancel()
	store, err := openStore(cfg)
	if err != nil {
		log.Release()
		return outcome{results: failedAll(log, cfg, "", err)}
	}
	opts := r.apiOptions(cfg)
	if store != nil {
		defer store.Close()
		opts.Store = store
	}
	api := tcrapi.New(opts, log)
	cred, err := creds.Resolve(ctx, cfg, api, log, r.DefaultCredentials)
	log.Release()
	var account sync.WaitGroup
	if err == nil && store != nil {
		// Learnt beside the instance's lookup, before the first turn.
		account.Go(func() {
			key, from := creds.Account(ctx, cfg, api, cred, log)
			store.Use(key)
			log.Infof("rate_store %s: taking turns as %s (from %s)", store.Where(), key, from)
		})
	}
	instance := target.Target{RegistryID: cfg.RegistryID, Region: cfg.Region}
	if err == nil {
		instance, err = target.Find(ctx, api, tcrops.NewClient(api, cred, cmp.Or(cfg.Region, tcrapi.AnyRegion)), cfg)
	}
	account.Wait()
	registry := cmp.Or(instance.RegistryID, cfg.RegistryHost)
	if err != nil {
		return outcome{results: failedAll(log, cfg, registry, err), registry: registry}
	}
	describeRun(log, cfg, registry, instance)
	p, err := promoter(ctx, api, cred, cfg, instance, log)
	if err != nil {
		return outcome{results: failedAll(log, cfg, registry, err), registry: registry}
	}
	batch := len(cfg.Pairs) > 1
	exits := failure.Exits{Drone: cfg.CI.Drone}
	planned := cfg.Mode != "" // plan and check say each destination in a line of their own
	ordered, flush := inOrder(cfg.Pairs, func(res promotion.Result) {
		res.Log.Flush() // what the promotion said while it worked, then its line
		report(log, exits, registry, res, batch, planned)
	})
	results := p.Promote(ctx, ordered)
	flush()
	out := outcome{results: results, registry: registry}
	if cfg.WaitReplicas && !cfg.DryRun {
		// Its own deadline, after the promotions': replica_timeout.
		w := replicas.Waiter{Target: instance.Instance(api, cred), API: api, Cred: cred, Timeout: cfg.ReplicaTimeout, Log: log}
		out.replicas, out.replicaErr = waitReplicas(outer, w, results, log, exits)
	}
	summarize(log, exits, results, api.Refusals())
	if cfg.DryRun && cfg.Reviewed() {
		log.Infof("%s: %d of %d destinations to change", cmp.Or(cfg.Mode, "dry run"), outputs.Changes(results), len(results))
	}
	return out
}

// waitReplicas waits for the replicas to show the results, telling a
// failure as it ends.
func waitReplicas(ctx context.Context, w replicas.Waiter, results []promotion.Result, log *cilog.Logger, exits failure.Exits) ([]promotion.ReplicaState, error) {
	states, err := replicas.Wait(ctx, w, results)
	if err != nil {
		reportReplicas(log, exits, err)
	}
	return states, err
}

// promoter is the run's Promoter; with a destination on another
// instance, both registries are reached before the first copy.
func promoter(ctx context.Context, api *tcrapi.Client, cred common.CredentialIface, cfg *settings.Config, instance target.Target, log *cilog.Logger) (*promote.Promoter, error) {
	src := instance.Instance(api, cred)
	p := promote.New(ctx, api, src, cfg, instance, log)
	if cfg.Remote == nil {
		return p, nil
	}
	side, err := crossing.Open(ctx, cfg, api, cred, src, sourceEndpoint(cfg), log)
	if err != nil {
		return nil, err
	}
	p.Cross(side, side.Source())
	return p, nil
}

// sourceEndpoint is the source registry's URL: registry_endpoint, else
// https:// and the host the settings name.
func sourceEndpoint(cfg *settings.Config) string {
	return cmp.Or(cfg.RegistryEndpoint, "https://"+cmp.Or(cfg.RegistryDomain, cfg.RegistryHost))
}

// apiOptions are the API client's options: the settings', and what the
// Runner injects.
func (r *Runner) apiOptions(cfg *settings.Config) tcrapi.Options {
	return tcrapi.Options{
		Scheme: cfg.Scheme, Host: cfg.Host, Transport: r.Transport, RootCAs: cfg.RootCAs, Proxy: cfg.Proxy, NoProxy: cfg.NoProxy,
		Retries: cfg.Retries, AttemptTimeout: cfg.AttemptTimeout, Timeout: cfg.Timeout, RateLimit: cfg.RateLimit, Backoff: r.Backoff, Clock: r.Clock,
	}
}

// describeRun says, before the promotions, what the run is about to do,
// and warns of a batch that cannot fit its timeout.
func describeRun(log *cilog.Logger, cfg *settings.Config, registry string, instance target.Target) {
	if cfg.RegionFromEnv && instance.Region == cfg.Region && cfg.RegistryHost != "" {
		log.Infof("%s: instance %s in %s, the region from $TENCENTCLOUD_REGION (set region to choose another)", cfg.RegistryHost, instance.RegistryID, instance.Region)
	}
	log.Debugf("tcr-promote %s: %d promotions in %s (%s) via %s://%s, override %t, verify %t, dry run %t, timeout %s, %d copies/s",
		version(), len(cfg.Pairs), registry, instance.Region, cfg.Scheme, cfg.Host, cfg.Override, cfg.Verify, cfg.DryRun, cfg.Timeout, cfg.RateLimit)
	if need := time.Duration(len(cfg.Pairs)) * time.Second / time.Duration(cfg.RateLimit); need > cfg.Timeout && !cfg.DryRun {
		log.Warnf("%d promotions at %d copies/s need at least %s, more than timeout (%s): raise timeout, or the rest will fail with 75", len(cfg.Pairs), cfg.RateLimit, need, cfg.Timeout)
	}
}

// openStore opens rate_store, if set; nothing is sent yet.
func openStore(cfg *settings.Config) (*ratestore.Store, error) {
	if cfg.RateStore == nil {
		return nil, nil
	}
	store, err := ratestore.Open(cfg.RateStore.URL, cfg.RateStore.Password, cfg.RootCAs)
	if err != nil {
		return nil, failure.Usagef("invalid settings: %s: %v", cfg.RateStore.Setting, err)
	}
	return store, nil
}
