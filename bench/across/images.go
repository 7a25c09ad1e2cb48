package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/tcr-promote/tcr-promote/tcremu/oci"
)

// image is an image or index in the source's develop/app, with its
// layers.
type image struct {
	tag, digest string
	layers      []blob // every platform's, in order
	configs     []blob
}

type blob struct {
	digest string
	data   []byte
}

// push pushes develop/app:<tag>: one image of n layers of size bytes of
// random (incompressible) data, or an index of platforms such images.
func (w *world) push(rng *rand.ChaCha8, tag string, platforms, n, size int) *image {
	st := w.emu.Store("tcr-1")
	img := &image{tag: tag}
	var children []oci.Descriptor
	for p := range platforms {
		cfg := blob{data: fmt.Appendf(nil, `{"architecture":"arch%d","os":"linux","rootfs":{"type":"layers"}}`, p)}
		cfg.digest = st.PutBlob("develop/app", cfg.data)
		img.configs = append(img.configs, cfg)
		var layers []oci.Descriptor
		for range n {
			b := blob{data: make([]byte, size)}
			_, _ = rng.Read(b.data)
			b.digest = st.PutBlob("develop/app", b.data)
			img.layers = append(img.layers, b)
			layers = append(layers, oci.Descriptor{MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Digest: b.digest, Size: int64(size)})
		}
		m, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": oci.MediaOCIManifest,
			"config": oci.Descriptor{MediaType: "application/vnd.oci.image.config.v1+json", Digest: cfg.digest, Size: int64(len(cfg.data))}, "layers": layers})
		childTag := tag
		if platforms > 1 {
			childTag = fmt.Sprintf("%s-%d", tag, p)
		}
		d, err := st.PutManifest("develop/app", childTag, oci.MediaOCIManifest, m)
		if err != nil {
			panic(err) // the bench's own images: a bug
		}
		platform := json.RawMessage(fmt.Sprintf(`{"os":"linux","architecture":"arch%d"}`, p))
		children = append(children, oci.Descriptor{MediaType: oci.MediaOCIManifest, Digest: d, Size: int64(len(m)), Platform: &platform})
		img.digest = d
	}
	if platforms > 1 {
		idx, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": oci.MediaOCIIndex, "manifests": children})
		d, err := st.PutManifest("develop/app", tag, oci.MediaOCIIndex, idx)
		if err != nil {
			panic(err)
		}
		img.digest = d
	}
	return img
}

// size is every blob's bytes: what a cold copy moves.
func (img *image) size() int64 {
	var n int64
	for _, b := range slices.Concat(img.layers, img.configs) {
		n += int64(len(b.data))
	}
	return n
}

// seed pushes half the image's layers into repo at the destination,
// straight into docker-registry, beforehand; it returns the bytes still
// missing there.
func (w *world) seed(img *image, repo string) (int64, error) {
	there := int64(0)
	for _, b := range img.layers[:len(img.layers)/2] {
		if err := upload(w.dist.URL, repo, b); err != nil {
			return 0, err
		}
		there += int64(len(b.data))
	}
	return img.size() - there, nil
}

// upload is a monolithic blob upload: POST, then PUT with the digest.
func upload(base, repo string, b blob) error {
	resp, err := http.Post(base+"/v2/"+repo+"/blobs/uploads/", "", nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil || resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("starting an upload to %s: %d %v", repo, resp.StatusCode, err)
	}
	q := loc.Query()
	q.Set("digest", b.digest)
	loc.RawQuery = q.Encode()
	req, _ := http.NewRequest(http.MethodPut, loc.String(), bytes.NewReader(b.data))
	req.Header.Set("Content-Type", "application/octet-stream")
	if resp, err = http.DefaultClient.Do(req); err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("uploading %s to %s: %d", b.digest, repo, resp.StatusCode)
	}
	return nil
}

// counter counts the blob bytes a handler is sent in uploads.
type counter struct{ n atomic.Int64 }

func (c *counter) counting(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch || r.Method == http.MethodPut || r.Method == http.MethodPost {
			if strings.Contains(r.URL.Path, "/blobs/uploads") {
				r.Body = &countingBody{ReadCloser: r.Body, n: &c.n}
			}
		}
		h.ServeHTTP(w, r)
	})
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}
