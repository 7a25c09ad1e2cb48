// Package oci plays an instance's registry for the emulator: the OCI
// distribution API (manifests, blobs, uploads with cross-repository
// mounts, tag lists, and the referrers API where it is switched on) behind
// Harbor's token flow or plain Basic authentication. It holds real bytes:
// a manifest's digest is its bytes', a blob is verified against its
// digest before it is kept. Standard library only, like the rest of the
// emulator, so that a misreading shared by a client library and that
// library's own server cannot hide.
package oci

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// Media types the store reads.
const (
	MediaOCIIndex     = "application/vnd.oci.image.index.v1+json"
	MediaOCIManifest  = "application/vnd.oci.image.manifest.v1+json"
	MediaDockerList   = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaDockerImage  = "application/vnd.docker.distribution.manifest.v2+json"
	MediaEmptyConfig  = "application/vnd.oci.empty.v1+json"
	maxManifestLength = 4 << 20 // what the distribution spec asks a registry to take, at least
)

// Errors of the store, as the distribution API names them.
var (
	ErrNameUnknown     = errors.New("NAME_UNKNOWN")
	ErrManifestUnknown = errors.New("MANIFEST_UNKNOWN")
	ErrManifestInvalid = errors.New("MANIFEST_INVALID")
	ErrBlobUnknown     = errors.New("MANIFEST_BLOB_UNKNOWN")
	ErrDigestInvalid   = errors.New("DIGEST_INVALID")
)

// Store is one instance's registry content. Its zero value is not usable;
// call NewStore.
type Store struct {
	mu    sync.Mutex
	blobs map[string][]byte // by digest, shared by every repository that links it
	repos map[string]*repo
	// OnTag, if set, is told (without the store's lock) each tag a client
	// writes, and may refuse it: the emulator's API side learns of pushes
	// this way, as TCR's API and registry share one store.
	OnTag func(repo, tag, digest string) error
}

type repo struct {
	manifests map[string]Manifest // by digest
	tags      map[string]string   // tag → digest
	blobs     map[string]bool     // the blobs linked into this repository
}

// Manifest is a manifest as it was pushed.
type Manifest struct {
	MediaType string
	Body      []byte
}

// Descriptor is an OCI content descriptor.
type Descriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	Platform     *json.RawMessage  `json:"platform,omitempty"`
}

// parsed is what the store reads of a manifest or index.
type parsed struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	ArtifactType  string       `json:"artifactType"`
	Config        *Descriptor  `json:"config"`
	Layers        []Descriptor `json:"layers"`
	Manifests     []Descriptor `json:"manifests"`
	Subject       *Descriptor  `json:"subject"`
	Annotations   map[string]string
}

// NewStore returns an empty registry.
func NewStore() *Store {
	return &Store{blobs: map[string][]byte{}, repos: map[string]*repo{}}
}

// Digest is the sha256 digest of b.
func Digest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// IsDigest reports whether s is a sha256 digest.
func IsDigest(s string) bool {
	hexPart, ok := strings.CutPrefix(s, "sha256:")
	if !ok || len(hexPart) != 64 {
		return false
	}
	_, err := hex.DecodeString(hexPart)
	return err == nil && strings.ToLower(hexPart) == hexPart
}

func (s *Store) repo(name string) *repo {
	r := s.repos[name]
	if r == nil {
		r = &repo{manifests: map[string]Manifest{}, tags: map[string]string{}, blobs: map[string]bool{}}
		s.repos[name] = r
	}
	return r
}

// PutBlob keeps data and links it into repository name; it returns the
// digest.
func (s *Store) PutBlob(name string, data []byte) string {
	d := Digest(data)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blobs[d] = slices.Clone(data)
	s.repo(name).blobs[d] = true
	return d
}

// Blob returns a blob linked into repository name.
func (s *Store) Blob(name, digest string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.repos[name]; r == nil || !r.blobs[digest] {
		return nil, false
	}
	b, ok := s.blobs[digest]
	return b, ok
}

// Mount links a blob of repository from into name, as a cross-repository
// mount does; false if from does not hold it.
func (s *Store) Mount(name, from, digest string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.repos[from]; r == nil || !r.blobs[digest] {
		return false
	}
	s.repo(name).blobs[digest] = true
	return true
}

// PutManifest keeps a manifest in repository name under ref (a tag, or its
// own digest) and returns its digest. Every blob and child manifest it
// names must be in the repository already; a digest ref must be the
// body's. A tag is told to OnTag, which may refuse it.
func (s *Store) PutManifest(name, ref, mediaType string, body []byte) (string, error) {
	d := Digest(body)
	if len(body) > maxManifestLength {
		return "", fmt.Errorf("%w: larger than %d bytes", ErrManifestInvalid, maxManifestLength)
	}
	var p parsed
	if err := json.Unmarshal(body, &p); err != nil || p.SchemaVersion != 2 {
		return "", fmt.Errorf("%w: not a schema 2 manifest", ErrManifestInvalid)
	}
	if IsDigest(ref) && ref != d {
		return "", fmt.Errorf("%w: the body's digest is %s", ErrDigestInvalid, d)
	}
	if !IsDigest(ref) && s.OnTag != nil {
		if err := s.OnTag(name, ref, d); err != nil {
			return "", fmt.Errorf("%w: %v", ErrNameUnknown, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(name)
	for _, b := range p.blobs() {
		if !r.blobs[b.Digest] {
			return "", fmt.Errorf("%w: %s", ErrBlobUnknown, b.Digest)
		}
	}
	for _, m := range p.Manifests {
		if _, ok := r.manifests[m.Digest]; !ok {
			return "", fmt.Errorf("%w: the child manifest %s", ErrManifestUnknown, m.Digest)
		}
	}
	r.manifests[d] = Manifest{MediaType: mediaType, Body: slices.Clone(body)}
	if !IsDigest(ref) {
		r.tags[ref] = d
	}
	return d, nil
}

func (p parsed) blobs() []Descriptor {
	out := slices.Clone(p.Layers)
	if p.Config != nil {
		out = append(out, *p.Config)
	}
	return out
}

// Manifest returns the manifest ref (a tag or a digest) of repository name.
func (s *Store) Manifest(name, ref string) (Manifest, string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[name]
	if r == nil {
		return Manifest{}, "", false
	}
	d := ref
	if !IsDigest(ref) {
		d = r.tags[ref]
	}
	m, ok := r.manifests[d]
	return m, d, ok
}

// Tags lists repository name's tags, sorted.
func (s *Store) Tags(name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.repos[name]; r != nil {
		return slices.Sorted(maps.Keys(r.tags))
	}
	return nil
}

// Referrers lists the manifests of repository name whose subject is
// digest, as the referrers API answers them: each with its artifactType
// (the config's media type when the manifest names none).
func (s *Store) Referrers(name, digest string) []Descriptor {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[name]
	if r == nil {
		return []Descriptor{}
	}
	out := []Descriptor{}
	for _, d := range slices.Sorted(maps.Keys(r.manifests)) {
		m := r.manifests[d]
		var p parsed
		if json.Unmarshal(m.Body, &p) != nil || p.Subject == nil || p.Subject.Digest != digest {
			continue
		}
		desc := Descriptor{MediaType: m.MediaType, Digest: d, Size: int64(len(m.Body)), ArtifactType: p.ArtifactType, Annotations: p.Annotations}
		if desc.ArtifactType == "" && p.Config != nil {
			desc.ArtifactType = p.Config.MediaType
		}
		out = append(out, desc)
	}
	return out
}

// CopyTag makes tag dstTag of repository dst hold what tag srcTag of src
// holds, with every blob and child manifest it needs, as DuplicateImage
// does on TCR's side; false if the source tag holds nothing here. It does
// not tell OnTag: the API side made the copy.
func (s *Store) CopyTag(src, srcTag, dst, dstTag string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	from := s.repos[src]
	if from == nil || from.manifests[from.tags[srcTag]].Body == nil {
		return false
	}
	d := from.tags[srcTag]
	to := s.repo(dst)
	s.copyManifest(from, to, d)
	to.tags[dstTag] = d
	return true
}

// copyManifest copies manifest d and what it names. Must hold s.mu.
func (s *Store) copyManifest(from, to *repo, d string) {
	m := from.manifests[d]
	var p parsed
	_ = json.Unmarshal(m.Body, &p)
	for _, b := range p.blobs() {
		if from.blobs[b.Digest] {
			to.blobs[b.Digest] = true
		}
	}
	for _, c := range p.Manifests {
		if _, ok := from.manifests[c.Digest]; ok {
			s.copyManifest(from, to, c.Digest)
		}
	}
	to.manifests[d] = m
}
