package ocireg

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
)

// Copying between two registries is what no TCR API does across
// instances. It is done as the best copiers do it (go-containerregistry's
// remote, which crane stands on): each blob the destination lacks — a
// HEAD first — streamed from the source into the upload, never whole in
// memory nor on disk, and checked against its digest as it streams, so a
// blob whose bytes do not match fails before its upload is committed;
// several blobs at once, a blob cut off retried alone; an index's child
// manifests before it; every manifest put as the bytes it was read as,
// so every digest is kept.

// Copy puts the image at ref (a digest or a tag) of src's repository in
// the registry from into dst (a tag, or a digest) of this registry. It
// returns the digest copied.
func (c *Client) Copy(ctx context.Context, from *Client, srcRepo, ref, dstRepo, dst string) (string, error) {
	fromRepo, err := from.repo(srcRepo)
	if err != nil {
		return "", err
	}
	toRepo, err := c.repo(dstRepo)
	if err != nil {
		return "", err
	}
	desc, err := remote.Get(at(fromRepo, ref), from.options(ctx)...)
	if err != nil {
		return "", err
	}
	blobs, err := from.blobReader(ctx, fromRepo)
	if err != nil {
		return "", err
	}
	target := at(toRepo, dst)
	if isIndex(desc.MediaType) {
		idx, err := desc.ImageIndex()
		if err != nil {
			return "", err
		}
		return desc.Digest.String(), remote.WriteIndex(target, streamedIndex{idx, blobs}, c.options(ctx)...)
	}
	img, err := desc.Image()
	if err != nil {
		return "", err
	}
	return desc.Digest.String(), remote.Write(target, streamedImage{img, blobs}, c.options(ctx)...)
}

// at is the reference of ref — a digest or a tag — in repo.
func at(repo name.Repository, ref string) name.Reference {
	if imageref.IsDigest(ref) {
		return repo.Digest(ref)
	}
	return repo.Tag(ref)
}

// Digest is what tag points at in repo, "" when there is no such tag (or
// repository).
func (c *Client) Digest(ctx context.Context, repo, tag string) (string, error) {
	r, err := c.repo(repo)
	if err != nil {
		return "", err
	}
	desc, err := remote.Head(r.Tag(tag), c.options(ctx)...)
	if terr, ok := errors.AsType[*transport.Error](err); ok && terr.StatusCode == http.StatusNotFound {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return desc.Digest.String(), nil
}

// Moved counts the blob bytes read from a registry, and the blobs read
// to their end: what a copy moved through the runner.
type Moved struct {
	bytes, blobs atomic.Int64
}

// Bytes is the blob bytes counted so far.
func (m *Moved) Bytes() int64 { return m.bytes.Load() }

func (m *Moved) add(n int64, ended bool) {
	if m == nil {
		return
	}
	m.bytes.Add(n)
	if ended {
		m.blobs.Add(1)
	}
}

type movedKey struct{}

// Counting is ctx with m counting, besides the client's own count, the
// blob bytes its requests read: one promotion's share of a run.
func Counting(ctx context.Context, m *Moved) context.Context {
	return context.WithValue(ctx, movedKey{}, m)
}

// Moved is what was read from this registry so far.
func (c *Client) Moved() (bytes, blobs int64) { return c.moved.bytes.Load(), c.moved.blobs.Load() }

// counted counts a blob's bytes as they are read. Whoever reads the blob
// checks its digest: the library's fetcher, or a copy's own reader
// (checked).
type counted struct {
	r    io.ReadCloser
	m    [2]*Moved // the client's, and the request's (Counting)
	done bool
}

func newCounted(r io.ReadCloser, client, request *Moved) *counted {
	return &counted{r: r, m: [2]*Moved{client, request}}
}

func (c *counted) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	ended := err == io.EOF && !c.done
	c.done = c.done || ended
	for _, m := range c.m {
		m.add(int64(n), ended)
	}
	return n, err
}

func (c *counted) Close() error { return c.r.Close() }
