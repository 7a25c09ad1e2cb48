// Package replicas waits, after the promotions, until every replica of
// the instance in another region holds each destination at its digest
// (wait_replicas): done means pullable in every region.
package replicas

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tcr-promote/tcr-promote/plugin/cilog"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/promotion"
	"github.com/tcr-promote/tcr-promote/plugin/tagread"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
	"github.com/tcr-promote/tcr-promote/plugin/tcrops"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// A promotion is done for a deploy in another region when that region's
// replica of the instance holds the destination at its digest. Whether
// DescribeImages answers for a replica (signed for its region) is not
// documented, nor the words of its sync status: a replica is read by
// DescribeImages where that answers, else by
// DescribeReplicationInstanceSyncStatus, and is called caught up only
// when one of them proves it.

// Waiter is what a wait needs: the target instance, the API client (its
// clock, and clients for each replica's region), the credentials to sign
// for them, and how long to wait.
type Waiter struct {
	Target  tcrops.Instance
	API     *tcrapi.Client
	Cred    common.CredentialIface
	Timeout time.Duration // replica_timeout
	Log     *cilog.Logger
}

// replica is one replica being waited for.
type replica struct {
	id, region string
	regionID   uint64
	at         tcrops.Instance
	noImages   bool                  // DescribeImages does not answer for it
	noSync     bool                  // its sync status cannot be read
	has        map[imageref.Ref]bool // the destinations it showed at their digests
	state      promotion.ReplicaStatus
	why        string // what the last look found, for the log and the error
	err        error  // a failure a wait cannot mend (permission)
}

// WaitReplicas waits, within replica_timeout, until every replica of the
// instance holds each destination that was promoted or already there at
// its digest, reading each replica with cred. It sets each
// result's Replicas and returns every replica's state, and the error to
// end with: ClientError.ReplicaLag for one that did not catch up.
//
// With no destination in place there is nothing to wait for: it returns
// nil states, and no replica is said to be anything.
func Wait(ctx context.Context, w Waiter, results []promotion.Result) ([]promotion.ReplicaState, error) {
	p := &w
	want := map[imageref.Ref]string{} // each destination in place, at its digest
	for _, res := range results {
		if res.Err == nil && res.Digest != "" {
			want[res.Destination] = res.Digest
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	replicas, err := p.replicas(ctx)
	if err != nil {
		return nil, failure.WithNote(err, "DescribeReplicationInstances is needed for wait_replicas")
	}
	if len(replicas) == 0 {
		p.Log.Infof("wait_replicas: %s has no replicas in other regions: nothing to wait for", p.Target.ID)
		return []promotion.ReplicaState{}, nil // none, which the output says: empty
	}
	updated := sync.OnceValue(func() map[imageref.Ref]string { return p.updateTimes(ctx, want) })
	clock := p.API.Clock()
	start := clock.Now()
	for wait := 500 * time.Millisecond; ; wait = min(wait*3/2, 5*time.Second) {
		var g sync.WaitGroup
		for _, r := range replicas {
			if r.state == promotion.ReplicaOK || r.err != nil {
				continue
			}
			g.Go(func() {
				// A bug in one look fails that replica, not the process:
				// the step's last resort sees only its own goroutine.
				defer func() {
					if v := recover(); v != nil {
						r.state, r.err = promotion.ReplicaFailed, failure.Panicked(v)
					}
				}()
				p.look(ctx, r, want, updated)
			})
		}
		g.Wait()
		behind := slices.DeleteFunc(slices.Clone(replicas), func(r *replica) bool { return r.state == promotion.ReplicaOK || r.err != nil })
		failed := !slices.ContainsFunc(behind, func(r *replica) bool { return r.state != promotion.ReplicaFailed })
		if len(behind) == 0 || failed || ctx.Err() != nil {
			break // caught up, or only failed ones left: waiting will not mend them
		}
		waited := tcrapi.Since(clock, start)
		p.Log.Infof("wait_replicas: %s behind after %s", describeBehind(behind, len(want)), waited.Round(100*time.Millisecond))
		// replica_timeout bounds the wait on the clock, as the context
		// bounds it on the wall.
		if waited >= p.Timeout || !clock.Sleep(ctx, min(wait, p.Timeout-waited)) {
			break
		}
	}
	return p.replicaOutcome(ctx, results, replicas, want)
}

// replicas lists the instance's replicas, each read with cred in its own
// region.
func (p *Waiter) replicas(ctx context.Context) ([]*replica, error) {
	list, total, err := p.Target.Replicas(ctx)
	if err != nil {
		return nil, err
	}
	if total > int64(len(list)) {
		p.Log.Warnf("wait_replicas: DescribeReplicationInstances counts %d replicas and listed %d: waiting for those listed", total, len(list))
	}
	out := make([]*replica, len(list))
	for i, r := range list {
		out[i] = &replica{id: r.ID, region: r.Region, regionID: r.RegionID,
			at: tcrops.Instance{ID: r.ID, Client: tcrops.NewClient(p.API, p.Cred, r.Region), API: p.API}, has: map[imageref.Ref]bool{}, state: promotion.ReplicaBehind}
	}
	slices.SortFunc(out, func(a, b *replica) int { return cmp.Compare(a.region, b.region) })
	return out, nil
}

// look reads how far a replica has come: by DescribeImages on it, and
// while that does not prove it caught up, by its sync status too. Either
// view may be missing (the service may not answer for a replica, or may
// not permit the sync status): the replica is caught up when one proves
// it, and fails only when neither can be read.
func (p *Waiter) look(ctx context.Context, r *replica, want map[imageref.Ref]string, updated func() map[imageref.Ref]string) {
	if !r.noImages {
		err := p.lookImages(ctx, r, want)
		if r.state == promotion.ReplicaOK {
			return
		}
		if err != nil && len(r.has) == 0 {
			p.Log.Debugf("wait_replicas: DescribeImages on %s in %s: %v; reading its sync status instead", r.id, r.region, err)
			r.noImages = true
		}
	}
	if r.noSync {
		return
	}
	if err := p.lookSync(ctx, r, want, updated); err != nil {
		r.noSync = true
		if r.noImages {
			r.state, r.err = promotion.ReplicaFailed, err
		}
	}
}

// lookImages reads each destination the replica lacks yet; one it does
// not find (not found, however TCR says so) is lacking, not an error.
func (p *Waiter) lookImages(ctx context.Context, r *replica, want map[imageref.Ref]string) error {
	var pending []imageref.Ref
	for dst := range want {
		if !r.has[dst] {
			pending = append(pending, dst)
		}
	}
	tags, err := tagread.Read(ctx, r.at, pending, p.Log)
	for _, dst := range pending {
		if t, ok := tags[dst]; ok && t.Digest == want[dst] {
			r.has[dst] = true
		}
	}
	r.why = fmt.Sprintf("holds %d of %d", len(r.has), len(want))
	if len(r.has) == len(want) {
		r.state = promotion.ReplicaOK
	}
	return err
}

// lookSync reads the replica's sync status: caught up when it says the
// sync succeeded at or after the last write of every destination.
// It returns an error that no wait mends (permission).
func (p *Waiter) lookSync(ctx context.Context, r *replica, want map[imageref.Ref]string, updated func() map[imageref.Ref]string) error {
	st, err := p.Target.SyncStatus(ctx, tcrops.Replica{ID: r.id, Region: r.region, RegionID: r.regionID})
	switch c := failure.ClassOf(err); {
	case c == failure.ClassPermission || c == failure.ClassUsage || c == failure.ClassInvalid || c == failure.ClassUnavailable:
		return failure.WithNote(err, "DescribeReplicationInstanceSyncStatus is needed for wait_replicas where DescribeImages does not answer for a replica")
	case err != nil:
		r.why = fmt.Sprintf("its sync status could not be read: %v", err)
		return nil
	}
	word, at := st.Word, st.At
	switch syncWord(word) {
	case promotion.ReplicaFailed:
		r.state, r.why = promotion.ReplicaFailed, fmt.Sprintf("its sync status is %q", word)
		return nil
	case promotion.ReplicaOK:
	default:
		r.state, r.why = promotion.ReplicaBehind, fmt.Sprintf("its sync status is %q", word)
		return nil
	}
	synced, ok := apiTime(at)
	if ok && synced.After(p.API.Clock().Now().Add(time.Hour)) {
		ok = false // hours ahead of this clock: no sync finished then
	}
	if !ok {
		r.why = fmt.Sprintf("its sync status is %q, at %q, which is not a plausible time", word, at)
		return nil
	}
	times := updated()
	for dst := range want {
		w, ok := apiTime(times[dst])
		if !ok || synced.Before(w) {
			r.state, r.why = promotion.ReplicaBehind, fmt.Sprintf("its last sync finished at %s, before %s was written (%q)", at, dst, times[dst])
			return nil
		}
	}
	for dst := range want {
		r.has[dst] = true
	}
	r.state, r.why = promotion.ReplicaOK, fmt.Sprintf("its sync status is %q, at %s", word, at)
	return nil
}

// updateTimes reads when each destination was last written, for the sync
// status to be compared with; one not at its digest is left out: the
// replica cannot be proved to hold it.
func (p *Waiter) updateTimes(ctx context.Context, want map[imageref.Ref]string) map[imageref.Ref]string {
	refs := make([]imageref.Ref, 0, len(want))
	for dst := range want {
		refs = append(refs, dst)
	}
	tags, _ := tagread.Read(ctx, p.Target, refs, p.Log)
	out := map[imageref.Ref]string{}
	for dst, digest := range want {
		if t, ok := tags[dst]; ok && t.Digest == digest {
			out[dst] = t.Updated
		}
	}
	return out
}

// syncWord reads a ReplicationStatus: ok, failed, or "" for anything else
// (in progress, or a word not known), which is never taken for done.
func syncWord(s string) promotion.ReplicaStatus {
	w := strings.ToLower(strings.NewReplacer("_", "", "-", "", " ", "").Replace(s))
	switch w {
	case "success", "succeed", "succeeded", "successful", "completed", "complete", "finished", "done", "synced":
		return promotion.ReplicaOK
	case "failed", "failure", "fail", "error", "failedsync":
		return promotion.ReplicaFailed
	}
	return ""
}

// beijing is the zone of the Tencent Cloud API's times written without
// one (2006-01-02 15:04:05).
var beijing = time.FixedZone("UTC+8", 8*3600)

// apiTime reads a time as the API writes them: RFC 3339, or without a
// zone in Beijing time.
func apiTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.ParseInLocation(layout, s, beijing); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// describeBehind names the replicas still behind, for the progress line.
func describeBehind(behind []*replica, want int) string {
	parts := make([]string, len(behind))
	for i, r := range behind {
		parts[i] = fmt.Sprintf("%s (%s: %s)", r.region, r.state, r.why)
	}
	return fmt.Sprintf("%d replica(s) of %d destination(s): %s", len(behind), want, cilog.Few(parts, 5, "; "))
}

// replicaOutcome sets each result's replica states and returns every
// replica's, and the error: a failure no wait could mend as it is, else
// ClientError.ReplicaLag naming each replica and what it lacks.
func (p *Waiter) replicaOutcome(ctx context.Context, results []promotion.Result, replicas []*replica, want map[imageref.Ref]string) ([]promotion.ReplicaState, error) {
	states := make([]promotion.ReplicaState, len(replicas))
	var lagging []string
	var hard error
	for i, r := range replicas {
		states[i] = promotion.ReplicaState{Region: r.region, ID: r.id, State: r.state}
		switch {
		case r.state == promotion.ReplicaOK:
			continue
		case r.err != nil:
			hard = cmp.Or(hard, r.err)
		}
		var lacks []string
		for dst, digest := range want {
			if !r.has[dst] {
				lacks = append(lacks, dst.String()+"@"+digest)
			}
		}
		slices.Sort(lacks)
		// A file's thousand destinations, or an instance's thousand
		// replicas, would make the message and GitHub's annotation
		// megabytes.
		lagging = append(lagging, fmt.Sprintf("%s (%s) %s, lacking %s (%s)", r.region, r.id, r.state, cilog.Few(lacks, 5, ", "), r.why))
	}
	for i := range results {
		if _, ok := want[results[i].Destination]; !ok {
			continue
		}
		for _, r := range replicas {
			st := r.state
			if r.has[results[i].Destination] {
				st = promotion.ReplicaOK
			}
			results[i].Replicas = append(results[i].Replicas, promotion.ReplicaState{Region: r.region, ID: r.id, State: st})
		}
	}
	if hard != nil {
		return states, hard
	}
	if len(lagging) == 0 {
		p.Log.Infof("wait_replicas: every replica (%d) holds the %d destination(s)", len(states), len(want))
		return states, nil
	}
	if errors.Is(context.Cause(ctx), context.Canceled) {
		return states, tcrapi.Stopped(ctx, "DescribeImages")
	}
	return states, &failure.Error{Class: failure.ClassTemporary, Code: failure.CodeReplicaLag, Message: fmt.Sprintf(
		"not every replica caught up within replica_timeout (%s): %s; the promotions themselves are done", p.Timeout, cilog.Few(lagging, 5, "; ")),
		Hint: "a deploy in those regions may still pull the old image: re-run the step to wait again (it finds the promotions in place), or raise replica_timeout"}
}
