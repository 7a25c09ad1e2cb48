package kmssign_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tcr-promote/tcr-promote/internal/testclock"
	"github.com/tcr-promote/tcr-promote/plugin/cilog"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/kmssign"
	"github.com/tcr-promote/tcr-promote/plugin/tcrops"
)

// fake is an instance whose tag prd points at digest; a signature asked
// for shows after shows reads.
type fake struct {
	digest, kms string
	shows       int
	reads, asks int
}

func (f *fake) Images(_ context.Context, ns, repo string, q tcrops.Query) ([]tcrops.Tag, int64, string, error) {
	f.reads++
	kms := f.kms
	if f.asks > 0 && f.reads > f.shows {
		kms = "kms:key:1"
	}
	return []tcrops.Tag{{Name: q.Tag, Digest: f.digest, KMS: kms}}, 1, "", nil
}

func (f *fake) NamespaceExists(context.Context, string, bool) (bool, error) { return true, nil }

func (f *fake) CreateSignature(context.Context, imageref.Ref) (string, error) {
	f.asks++
	return "req-sign", nil
}

// TestSign: signed already, nothing asked; asked and shown within the
// lag; asked and not shown (a temporary failure with the RequestId); the
// tag moved before it could be signed (a conflict).
func TestSign(t *testing.T) {
	t.Parallel()
	dst := imageref.Ref{Namespace: "release", Repo: "app", Tag: "prd"}
	tests := []struct {
		name     string
		f        fake
		digest   string // what the promotion copied
		wantID   string
		wantCode string
		asks     int
	}{
		{name: "signed by the policy already", f: fake{digest: "sha256:a", kms: "kms:key:0"}, digest: "sha256:a"},
		{name: "signed, shown on the third read", f: fake{digest: "sha256:a", shows: 3}, digest: "sha256:a", wantID: "req-sign", asks: 1},
		{name: "never shown", f: fake{digest: "sha256:a", shows: 1 << 30}, digest: "sha256:a", wantID: "req-sign", wantCode: failure.CodeSignatureLag, asks: 1},
		{name: "moved before signing", f: fake{digest: "sha256:b"}, digest: "sha256:a", wantCode: failure.CodeDestinationChanged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := tt.f
			s := kmssign.New(&f, testclock.New(), 10*time.Second, cilog.New(&strings.Builder{}, &strings.Builder{}, false))
			id, err := s.Sign(context.Background(), dst, tt.digest)
			if id != tt.wantID || failure.CodeOf(err) != tt.wantCode || f.asks != tt.asks {
				t.Errorf("Sign = %q, %v (%d asked); want %q, code %q (%d asked)", id, err, f.asks, tt.wantID, tt.wantCode, tt.asks)
			}
		})
	}
}
