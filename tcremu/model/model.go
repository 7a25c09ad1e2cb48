// Package model is what an emulated registry holds: namespaces,
// repositories, the tags they point at — the truth, as DuplicateImage
// sees it — and the index DescribeImages reads, which may lag behind a
// write; and the names TCR allows. It does no locking: the emulator holds
// its lock around every use.
package model

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"sync"
	"time"

	"github.com/tcr-promote/tcr-promote/tcremu/api3"
)

// Image is what a tag points at.
type Image struct {
	Digest     string
	Size       int64
	UpdateTime time.Time
	// ImageID is what `docker images` shows, the config's digest: not
	// the manifest digest. The Personal edition reports it.
	ImageID string
	// KmsSignature is TCR's KMS signature of the image, "" if unsigned.
	KmsSignature string
}

// NewImage is the image a push of digest makes at at, with an image ID of
// its own derived from it.
func NewImage(digest string, at time.Time) Image {
	id := sha256.Sum256([]byte("config of " + digest))
	return Image{Digest: digest, Size: int64(len(digest)) * 1024, UpdateTime: at, ImageID: "sha256:" + hex.EncodeToString(id[:])}
}

// Namespace holds repositories.
type Namespace struct {
	Repos      map[string]*Repository
	SignPolicy string // the KMS key of its signature policy, "" for none
}

// NewNamespace is an empty namespace.
func NewNamespace() *Namespace { return &Namespace{Repos: map[string]*Repository{}} }

// Repository returns the repository name, creating it — shown to
// DescribeImages from shows on — if it is new.
func (n *Namespace) Repository(name string, shows time.Time) *Repository {
	rp := n.Repos[name]
	if rp == nil {
		rp = &Repository{Tags: map[string]Image{}, Shows: shows}
		n.Repos[name] = rp
	}
	return rp
}

// Repository holds tags.
type Repository struct {
	Tags map[string]Image // the truth, as DuplicateImage sees it
	// What DescribeImages sees, which may lag behind: each tag's versions
	// and when each shows, and when the repository itself first shows.
	indexed map[string][]version
	Shows   time.Time
}

// version is one version of a tag as DescribeImages sees it, from at on.
type version struct {
	at  time.Time
	img Image
}

// Put points tag at img, as DescribeImages shows it from shows on.
func (rp *Repository) Put(tag string, img Image, shows time.Time) {
	rp.Tags[tag] = img
	rp.Index(tag, img, shows)
}

// Index records a write for DescribeImages, visible from at on.
func (rp *Repository) Index(tag string, img Image, at time.Time) {
	if rp.indexed == nil {
		rp.indexed = map[string][]version{}
	}
	rp.indexed[tag] = append(rp.indexed[tag], version{at: at, img: img})
}

// Listed returns what DescribeImages shows of the repository at now: each
// tag's latest version visible by then.
func (rp *Repository) Listed(now time.Time) map[string]Image { return rp.ListedAt(now, false) }

// ListedAt is Listed; on a replica, a version shows only once it was
// written, even one that set the scene.
func (rp *Repository) ListedAt(now time.Time, replica bool) map[string]Image {
	out := map[string]Image{}
	for tag, versions := range rp.indexed {
		for i := len(versions) - 1; i >= 0; i-- {
			if !versions[i].at.After(now) && !(replica && versions[i].img.UpdateTime.After(now)) {
				out[tag] = versions[i].img
				break
			}
		}
	}
	return out
}

// Versions lists every version of every tag the index recorded.
func (rp *Repository) Versions() []Image {
	var out []Image
	for _, versions := range rp.indexed {
		for _, v := range versions {
			out = append(out, v.img)
		}
	}
	return out
}

// Sign marks every tag of digest signed, as DescribeImages shows it from
// at on.
func (rp *Repository) Sign(digest, signature string, at time.Time) {
	for tag, img := range rp.Tags {
		if img.Digest == digest {
			img.KmsSignature = signature
			rp.Put(tag, img, at)
		}
	}
}

// Naming rules from the TCR documentation; tags follow the OCI rule because
// TCR publishes none. Compiled on first use.
var (
	NamespaceRE = lazyRegexp(`^[a-z0-9]+(?:[._-][a-z0-9]+)*$`)
	RepoRE      = lazyRegexp(`^[a-z0-9]+(?:[._/-][a-z0-9]+)*$`) // nested: team/app
	TagRE       = lazyRegexp(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	DigestRE    = lazyRegexp(`^sha256:[a-f0-9]{64}$`)
)

func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// Invalid is the service's refusal of a parameter's value, a name it does
// not allow among them.
func Invalid(name, value string) *api3.Error {
	return api3.Errorf("InvalidParameter.ErrorTcrInvalidParameter", "The parameter `%s` has an invalid value `%s`.", name, value)
}
