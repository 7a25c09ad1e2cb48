package ocireg

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Carry puts each referrer, byte for byte (the same digest), into the
// repository dst of the same registry, in the order given (parents
// before their referrers): its blobs mounted from src, never downloaded
// and uploaded again; an index's child manifests first; then the
// manifest itself, by digest. Where the registry has no referrers API the
// library adds it to the fallback tag's index of its subject, keeping
// every entry already there. It returns the referrers carried, which are
// all of them unless it fails.
func (c *Client) Carry(ctx context.Context, src, dst string, refs []Referrer) ([]Referrer, error) {
	from, err := c.repo(src)
	if err != nil {
		return nil, err
	}
	to, err := c.repo(dst)
	if err != nil {
		return nil, err
	}
	var done []Referrer
	for _, r := range refs {
		if err := c.carry(ctx, from, to, r.raw, r.blobs, r.children, 0); err != nil {
			return done, fmt.Errorf("carrying %s: %w", r.Digest, err)
		}
		done = append(done, r)
	}
	return done, nil
}

// carry copies one manifest with what it names, depth levels into an
// index.
func (c *Client) carry(ctx context.Context, from, to name.Repository, m *remote.Descriptor, blobs, children []v1.Descriptor, depth int) error {
	if m == nil {
		return errors.New("a referrer that was not read")
	}
	for _, b := range blobs {
		layer := &remote.MountableLayer{Layer: mountOnly{b}, Reference: from.Digest(b.Digest.String())}
		if err := remote.WriteLayer(to, layer, c.options(ctx)...); err != nil {
			return fmt.Errorf("the blob %s: %w", b.Digest, err)
		}
	}
	if len(children) > 0 && depth >= maxDepth {
		return fmt.Errorf("an index nested more than %d deep", maxDepth)
	}
	for _, ch := range children {
		desc, err := remote.Get(from.Digest(ch.Digest.String()), c.options(ctx)...)
		if err != nil {
			return fmt.Errorf("the child manifest %s: %w", ch.Digest, err)
		}
		if got := sha256Of(desc.Manifest); got != ch.Digest.String() {
			return fmt.Errorf("the child manifest %s read back as %s", ch.Digest, got)
		}
		var f manifestFields
		if err := jsonFields(desc.Manifest, &f); err != nil {
			return err
		}
		var chBlobs []v1.Descriptor
		if f.Config != nil {
			chBlobs = append(chBlobs, *f.Config)
		}
		chBlobs = append(chBlobs, f.Layers...)
		if !isIndex(desc.MediaType) {
			f.Manifests = nil
		}
		if err := c.carry(ctx, from, to, desc, chBlobs, f.Manifests, depth+1); err != nil {
			return err
		}
	}
	return remote.Put(to.Digest(m.Digest.String()), m, c.options(ctx)...)
}

// ErrNotMounted is a blob the registry would not mount from the source
// repository: within one instance the step does not move it through the
// runner instead.
var ErrNotMounted = errors.New("the registry did not mount the blob from the source repository (within one instance it is not downloaded and uploaded again)")

// mountOnly is a blob known by its descriptor, to be mounted: asked for
// its bytes — when the registry will not mount it — it fails.
type mountOnly struct{ d v1.Descriptor }

func (m mountOnly) Digest() (v1.Hash, error)             { return m.d.Digest, nil }
func (m mountOnly) DiffID() (v1.Hash, error)             { return m.d.Digest, nil }
func (m mountOnly) Compressed() (io.ReadCloser, error)   { return nil, ErrNotMounted }
func (m mountOnly) Uncompressed() (io.ReadCloser, error) { return nil, ErrNotMounted }
func (m mountOnly) Size() (int64, error)                 { return m.d.Size, nil }
func (m mountOnly) MediaType() (types.MediaType, error)  { return m.d.MediaType, nil }
