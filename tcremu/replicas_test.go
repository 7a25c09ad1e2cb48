package tcremu_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/tcremu"
)

// TestReplicas: a replica holds what the main instance held lag ago; it
// is listed by DescribeReplicationInstances, its sync status says whether
// it caught up (in the behaviour's words) and when, and DescribeImages
// answers for it in its region only where the behaviour lets replicas
// answer.
func TestReplicas(t *testing.T) {
	t.Parallel()
	for _, b := range tcremu.Behaviours() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			// A clock of whole seconds, moved on by the test; signatures
			// stay within their window.
			start := time.Now().UTC().Truncate(time.Second)
			var passed atomic.Int64
			advance := func(d time.Duration) { passed.Add(int64(d)) }
			emu, srv := fixture(t, tcremu.WithBehaviour(b), tcremu.WithClock(func() time.Time { return start.Add(time.Duration(passed.Load())) }))
			if err := emu.AddReplica("tcr-1", "tcr-1-sg", "ap-singapore", 10*time.Second); err != nil {
				t.Fatal(err)
			}
			c := sdkClient(srv, secretID, secretKey, nil)
			list, code := send(c, "DescribeReplicationInstances", map[string]any{"RegistryId": "tcr-1"})
			if code != "" {
				t.Fatal(code)
			}
			want := []any{map[string]any{"RegistryId": "tcr-1", "ReplicationRegistryId": "tcr-1-sg", "ReplicationRegionId": float64(9),
				"ReplicationRegionName": "ap-singapore", "Status": "Running", "CreatedAt": start.Format(time.RFC3339)}}
			if diff := cmp.Diff(want, list["ReplicationRegistries"]); diff != "" {
				t.Errorf("replicas (-want +got):\n%s", diff)
			}
			status := func() (string, string) {
				t.Helper()
				st, code := send(c, "DescribeReplicationInstanceSyncStatus", map[string]any{"RegistryId": "tcr-1", "ReplicationRegistryId": "tcr-1-sg"})
				if code != "" {
					t.Fatal(code)
				}
				return st["ReplicationStatus"].(string), st["ReplicationTime"].(string)
			}
			onReplica := func() string {
				t.Helper()
				imgs, code := send(sdkClientIn(srv, "ap-singapore"), "DescribeImages", map[string]any{"RegistryId": "tcr-1-sg", "NamespaceName": "develop", "RepositoryName": "app", "ImageVersion": "stg", "ExactMatch": true})
				if code != "" {
					return code
				}
				if l := imgs["ImageInfoList"].([]any); len(l) == 1 {
					return l[0].(map[string]any)["Digest"].(string)
				}
				return "none"
			}

			// The scene was set before the replica: it is there at once
			// to DescribeImages, and synced once its lag has passed.
			if w, _ := status(); w != b.SyncWords[1] {
				t.Errorf("sync status %q at once, want %q", w, b.SyncWords[1])
			}
			advance(11 * time.Second)
			beijing := start.Add(10 * time.Second).In(time.FixedZone("", 8*3600)).Format(time.DateTime)
			if w, at := status(); w != b.SyncWords[0] || at != beijing {
				t.Errorf("sync status %q at %q, want %q at %s (Beijing time, no zone)", w, at, b.SyncWords[0], beijing)
			}
			// A push on the main instance reaches the replica lag later.
			if err := emu.PutImage("tcr-1", "develop", "app", "stg", digestB); err != nil {
				t.Fatal(err)
			}
			wantSeen := map[bool][2]string{true: {digestA, digestB}, false: {"ResourceNotFound", "ResourceNotFound"}}[b.ReplicaImages]
			if got, w := onReplica(), wantSeen[0]; got != w || status0(status) != b.SyncWords[1] {
				t.Errorf("right after the push: the replica shows %s (want %s), syncing %q", got, w, status0(status))
			}
			advance(11 * time.Second)
			if got, w := onReplica(), wantSeen[1]; got != w || status0(status) != b.SyncWords[0] {
				t.Errorf("after the lag: the replica shows %s (want %s), synced %q", got, w, status0(status))
			}
			emu.FailReplica("tcr-1-sg")
			if w, _ := status(); w != b.SyncWords[2] {
				t.Errorf("a failed replica's status %q, want %q", w, b.SyncWords[2])
			}
		})
	}
}

func status0(f func() (string, string)) string { s, _ := f(); return s }
