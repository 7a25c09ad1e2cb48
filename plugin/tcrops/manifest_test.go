package tcrops_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/plugin/tcrops"
)

// TestParseManifest: what an image or an index says of its platforms and
// labels, whatever shape TCR gives them in.
func TestParseManifest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		manifest, config string
		labels           map[string]string
		want             tcrops.Manifest
		bad              bool
	}{
		{name: "an image: platform and labels from the config",
			manifest: `{"mediaType":"application/vnd.oci.image.manifest.v1+json"}`, config: `{"os":"linux","architecture":"arm64","variant":"v8","config":{"Labels":{"a":"1"}}}`,
			want: tcrops.Manifest{Platforms: []string{"linux/arm64/v8"}, Labels: map[string]string{"a": "1"}, From: "the image config"}},
		{name: "TCR's Labels first",
			manifest: `{}`, config: `{"os":"linux","architecture":"amd64","config":{"Labels":{"a":"1"}}}`, labels: map[string]string{"b": "2"},
			want: tcrops.Manifest{Platforms: []string{"linux/amd64"}, Labels: map[string]string{"b": "2"}, From: "TCR's Labels"}},
		{name: "an index: its images' platforms, attestations left out",
			manifest: `{"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"platform":{"os":"linux","architecture":"amd64"}},{"platform":{"os":"unknown","architecture":"unknown"}},{"platform":{"os":"linux","architecture":"arm64"}}]}`,
			want:     tcrops.Manifest{Platforms: []string{"linux/amd64", "linux/arm64"}, Index: true, Labels: map[string]string{}, From: "an index (linux/amd64, linux/arm64), for which TCR gives no labels"}},
		{name: "Docker's manifest list",
			manifest: `{"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[{"platform":{"os":"windows","architecture":"amd64"}}]}`,
			want:     tcrops.Manifest{Platforms: []string{"windows/amd64"}, Index: true, Labels: map[string]string{}, From: "an index (windows/amd64), for which TCR gives no labels"}},
		{name: "a platform that is not one is left out",
			manifest: `{"manifests":[{"platform":{"os":"linux\n::error::x","architecture":"amd64"}}]}`,
			want:     tcrops.Manifest{Index: true, Labels: map[string]string{}, From: "an index (), for which TCR gives no labels"}},
		{name: "not JSON", manifest: `<html>`, bad: true},
		{name: "a config that is not JSON", manifest: `{}`, config: `{`, bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tcrops.ParseManifest(tt.manifest, tt.config, tt.labels)
			if (err != nil) != tt.bad {
				t.Fatalf("err = %v, want bad %t", err, tt.bad)
			}
			if diff := cmp.Diff(tt.want, got); !tt.bad && diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
