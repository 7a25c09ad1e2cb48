package plugin_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tcr-promote/tcr-promote/internal/redistest"
	"github.com/tcr-promote/tcr-promote/internal/testenv"
	"github.com/tcr-promote/tcr-promote/plugin/ratestore"
	"github.com/tcr-promote/tcr-promote/tcremu"
)

func TestMain(m *testing.M) { os.Exit(redistest.Run(m)) }

// TestRateStoreShared: pipelines of one account that share rate_store
// take their turns from one bucket in Redis: under TCR's 20/s, counted
// for all of them, none is refused; each says whose turns it takes.
func TestRateStoreShared(t *testing.T) {
	t.Parallel()
	redis := redistest.URL(t)
	const pipelines, tags = 3, 12
	f := newWallFixture(t, tcremu.WithRateLimit("DuplicateImage", 20), tcremu.WithRateLimit("DescribeImages", 100),
		tcremu.WithAccount(fmt.Sprint(time.Now().UnixNano()%1e12))) // an account of this test's own in the shared Redis
	list := make([]string, tags)
	for i := range list {
		list[i] = fmt.Sprintf("t%d", i)
	}
	results := make([]runResult, pipelines)
	var wg sync.WaitGroup
	for p := range pipelines {
		ns := fmt.Sprintf("release%d", p)
		if err := f.emu.AddNamespace("tcr-1", ns); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			results[p] = run(t, testenv.With(f.droneVars(), map[string]string{
				"PLUGIN_RATE_STORE": redis, "PLUGIN_STS_ENDPOINT": f.srv.URL, "PLUGIN_DESTINATION_NAMESPACE": ns, "PLUGIN_DESTINATION_TAG": strings.Join(list, ","),
			}))
		})
	}
	wg.Wait()
	for p, res := range results {
		if res.code != 0 {
			t.Errorf("pipeline %d: exit %d\n%s%s", p, res.code, res.stdout, res.stderr)
		}
		if !strings.Contains(res.stdout, "(from STS GetCallerIdentity)") {
			t.Errorf("pipeline %d does not say whose turns it takes:\n%s", p, res.stdout)
		}
	}
	for p := range pipelines {
		if got := f.emu.Tags("tcr-1", fmt.Sprintf("release%d", p), "app"); len(got) != tags {
			t.Errorf("pipeline %d promoted %d tags, want %d", p, len(got), tags)
		}
	}
	// Outcomes, not timings: on a loaded machine a turn taken on time may
	// still arrive late; the refusal is retried. The rate is the
	// simulation's to prove.
	t.Logf("%d copies for %d promotions, %d refused for rate", f.emu.Count("DuplicateImage", ""), pipelines*tags,
		f.emu.Count("DuplicateImage", "RequestLimitExceeded")+f.emu.Count("DescribeImages", "RequestLimitExceeded"))
}

// TestRateStoreAccount: the bucket is the account's, named by
// rate_store_key, else by the UIN in role_arn, else by STS.
func TestRateStoreAccount(t *testing.T) {
	t.Parallel()
	redis := redistest.URL(t)
	tests := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"rate_store_key", map[string]string{"PLUGIN_RATE_STORE_KEY": "platform-prod"}, "taking turns as platform-prod (from rate_store_key)"},
		{"STS", nil, "taking turns as uin-100000000001 (from STS GetCallerIdentity)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			res, _ := f.promote(t, 0, testenv.With(map[string]string{"PLUGIN_RATE_STORE": redis, "PLUGIN_STS_ENDPOINT": f.srv.URL}, tt.vars))
			if !strings.Contains(res.stdout, tt.want) {
				t.Errorf("want %q in:\n%s", tt.want, res.stdout)
			}
		})
	}
}

// TestRateStoreDown: a store that cannot be reached is warned about once;
// the promotions go on at their own pace and succeed.
func TestRateStoreDown(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	res, env := f.promote(t, 0, map[string]string{
		"PLUGIN_RATE_STORE": "redis://:hunter2-secret@" + redistest.Nowhere(t) + "/0", "PLUGIN_RATE_STORE_KEY": "down", "PLUGIN_DESTINATION_TAG": "a,b,c",
	})
	if n := strings.Count(res.stdout, "pacing on its own for the rest of the run"); n != 1 {
		t.Errorf("%d warnings that the store is down, want 1:\n%s", n, res.stdout)
	}
	if env["PROMOTED"] != "true" {
		t.Errorf("outputs %v: the store being down failed the promotions", env)
	}
	if strings.Contains(res.stdout+res.stderr, "hunter2") {
		t.Errorf("the store's password reached the log:\n%s%s", res.stdout, res.stderr)
	}
}

// TestRateStoreKeyAlone: a key without a store — the store's secret
// missing, as on a fork's pull request — is said, and the step paces on
// its own.
func TestRateStoreKeyAlone(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	res := run(t, testenv.With(f.droneVars(), map[string]string{"PLUGIN_RATE_STORE_KEY": "prod"}))
	if res.code != 0 || !strings.Contains(res.stdout, "PLUGIN_RATE_STORE_KEY is set but rate_store is not, so it is not used") {
		t.Errorf("exit %d, want 0 with a warning\n%s%s", res.code, res.stdout, res.stderr)
	}
}

// TestRateStoreSettings: what rate_store refuses, before anything is
// sent, without showing a value that may hold a password.
func TestRateStoreSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"not redis", map[string]string{"PLUGIN_RATE_STORE": "http://:hunter2@redis:6379"}, "PLUGIN_RATE_STORE is not a Redis URL"},
		{"no host", map[string]string{"PLUGIN_RATE_STORE": "redis://:hunter2@/0"}, "PLUGIN_RATE_STORE is not a Redis URL"},
		{"unknown option", map[string]string{"PLUGIN_RATE_STORE": "redis://:hunter2@redis:6379/0?bogus=1"}, "PLUGIN_RATE_STORE: redis: unexpected option: bogus"},
		{"bad key", map[string]string{"PLUGIN_RATE_STORE": "redis://redis:6379", "PLUGIN_RATE_STORE_KEY": "a b"}, `PLUGIN_RATE_STORE_KEY: "a b" is not`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			res := run(t, testenv.With(f.droneVars(), tt.vars))
			if res.code != 64 || len(f.emu.Requests()) != 0 {
				t.Errorf("exit %d with %d requests, want 64 before any", res.code, len(f.emu.Requests()))
			}
			if !strings.Contains(res.stderr, tt.want) {
				t.Errorf("want %q in:\n%s", tt.want, res.stderr)
			}
			if strings.Contains(res.stdout+res.stderr, "hunter2") {
				t.Errorf("the password was shown:\n%s", res.stderr)
			}
		})
	}
}

// TestRateStoreLate: when the account's queue in the store is longer than
// the step's timeout allows, the step says so with the figures — and
// copies nothing it could not finish — instead of waiting past its
// deadline.
func TestRateStoreLate(t *testing.T) {
	t.Parallel()
	redis := redistest.URL(t)
	key := fmt.Sprintf("late-%d", time.Now().UnixNano())
	other, err := ratestore.Open(redis, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.Use(key)
	for range 100 { // another pipeline's 100 turns: 5 s of the account's limit
		if _, err := other.Reserve(context.Background(), "DuplicateImage", 20/1.025, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	f := newFixture(t)
	res, env := f.promote(t, 75, map[string]string{
		"PLUGIN_RATE_STORE": redis, "PLUGIN_RATE_STORE_KEY": key, "PLUGIN_TIMEOUT": "2s", "PLUGIN_VERIFY": "false",
	})
	// The store's URL is a secret setting (it may hold a password): shown
	// as *** like any.
	if !strings.Contains(res.stderr, " requests of the account in *** queue before it, at 19.5/s") {
		t.Errorf("the failure does not give the store's figures:\n%s", res.stderr)
	}
	if env["ERROR_CODE"] != "ClientError.Timeout" || f.emu.Count("DuplicateImage", "") != 0 {
		t.Errorf("outputs %v, %d copies; want a timeout before any copy", env, f.emu.Count("DuplicateImage", ""))
	}
}
