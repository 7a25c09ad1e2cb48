package decode_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/plugin/settings/decode"
)

// TestDecode: each type keeps what was wrong instead of failing, so that
// every problem of a run is told at once.
func TestDecode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	type got struct {
		Value any
		Bad   bool
	}
	tests := []struct {
		name   string
		decode func() got
		want   got
	}{
		{"bool", func() got { var b decode.Bool; _ = b.EnvDecode(ctx, "TRUE"); return got{b.Value, b.Problem() != ""} }, got{true, false}},
		{"bool, not one", func() got {
			var b decode.Bool
			_ = b.EnvDecode(ctx, "yes please")
			return got{b.Value, b.Problem() != ""}
		}, got{false, true}},
		{"duration", func() got { var d decode.Duration; _ = d.EnvDecode(ctx, "1m30s"); return got{d.Value, d.Bad} }, got{90 * time.Second, false}},
		{"duration in seconds", func() got { var d decode.Duration; _ = d.EnvDecode(ctx, "90"); return got{d.Value, d.Bad} }, got{90 * time.Second, false}},
		{"duration, negative", func() got { var d decode.Duration; _ = d.EnvDecode(ctx, "-5s"); return got{d.Value, d.Bad} }, got{-5 * time.Second, true}},
		{"duration, past 292 years", func() got { var d decode.Duration; _ = d.EnvDecode(ctx, "9223372037"); return got{d.Value != 0, d.Bad} }, got{true, true}},
		{"count", func() got { var c decode.Count; _ = c.EnvDecode(ctx, "5"); return got{c.Value, c.Bad} }, got{5, false}},
		{"count, not one", func() got { var c decode.Count; _ = c.EnvDecode(ctx, "five"); return got{c.Value, c.Bad} }, got{0, true}},
		{"list, commas and lines", func() got {
			var l decode.List
			_ = l.EnvDecode(ctx, "a, b\n\nc,a")
			return got{l.Items, l.Problem() != ""}
		},
			got{[]string{"a", "b", "c", "a"}, false}},
		{"list, JSON", func() got {
			var l decode.List
			_ = l.EnvDecode(ctx, ` ["a","b"] `)
			return got{l.Items, l.Problem() != ""}
		}, got{[]string{"a", "b"}, false}},
		{"list, bad JSON", func() got {
			var l decode.List
			_ = l.EnvDecode(ctx, `["a",`)
			return got{len(l.Items), l.Problem() != ""}
		}, got{0, true}},
		{"list, nothing in it", func() got { var l decode.List; _ = l.EnvDecode(ctx, " , "); return got{l.Set(), l.Problem() != ""} }, got{true, true}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.decode()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}
