package oci

import (
	"encoding/json"
	"slices"
	"strings"
)

// Artifact types of the signatures and documents the emulator's users
// attach, as their tools push them.
const (
	TypeCosignBundle = "application/vnd.dev.sigstore.bundle.v0.3+json" // cosign v3 (--new-bundle-format)
	TypeNotation     = "application/vnd.cncf.notary.signature"
	TypeSPDX         = "application/spdx+json"
	TypeInToto       = "application/vnd.in-toto+json"
)

// Attach stores, in repository name, an artifact that refers to subject
// the way cosign v3 and Notation push one: an image manifest with the
// empty config, content as its one layer, artifactType and subject set.
// It returns the artifact's descriptor. It does not touch the fallback
// tag: a registry with the referrers API lists it by itself; for one
// without, ListInFallback writes what a client would.
func (s *Store) Attach(name string, subject Descriptor, artifactType, layerType string, content []byte) (Descriptor, error) {
	empty := s.PutBlob(name, []byte("{}"))
	layer := s.PutBlob(name, content)
	m := map[string]any{
		"schemaVersion": 2,
		"mediaType":     MediaOCIManifest,
		"artifactType":  artifactType,
		"config":        Descriptor{MediaType: MediaEmptyConfig, Digest: empty, Size: 2},
		"layers":        []Descriptor{{MediaType: layerType, Digest: layer, Size: int64(len(content))}},
		"subject":       Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size},
		"annotations":   map[string]string{"org.opencontainers.image.created": "2026-12-01T00:00:00Z"},
	}
	body, err := json.Marshal(m)
	if err != nil {
		return Descriptor{}, err
	}
	d, err := s.PutManifest(name, Digest(body), MediaOCIManifest, body)
	if err != nil {
		return Descriptor{}, err
	}
	return Descriptor{MediaType: MediaOCIManifest, Digest: d, Size: int64(len(body)), ArtifactType: artifactType}, nil
}

// FallbackTag is the tag a registry without the referrers API keeps the
// index of subject's referrers under: sha256-<hex>.
func FallbackTag(subject string) string { return strings.Replace(subject, ":", "-", 1) }

// ListInFallback adds desc to the index under subject's fallback tag in
// repository name, as a client writes it where the referrers API is
// missing: the entries already there kept, each with its artifactType.
func (s *Store) ListInFallback(name, subject string, desc Descriptor) error {
	idx := struct {
		SchemaVersion int          `json:"schemaVersion"`
		MediaType     string       `json:"mediaType"`
		Manifests     []Descriptor `json:"manifests"`
	}{2, MediaOCIIndex, nil}
	if m, _, ok := s.Manifest(name, FallbackTag(subject)); ok {
		if err := json.Unmarshal(m.Body, &idx); err != nil {
			return err
		}
	}
	if !slices.ContainsFunc(idx.Manifests, func(d Descriptor) bool { return d.Digest == desc.Digest }) {
		idx.Manifests = append(idx.Manifests, desc)
	}
	body, err := json.Marshal(idx)
	if err != nil {
		return err
	}
	_, err = s.PutManifest(name, FallbackTag(subject), MediaOCIIndex, body)
	return err
}

// FallbackIndex is what subject's fallback tag lists in repository name;
// nil if there is no such tag.
func (s *Store) FallbackIndex(name, subject string) []Descriptor {
	m, _, ok := s.Manifest(name, FallbackTag(subject))
	if !ok {
		return nil
	}
	var idx struct {
		Manifests []Descriptor `json:"manifests"`
	}
	_ = json.Unmarshal(m.Body, &idx)
	return idx.Manifests
}
