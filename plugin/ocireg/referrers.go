package ocireg

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
)

// Referrer is a manifest whose subject is an image (or another
// referrer), as read from the registry and checked: its own bytes hash to
// Digest, and its subject is the digest it was listed for.
type Referrer struct {
	Digest       string
	MediaType    string
	ArtifactType string // the manifest's, else its config's media type
	Subject      string // the digest it refers to
	Depth        int    // 1 for the image's own, 2 for a referrer of one of those, …

	raw      *remote.Descriptor
	blobs    []v1.Descriptor // config and layers, for an image manifest
	children []v1.Descriptor // manifests, for an index
}

// The most referrers read for one image, all depths: a signature, an
// SBOM, attestations and their signatures are a handful; a registry that
// lists more is answered with an error, not followed.
const (
	maxReferrers = 128
	maxDepth     = 4
)

// ErrTooMany is a subject with more referrers than the step follows.
var ErrTooMany = fmt.Errorf("more than %d referrers", maxReferrers)

// manifestFields is what a referrer's manifest is read for.
type manifestFields struct {
	MediaType    string          `json:"mediaType"`
	ArtifactType string          `json:"artifactType"`
	Config       *v1.Descriptor  `json:"config"`
	Layers       []v1.Descriptor `json:"layers"`
	Manifests    []v1.Descriptor `json:"manifests"`
	Subject      *v1.Descriptor  `json:"subject"`
}

// Referrers lists the referrers of digest in repo, and theirs, to
// maxDepth: parents before their own referrers. Each is listed by the
// referrers API or the fallback tag (sha256-<hex>) — both are read, and a
// referrer in either counts, as a registry may keep both — then read and
// checked.
func (c *Client) Referrers(ctx context.Context, repo, digest string) ([]Referrer, error) {
	r, err := c.repo(repo)
	if err != nil {
		return nil, err
	}
	var out []Referrer
	seen := map[string]bool{digest: true}
	level := []string{digest}
	for depth := 1; depth <= maxDepth && len(level) > 0; depth++ {
		var next []string
		for _, subject := range level {
			refs, err := c.referrersOf(ctx, r, subject, depth)
			if err != nil {
				return out, err
			}
			for _, ref := range refs {
				if seen[ref.Digest] {
					continue
				}
				if seen[ref.Digest] = true; len(seen) > maxReferrers+1 {
					return out, fmt.Errorf("%s: %w", digest, ErrTooMany)
				}
				out = append(out, ref)
				next = append(next, ref.Digest)
			}
		}
		level = next
	}
	return out, nil
}

// referrersOf lists and reads the direct referrers of subject.
func (c *Client) referrersOf(ctx context.Context, repo name.Repository, subject string, depth int) ([]Referrer, error) {
	listed, err := c.listed(ctx, repo, subject)
	if err != nil {
		return nil, err
	}
	var out []Referrer
	for _, d := range listed {
		ref, err := c.read(ctx, repo, d, subject)
		if errors.Is(err, errNotReferrer) {
			continue // listed, but not a referrer of subject: it does not count
		}
		if err != nil {
			return nil, err
		}
		ref.Depth = depth
		out = append(out, ref)
	}
	return out, nil
}

// listed is every digest the referrers API and the fallback tag list for
// subject, each once, sorted. Both are read at once: a registry may keep
// both, as one that gained the API keeps the index older clients wrote.
func (c *Client) listed(ctx context.Context, repo name.Repository, subject string) ([]string, error) {
	var (
		api, fallback []string
		apiErr, fbErr error
		wg            sync.WaitGroup
	)
	wg.Go(func() { api, apiErr = c.byAPI(ctx, repo, subject) })
	wg.Go(func() { fallback, fbErr = c.byFallbackTag(ctx, repo, subject) })
	wg.Wait()
	if err := cmp.Or(apiErr, fbErr); err != nil {
		return nil, err
	}
	out := append(api, fallback...)
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > maxReferrers {
		return nil, fmt.Errorf("%s: %w", subject, ErrTooMany)
	}
	return out, nil
}

// byAPI is what the referrers API lists (the library reads the fallback
// tag itself where the API is missing).
func (c *Client) byAPI(ctx context.Context, repo name.Repository, subject string) ([]string, error) {
	idx, err := remote.Referrers(repo.Digest(subject), c.options(ctx)...)
	if err != nil {
		return nil, err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range m.Manifests {
		out = append(out, d.Digest.String())
	}
	return out, nil
}

// byFallbackTag is what the fallback tag (sha256-<hex>) lists; nothing
// where there is no such tag.
func (c *Client) byFallbackTag(ctx context.Context, repo name.Repository, subject string) ([]string, error) {
	desc, err := remote.Get(repo.Tag(strings.Replace(subject, ":", "-", 1)), c.options(ctx)...)
	var terr *transport.Error
	switch {
	case errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound:
		return nil, nil
	case err != nil:
		return nil, err
	}
	var fb v1.IndexManifest
	if json.Unmarshal(desc.Manifest, &fb) != nil {
		return nil, nil // not an index: it lists nothing
	}
	var out []string
	for _, d := range fb.Manifests {
		out = append(out, d.Digest.String())
	}
	return out, nil
}

// errNotReferrer is a listed manifest whose subject is another digest.
var errNotReferrer = errors.New("not a referrer of the subject")

// read fetches a listed referrer by its digest and checks it.
func (c *Client) read(ctx context.Context, repo name.Repository, digest, subject string) (Referrer, error) {
	if !imageref.IsDigest(digest) {
		return Referrer{}, fmt.Errorf("a referrer listed as %q, not a sha256 digest", digest)
	}
	desc, err := remote.Get(repo.Digest(digest), c.options(ctx)...)
	if err != nil {
		return Referrer{}, err
	}
	if got := sha256Of(desc.Manifest); got != digest {
		return Referrer{}, fmt.Errorf("the manifest %s read back as %s: not the bytes listed", digest, got)
	}
	var m manifestFields
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		return Referrer{}, fmt.Errorf("the manifest %s is not JSON: %w", digest, err)
	}
	if m.Subject == nil || m.Subject.Digest.String() != subject {
		return Referrer{}, errNotReferrer
	}
	ref := Referrer{Digest: digest, MediaType: string(desc.MediaType), ArtifactType: m.ArtifactType, Subject: subject, raw: desc, children: m.Manifests}
	if m.Config != nil {
		if ref.ArtifactType == "" {
			ref.ArtifactType = string(m.Config.MediaType)
		}
		ref.blobs = append(ref.blobs, *m.Config)
	}
	ref.blobs = append(ref.blobs, m.Layers...)
	return ref, nil
}

func sha256Of(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// isIndex reports whether a manifest of this media type lists manifests.
func isIndex(mt types.MediaType) bool {
	return mt == types.OCIImageIndex || mt == types.DockerManifestList
}

func jsonFields(b []byte, f *manifestFields) error {
	if err := json.Unmarshal(b, f); err != nil {
		return fmt.Errorf("a manifest that is not JSON: %w", err)
	}
	return nil
}
