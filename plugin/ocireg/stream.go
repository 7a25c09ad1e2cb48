package ocireg

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// A copy reads each blob of its source once, and hashes it once. The
// library's images hash every blob they serve, but a mismatch there is
// an error of no type, which no exit code can tell from a network one;
// hashing the bytes a second time for that cost a tenth of a copy's wall
// time (bench/across). So the copy's source is the library's image or
// index with each blob read by the step's own GET, checked here as it
// streams: a blob whose bytes do not hash to its digest ends in
// ErrBlobDigest instead of EOF, so the upload it feeds breaks off before
// it is committed.

// ErrBlobDigest is a blob whose bytes do not hash to its digest.
var ErrBlobDigest = errors.New("a blob's bytes do not match its digest")

// blobReader reads repo's blobs, authenticated for pulling.
type blobReader struct {
	// The copy's: a layer's Compressed takes no context, so the reads it
	// makes carry the one of the copy they belong to.
	ctx  context.Context
	repo name.Repository
	rt   http.RoundTripper
}

func (c *Client) blobReader(ctx context.Context, repo name.Repository) (*blobReader, error) {
	rt, err := transport.NewWithContext(ctx, repo.Registry, c.auth, c.blobs, []string{repo.Scope(transport.PullScope)})
	if err != nil {
		return nil, err
	}
	return &blobReader{ctx: ctx, repo: repo, rt: rt}, nil
}

// open streams the blob d of size bytes (as its descriptor says), checked
// against both as it is read.
func (b *blobReader) open(d v1.Hash, size int64) (io.ReadCloser, error) {
	u := fmt.Sprintf("%s://%s/v2/%s/blobs/%s", b.repo.Scheme(), b.repo.RegistryStr(), b.repo.RepositoryStr(), d)
	req, err := http.NewRequestWithContext(b.ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := (&http.Client{Transport: b.rt}).Do(req)
	if err != nil {
		return nil, err
	}
	if err := transport.CheckError(resp, http.StatusOK); err != nil {
		resp.Body.Close()
		return nil, err
	}
	h, err := v1.Hasher(d.Algorithm)
	if err != nil {
		resp.Body.Close()
		return nil, err
	}
	return &checked{r: resp.Body, want: d, h: h, left: size}, nil
}

// checked hashes a blob as it streams, reading no more than its size and
// one byte: a blob that goes on past its size, or whose bytes do not hash
// to its digest, ends in ErrBlobDigest, not EOF.
type checked struct {
	r    io.ReadCloser
	want v1.Hash
	h    hash.Hash
	left int64 // bytes its size still allows
}

func (c *checked) Read(p []byte) (int, error) {
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	if int64(n) > c.left {
		return 0, fmt.Errorf("%w: %s goes on past its size", ErrBlobDigest, c.want)
	}
	c.left -= int64(n)
	c.h.Write(p[:n])
	if err == io.EOF {
		if got := (v1.Hash{Algorithm: c.want.Algorithm, Hex: fmt.Sprintf("%x", c.h.Sum(nil))}); got != c.want {
			return n, fmt.Errorf("%w: %s read as %s", ErrBlobDigest, c.want, got)
		}
	}
	return n, err
}

func (c *checked) Close() error { return c.r.Close() }

// streamedLayer is a source layer whose bytes come through open.
type streamedLayer struct {
	v1.Layer
	b *blobReader
}

func (l streamedLayer) Compressed() (io.ReadCloser, error) {
	d, err := l.Digest()
	if err != nil {
		return nil, err
	}
	size, err := l.Size()
	if err != nil {
		return nil, err
	}
	return l.b.open(d, size)
}

// streamedImage is a source image whose config and layers are streamed.
type streamedImage struct {
	v1.Image
	b *blobReader
}

func (i streamedImage) Layers() ([]v1.Layer, error) {
	ls, err := i.Image.Layers()
	for n, l := range ls {
		ls[n] = streamedLayer{l, i.b}
	}
	return ls, err
}

func (i streamedImage) LayerByDigest(h v1.Hash) (v1.Layer, error) {
	l, err := i.Image.LayerByDigest(h)
	if err != nil {
		return nil, err
	}
	return streamedLayer{l, i.b}, nil
}

func (i streamedImage) ConfigLayer() (v1.Layer, error) {
	l, err := partial.ConfigLayer(i.Image)
	if err != nil {
		return nil, err
	}
	return streamedLayer{l, i.b}, nil
}

// streamedIndex is a source index whose children's blobs are streamed.
type streamedIndex struct {
	index
	b *blobReader
}

// index names the embedded index apart from its method ImageIndex.
type index = v1.ImageIndex

func (x streamedIndex) Image(h v1.Hash) (v1.Image, error) {
	img, err := x.index.Image(h)
	if err != nil {
		return nil, err
	}
	return streamedImage{img, x.b}, nil
}

func (x streamedIndex) ImageIndex(h v1.Hash) (v1.ImageIndex, error) {
	idx, err := x.index.ImageIndex(h)
	if err != nil {
		return nil, err
	}
	return streamedIndex{idx, x.b}, nil
}

// Layer is a child that is neither image nor index (an artifact's blob
// listed in an index), which the library asks its index for by this
// method.
func (x streamedIndex) Layer(h v1.Hash) (v1.Layer, error) {
	wl, ok := x.index.(interface {
		Layer(v1.Hash) (v1.Layer, error)
	})
	if !ok {
		return nil, fmt.Errorf("index child %s is neither an image nor an index", h)
	}
	l, err := wl.Layer(h)
	if err != nil {
		return nil, err
	}
	return streamedLayer{l, x.b}, nil
}
