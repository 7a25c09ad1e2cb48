package replicas

import (
	"testing"
	"time"

	"github.com/tcr-promote/tcr-promote/plugin/promotion"
)

// TestSyncWord: only words that say done are done; anything unknown is
// still syncing, never taken for done.
func TestSyncWord(t *testing.T) {
	t.Parallel()
	tests := map[string]promotion.ReplicaStatus{
		"Success": "ok", "SUCCESS": "ok", "Succeed": "ok", "succeeded": "ok", "Completed": "ok", "synced": "ok",
		"Failed": "failed", "FAILURE": "failed", "Error": "failed",
		"Syncing": "", "Running": "", "IN_PROGRESS": "", "": "", "Success?": "", "not success": "",
	}
	for word, want := range tests {
		if got := syncWord(word); got != want {
			t.Errorf("syncWord(%q) = %q, want %q", word, got, want)
		}
	}
}

// TestAPITime: the API's times, with a zone or in Beijing time without.
func TestAPITime(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-12-02T01:00:00Z", at, true},
		{"2026-12-02T01:00:00.207374Z", at.Add(207374 * time.Microsecond), true},
		{"2026-12-02T09:00:00+08:00", at, true},
		{"2026-12-02 09:00:00", at, true}, // Beijing time, no zone
		{"2026-12-02T09:00:00", at, true},
		{"2026-12-02 09:00:00.5", at.Add(500 * time.Millisecond), true},
		{"yesterday", time.Time{}, false},
		{"", time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := apiTime(tt.in)
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("apiTime(%q) = %v, %t; want %v, %t", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	// A sync written in Beijing time a second after a write written in
	// UTC is after it.
	synced, _ := apiTime("2026-12-02 09:00:01")
	if written, _ := apiTime("2026-12-02T01:00:00Z"); synced.Before(written) {
		t.Errorf("%v is before %v", synced, written)
	}
}
