package ratestore_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/internal/redistest"
	"github.com/tcr-promote/tcr-promote/plugin/cilog"
	"github.com/tcr-promote/tcr-promote/plugin/pace"
	"github.com/tcr-promote/tcr-promote/plugin/ratestore"
)

func TestMain(m *testing.M) { os.Exit(redistest.Run(m)) }

// open returns a store on the test Redis for an account of the test's
// own, so that tests sharing the server never share a bucket.
func open(t *testing.T) *ratestore.Store {
	t.Helper()
	s, err := ratestore.Open(redistest.URL(t), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	s.Use(fmt.Sprintf("%s-%d", t.Name(), time.Now().UnixNano()))
	return s
}

// TestReserveTakesTurns: reservations made at once are handed successive
// turns, one interval apart on the server's clock, each told how many
// are ahead of it.
func TestReserveTakesTurns(t *testing.T) {
	t.Parallel()
	s := open(t)
	ctx := context.Background()
	const perSecond = 20.0
	var got []int
	var waits []time.Duration
	for range 5 {
		r, err := s.Reserve(ctx, "DuplicateImage", perSecond, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Booked {
			t.Fatalf("not booked: %+v", r)
		}
		got = append(got, r.Ahead)
		waits = append(waits, r.Wait)
	}
	if diff := cmp.Diff([]int{0, 1, 2, 3, 4}, got); diff != "" {
		t.Errorf("turns ahead (-want +got):\n%s", diff)
	}
	// Each wait is the previous one plus an interval, less the time the
	// calls themselves took (a few ms on loopback).
	for i := 1; i < len(waits); i++ {
		if gap := waits[i] - waits[i-1]; gap > 50*time.Millisecond || gap < 40*time.Millisecond {
			t.Errorf("turn %d is %s after turn %d, want about 50ms", i, gap, i-1)
		}
	}
}

// TestReserveWithin: a turn that would come too late is not booked, and
// the bucket stays as it was, so that the next caller is not held back by
// a turn nobody will take.
func TestReserveWithin(t *testing.T) {
	t.Parallel()
	s := open(t)
	ctx := context.Background()
	for range 10 { // 10 turns at 2/s: the next is 5 s away
		if _, err := s.Reserve(ctx, "DuplicateImage", 2, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	r, err := s.Reserve(ctx, "DuplicateImage", 2, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if r.Booked || r.Ahead != 10 || r.Wait < 4*time.Second {
		t.Errorf("got %+v, want not booked, 10 ahead, about 5s away", r)
	}
	if r2, _ := s.Reserve(ctx, "DuplicateImage", 2, time.Minute); r2.Ahead != 10 {
		t.Errorf("after a refused booking, %d ahead, want 10: it advanced the bucket", r2.Ahead)
	}
}

// TestBucketsPerAccountAndAction: one account's DuplicateImage turns do not
// hold back its DescribeImages, nor another account's.
func TestBucketsPerAccountAndAction(t *testing.T) {
	t.Parallel()
	a, b := open(t), open(t)
	ctx := context.Background()
	for range 3 {
		_, _ = a.Reserve(ctx, "DuplicateImage", 1, time.Minute)
	}
	for _, tt := range []struct {
		name   string
		s      *ratestore.Store
		action string
	}{{"other action", a, "DescribeImages"}, {"other account", b, "DuplicateImage"}} {
		if r, err := tt.s.Reserve(ctx, tt.action, 1, time.Minute); err != nil || r.Ahead != 0 {
			t.Errorf("%s: %+v, %v; want a turn now", tt.name, r, err)
		}
	}
	if !strings.HasPrefix(a.Key("DuplicateImage"), "tcr-promote:{") {
		t.Errorf("key %q: want the account in braces, one Cluster slot per account", a.Key("DuplicateImage"))
	}
}

// TestOpen: what rate_store accepts, and that the password never shows.
func TestOpen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url, where string
		bad        bool
	}{
		{url: "redis://redis.internal:6379/0", where: "redis://redis.internal:6379/0"},
		{url: "rediss://:s3cret@redis.internal:6380/1", where: "rediss://:xxxxx@redis.internal:6380/1"},
		{url: "redis://redis-a:6379?addr=redis-b:6379&addr=redis-c:6379", where: "redis://redis-a:6379?addr=redis-b:6379&addr=redis-c:6379"},
		{url: "redis://sentinel-a:26379?master_name=tcr&addr=sentinel-b:26379", where: "redis://sentinel-a:26379?master_name=tcr&addr=sentinel-b:26379"},
		{url: "redis://redis.internal:6379/0?bogus=1", bad: true},
		{url: "http://redis.internal:6379", bad: true},
	}
	for _, tt := range tests {
		s, err := ratestore.Open(tt.url, "", nil)
		if tt.bad {
			if err == nil {
				t.Errorf("%s: accepted", tt.url)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.url, err)
			continue
		}
		if s.Where() != tt.where {
			t.Errorf("%s: Where() = %q, want %q", tt.url, s.Where(), tt.where)
		}
		_ = s.Close()
	}
}

// TestLimitersShareTheStore: two runs of one account, each with its own
// limiter, take turns from the store: together never more than the
// ceiling, each about half, and each knows its share.
func TestLimitersShareTheStore(t *testing.T) {
	t.Parallel()
	url := redistest.URL(t)
	account := fmt.Sprintf("shared-%d", time.Now().UnixNano())
	log := cilog.New(io.Discard, io.Discard, false)
	var limiters []*pace.Limiter
	for range 2 {
		s, err := ratestore.Open(url, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		s.Use(account)
		limiters = append(limiters, pace.NewLimiter("DuplicateImage", 20, true, log, s))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var mu sync.Mutex
	var sent []time.Time
	count := make([]int, 2)
	var wg sync.WaitGroup
	start := time.Now()
	for i, l := range limiters {
		for range 3 { // three requests in flight per run
			wg.Go(func() {
				for {
					turn, err := l.Wait(ctx)
					if err != nil {
						t.Error(err)
						return
					}
					l.Accepted(turn)
					mu.Lock()
					if len(sent) >= 40 {
						mu.Unlock()
						return
					}
					sent = append(sent, turn.At)
					count[i]++
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	for i := 20; i < len(sent); i++ {
		if d := sent[i].Sub(sent[i-20]); d < time.Second {
			t.Errorf("requests %d and %d went %s apart: 21 in a second", i-20, i, d)
		}
	}
	if count[0] < 15 || count[1] < 15 {
		t.Errorf("shares %v of 40, want about half each", count)
	}
	if r := limiters[0].Rate(); r > 15 {
		t.Errorf("a run sharing the store with another thinks it may send %.1f/s", r)
	}
	t.Logf("40 turns in %s: %v", time.Since(start), count)
}

// TestStoreDown: a store that cannot be reached is warned about once, and
// the run goes on at its own pace.
func TestStoreDown(t *testing.T) {
	t.Parallel()
	s, err := ratestore.Open("redis://"+redistest.Nowhere(t)+"/0", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Use("down")
	var out bytes.Buffer
	lim := pace.NewLimiter("DuplicateImage", 20, true, cilog.New(&out, &out, false), s)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 5 {
		turn, err := lim.Wait(ctx)
		if err != nil {
			t.Fatalf("a request failed because the store is down: %v", err)
		}
		lim.Accepted(turn)
	}
	if n := strings.Count(out.String(), "rate_store"); n != 1 || !strings.Contains(out.String(), "on its own") {
		t.Errorf("want one warning that the run paces on its own, got:\n%s", out.String())
	}
}
