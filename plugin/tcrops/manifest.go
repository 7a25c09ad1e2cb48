package tcrops

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/tcr-promote/tcr-promote/internal/tcr"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// Manifest is what an image is, as DescribeImageManifests tells it.
type Manifest struct {
	Platforms []string          // os/arch[/variant], one for an image, each image's for an index
	Index     bool              // an index (a multi-arch image)
	Labels    map[string]string // the labels read
	From      string            // where they were read, for messages
}

// Manifest reads ref's manifest.
func (in Instance) Manifest(ctx context.Context, ref imageref.Ref) (Manifest, error) {
	m, _, err := tcrapi.Do(tcrapi.About(ctx, ref.String()), in.API, "DescribeImageManifests", func(ctx context.Context) (Manifest, string, error) {
		req := tcr.NewDescribeImageManifestsRequest()
		req.RegistryId = common.StringPtr(in.ID)
		req.NamespaceName = common.StringPtr(ref.Namespace)
		req.RepositoryName = common.StringPtr(ref.Repo)
		req.ImageVersion = common.StringPtr(ref.Tag)
		resp, err := in.Client.DescribeImageManifestsWithContext(ctx, req)
		if err != nil {
			return Manifest{}, "", err
		}
		id, err := tcrapi.Answered(resp.Response, func(r *tcr.DescribeImageManifestsResponseParams) *string { return r.RequestId })
		if err != nil {
			return Manifest{}, "", err
		}
		labels := map[string]string{}
		for _, kv := range resp.Response.Labels {
			if kv != nil && kv.Key != nil {
				labels[*kv.Key] = tcrapi.Field(kv.Value)
			}
		}
		m, err := ParseManifest(tcrapi.Field(resp.Response.Manifest), tcrapi.Field(resp.Response.Config), labels)
		return m, id, err
	})
	return m, err
}

// ParseManifest reads the platforms from a manifest (an index lists its
// images') or the image config, and the labels from TCR's Labels, else
// from the config.
func ParseManifest(manifestJSON, configJSON string, labels map[string]string) (Manifest, error) {
	var m struct {
		MediaType string `json:"mediaType"`
		Manifests []struct {
			Platform *platform `json:"platform"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal([]byte(manifestJSON), &m); err != nil {
		return Manifest{}, tcrapi.BadAnswer("DescribeImageManifests gave a Manifest that is not JSON: %v", err)
	}
	var out Manifest
	if len(m.Manifests) > 0 || strings.Contains(m.MediaType, "index") || strings.Contains(m.MediaType, "manifest.list") {
		out.Index = true
		for _, im := range m.Manifests {
			if im.Platform != nil && im.Platform.valid() && im.Platform.OS != "unknown" { // unknown/unknown: attestations
				out.Platforms = append(out.Platforms, im.Platform.String())
			}
		}
	}
	var c struct {
		platform
		Config struct {
			Labels map[string]string `json:"Labels"`
		} `json:"config"`
	}
	if configJSON != "" {
		if err := json.Unmarshal([]byte(configJSON), &c); err != nil {
			return Manifest{}, tcrapi.BadAnswer("DescribeImageManifests gave a Config that is not JSON: %v", err)
		}
		if !out.Index && c.platform.valid() {
			out.Platforms = []string{c.platform.String()}
		}
	}
	out.Labels, out.From = map[string]string{}, "TCR's Labels"
	for k, v := range labels {
		out.Labels[k] = v
	}
	if len(out.Labels) == 0 && len(c.Config.Labels) > 0 {
		out.Labels, out.From = c.Config.Labels, "the image config"
	}
	if out.Index && len(out.Labels) == 0 {
		out.From = "an index (" + strings.Join(out.Platforms, ", ") + "), for which TCR gives no labels"
	}
	for k, v := range out.Labels {
		if len(k) > 256 || len(v) > 4096 {
			return Manifest{}, tcrapi.BadAnswer("DescribeImageManifests gave a label of %d+%d bytes", len(k), len(v))
		}
	}
	return out, nil
}

type platform struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	Variant      string `json:"variant"`
}

func (p platform) valid() bool {
	ok := func(s string) bool {
		return s != "" && len(s) <= 32 && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == ""
	}
	return ok(p.OS) && ok(p.Architecture) && (p.Variant == "" || ok(p.Variant))
}

func (p platform) String() string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}
