package crossing

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestProgressLine: what a long copy says every few seconds.
func TestProgressLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		blobs, bytes int64
		elapsed      time.Duration
		want         string
	}{
		{0, 0, 0, "copying app: 0 blobs, 0 B moved (0 B/s)"},
		{0, 999, time.Second, "copying app: 0 blobs, 999 B moved (999 B/s)"},
		{2, 150_000_000, 5 * time.Second, "copying app: 2 blobs, 150.0 MB moved (30.0 MB/s)"},
		{40, 3_200_000_000, 10 * time.Second, "copying app: 40 blobs, 3.2 GB moved (320.0 MB/s)"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, progressLine("app", tt.blobs, tt.bytes, tt.elapsed)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	}
}
