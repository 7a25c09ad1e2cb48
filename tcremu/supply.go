package tcremu

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tcr-promote/tcr-promote/tcremu/api3"
	"github.com/tcr-promote/tcr-promote/tcremu/model"
	"github.com/tcr-promote/tcr-promote/tcremu/oci"
)

// Artifact is what a digest is: its platforms — one for an image, several
// for an index (a multi-arch image) — and the labels of its config.
type Artifact struct {
	Platforms []string          // os/arch[/variant], e.g. linux/amd64
	Labels    map[string]string // the image config's labels
}

// defaultArtifact is a digest nobody described: a linux/amd64 image
// without labels.
var defaultArtifact = Artifact{Platforms: []string{"linux/amd64"}}

// SetArtifact says what digest is, wherever it is tagged.
func (e *Emulator) SetArtifact(digest string, a Artifact) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.artifacts[digest] = a
}

// SetSignaturePolicy gives a namespace a KMS signature policy with key, as
// CreateSignaturePolicy does: CreateSignature then signs its images.
func (e *Emulator) SetSignaturePolicy(registryID, ns, key string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.registries[registryID]
	if !ok || r.namespaces[ns] == nil {
		return fmt.Errorf("no namespace %s in %s", ns, registryID)
	}
	r.namespaces[ns].SignPolicy = key
	return nil
}

// SignImage KMS-signs the image a tag points at, as a push into a
// namespace with a signature policy does: every tag of that digest in the
// repository shows the signature.
func (e *Emulator) SignImage(registryID, ns, repo, tag string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	rp := e.repo(registryID, ns, repo)
	if rp == nil {
		return fmt.Errorf("no repository %s/%s in %s", ns, repo, registryID)
	}
	img, ok := rp.Tags[tag]
	if !ok {
		return fmt.Errorf("no tag %s in %s/%s", tag, ns, repo)
	}
	rp.Sign(img.Digest, kmsSignature("test-key", img.Digest), time.Time{}) // shown at once: the scene
	return nil
}

// kmsSignature is what DescribeImages shows of a KMS signature.
func kmsSignature(key, digest string) string {
	sum := sha256.Sum256([]byte(key + digest))
	return "kms:" + key + ":" + hex.EncodeToString(sum[:16])
}

// accessorySuffixes are cosign's tag-schema kinds.
var accessorySuffixes = []string{".sig", ".att", ".sbom"}

// accessoryTags are the tags cosign gives digest's signature, attestation
// and SBOM in its repository.
func accessoryTags(digest string) []string {
	hexPart, ok := strings.CutPrefix(digest, "sha256:")
	if !ok {
		return nil
	}
	var tags []string
	for _, s := range accessorySuffixes {
		tags = append(tags, "sha256-"+hexPart+s)
	}
	return tags
}

// carry copies digest's accessories from src to dst, as Harbor's copy
// does, leaving any that dst already has. Must hold e.mu.
func (e *Emulator) carry(src, dst *model.Repository, digest string, at time.Time) {
	for _, tag := range accessoryTags(digest) {
		img, ok := src.Tags[tag]
		if _, taken := dst.Tags[tag]; !ok || taken {
			continue
		}
		img.UpdateTime = at
		dst.Put(tag, img, at.Add(e.behaviour.IndexLag))
	}
}

// imageVersionParams name one tag of an instance, all four required:
// DescribeImageManifests' and CreateSignature's parameters.
type imageVersionParams struct {
	RegistryId     *string `json:"RegistryId"`
	NamespaceName  *string `json:"NamespaceName"`
	RepositoryName *string `json:"RepositoryName"`
	ImageVersion   *string `json:"ImageVersion"`
}

// withInstance runs fn, under the lock, on the instance p names, once
// every parameter is there.
func (p *imageVersionParams) withInstance(e *Emulator, c call, fn func(r *registry) (any, *api3.Error)) (any, *api3.Error) {
	if err := api3.RequireAll(api3.Param("RegistryId", p.RegistryId), api3.Param("NamespaceName", p.NamespaceName), api3.Param("RepositoryName", p.RepositoryName), api3.Param("ImageVersion", p.ImageVersion)); err != nil {
		return nil, err
	}
	return e.withInstance(c, p.RegistryId, fn)
}

// image finds the tag p names in namespace ns (nil when it does not
// exist): its repository and image, or the answer naming what is missing.
func (p *imageVersionParams) image(ns *model.Namespace) (*model.Repository, Image, *api3.Error) {
	var rp *model.Repository
	if ns != nil {
		rp = ns.Repos[*p.RepositoryName]
	}
	if rp == nil {
		return nil, Image{}, api3.Errorf("ResourceNotFound.TcrResourceNotFound", "The repository `%s/%s` does not exist.", *p.NamespaceName, *p.RepositoryName)
	}
	img, ok := rp.Tags[*p.ImageVersion]
	if !ok {
		return nil, Image{}, api3.Errorf("ResourceNotFound.TcrResourceNotFound", "The tag `%s` does not exist in `%s/%s`.", *p.ImageVersion, *p.NamespaceName, *p.RepositoryName)
	}
	return rp, img, nil
}

// KeyValue is one label of DescribeImageManifests.
type KeyValue struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

func (e *Emulator) describeImageManifests(c call, p *imageVersionParams) (any, *api3.Error) {
	return p.withInstance(e, c, func(r *registry) (any, *api3.Error) {
		_, img, aerr := p.image(r.namespaces[*p.NamespaceName])
		if aerr != nil {
			return nil, aerr
		}
		a, ok := e.artifacts[img.Digest]
		if !ok {
			a = defaultArtifact
		}
		manifest, config := oci.Render(img.Digest, a.Platforms, a.Labels)
		labels := []KeyValue{}
		if len(a.Platforms) == 1 || e.behaviour.IndexLabels {
			for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
				labels = append(labels, KeyValue{Key: k, Value: a.Labels[k]})
			}
		}
		return map[string]any{"Manifest": manifest, "Config": config, "Labels": labels, "Size": img.Size}, nil
	})
}

func (e *Emulator) createSignature(c call, p *imageVersionParams) (any, *api3.Error) {
	return p.withInstance(e, c, func(r *registry) (any, *api3.Error) {
		ns := r.namespaces[*p.NamespaceName]
		if ns == nil {
			return nil, api3.Errorf("ResourceNotFound.TcrResourceNotFound", "The namespace `%s` does not exist.", *p.NamespaceName)
		}
		if ns.SignPolicy == "" {
			// Undocumented; a plausible answer. The step checks the policy
			// first (DescribeNamespaces KmsSignPolicy) rather than rely on it.
			return nil, api3.Errorf("FailedOperation", "The namespace `%s` has no signature policy.", *p.NamespaceName)
		}
		rp, img, aerr := p.image(ns)
		if aerr != nil {
			return nil, aerr
		}
		rp.Sign(img.Digest, kmsSignature(ns.SignPolicy, img.Digest), e.now().Add(e.behaviour.IndexLag))
		return struct{}{}, nil
	})
}
