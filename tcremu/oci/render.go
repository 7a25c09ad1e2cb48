package oci

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
)

// Render writes the manifest JSON an image of these platforms
// (os/arch[/variant]) and labels would have, as DescribeImageManifests
// returns it for digest, and for an image its config JSON; an index of
// several platforms has no config of its own. Its blobs' digests are
// derived from digest: the API shows them, no registry serves them.
func Render(digest string, platforms []string, labels map[string]string) (manifest, config string) {
	platform := func(p string) map[string]string {
		parts := strings.SplitN(p, "/", 3)
		out := map[string]string{"os": parts[0]}
		if len(parts) > 1 {
			out["architecture"] = parts[1]
		}
		if len(parts) > 2 {
			out["variant"] = parts[2]
		}
		return out
	}
	derived := func(what string) string {
		sum := sha256.Sum256([]byte(what + digest))
		return "sha256:" + hex.EncodeToString(sum[:])
	}
	if len(platforms) > 1 {
		var manifests []map[string]any
		for _, p := range platforms {
			manifests = append(manifests, map[string]any{
				"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": derived(p), "size": 1024, "platform": platform(p),
			})
		}
		b, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests})
		return string(b), ""
	}
	b, _ := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": derived("config"), "size": 512},
		"layers": []map[string]any{{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": derived("layer"), "size": 4096}},
	})
	cfg := platform(platforms[0])
	conf := map[string]any{"os": cfg["os"], "architecture": cfg["architecture"], "config": map[string]any{"Labels": labels}}
	if v := cfg["variant"]; v != "" {
		conf["variant"] = v
	}
	c, _ := json.Marshal(conf)
	return string(b), string(c)
}
