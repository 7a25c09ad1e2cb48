package supply_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/settings"
	"github.com/tcr-promote/tcr-promote/plugin/supply"
)

const digest = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

func TestGates(t *testing.T) {
	t.Parallel()
	rev := []settings.Label{{Key: "rev", Value: "abc"}}
	tests := []struct {
		name   string
		s      settings.Supply
		src    supply.Source
		passed []bool
		code   string // "" when the gates pass
	}{
		{"no gate", settings.Supply{}, supply.Source{}, nil, ""},
		{"kms wanted, KMS-signed", settings.Supply{RequireSignature: "kms"}, supply.Source{KMS: "k"}, []bool{true}, ""},
		{"kms wanted, cosign only", settings.Supply{RequireSignature: "kms"}, supply.Source{CosignTag: true}, []bool{false}, failure.CodeUnsigned},
		{"cosign wanted, cosign tag", settings.Supply{RequireSignature: "cosign"}, supply.Source{CosignTag: true}, []bool{true}, ""},
		{"any, none", settings.Supply{RequireSignature: "any"}, supply.Source{}, []bool{false}, failure.CodeUnsigned},
		{"any, KMS", settings.Supply{RequireSignature: "any"}, supply.Source{KMS: "k"}, []bool{true}, ""},
		{"labels match", settings.Supply{RequireLabels: rev}, supply.Source{Labels: map[string]string{"rev": "abc", "x": "y"}}, []bool{true}, ""},
		{"label differs", settings.Supply{RequireLabels: rev}, supply.Source{Labels: map[string]string{"rev": "def"}}, []bool{false}, failure.CodeLabelMismatch},
		{"both fail: the signature's code", settings.Supply{RequireSignature: "kms", RequireLabels: rev}, supply.Source{}, []bool{false, false}, failure.CodeUnsigned},
		{"signed, label absent", settings.Supply{RequireSignature: "kms", RequireLabels: rev}, supply.Source{KMS: "k"}, []bool{true, false}, failure.CodeLabelMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.src.Digest, tt.src.Image = digest, "develop/app:stg"
			checks, err := supply.Gates(tt.s, tt.src)
			var passed []bool
			for _, c := range checks {
				passed = append(passed, c.Passed)
			}
			if diff := cmp.Diff(tt.passed, passed); diff != "" {
				t.Errorf("checks passed (-want +got):\n%s", diff)
			}
			e, _ := errors.AsType[*failure.Error](err)
			switch {
			case tt.code == "" && err != nil:
				t.Errorf("Gates: %v, want a pass", err)
			case tt.code != "" && (e == nil || e.Code != tt.code || e.Class != failure.ClassPolicy):
				t.Errorf("Gates: %v, want a policy refusal %s", err, tt.code)
			}
		})
	}
}

func TestAccessoryTags(t *testing.T) {
	t.Parallel()
	hex := digest[len("sha256:"):]
	want := []string{"sha256-" + hex + ".sig", "sha256-" + hex + ".att", "sha256-" + hex + ".sbom"}
	if diff := cmp.Diff(want, supply.AccessoryTags(digest)); diff != "" {
		t.Errorf("AccessoryTags (-want +got):\n%s", diff)
	}
	if got := supply.AccessoryTags("sha512:ab"); got != nil {
		t.Errorf("AccessoryTags(sha512) = %v, want none", got)
	}
}

// TestNeedsReferrers: the registry is read only when a referrer could
// pass a gate that what the API showed does not pass.
func TestNeedsReferrers(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		want      string
		kms       string
		cosignTag bool
		needs     bool
	}{
		{"", "", false, false},
		{"kms", "", false, false},
		{"cosign", "", false, true},
		{"cosign", "", true, false},
		{"cosign", "k", false, true},
		{"notation", "k", true, true},
		{"any", "", false, true},
		{"any", "k", false, false},
		{"any", "", true, false},
	} {
		if got := supply.NeedsReferrers(tt.want, tt.kms, tt.cosignTag); got != tt.needs {
			t.Errorf("NeedsReferrers(%q, %q, %v) = %v, want %v", tt.want, tt.kms, tt.cosignTag, got, tt.needs)
		}
	}
}
