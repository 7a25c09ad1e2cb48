package tcremu

import (
	"regexp"

	"github.com/tcr-promote/tcr-promote/tcremu/api3"
	"github.com/tcr-promote/tcr-promote/tcremu/model"
)

// The actions that write: DuplicateImage and DeleteRepository.

type duplicateImageParams struct {
	RegistryId           *string `json:"RegistryId"`
	SourceNamespace      *string `json:"SourceNamespace"`
	SourceRepo           *string `json:"SourceRepo"`
	SourceReference      *string `json:"SourceReference"`
	DestinationTag       *string `json:"DestinationTag"`
	DestinationNamespace *string `json:"DestinationNamespace"`
	DestinationRepo      *string `json:"DestinationRepo"`
	Override             *bool   `json:"Override"`
}

// check answers what the service refuses before it looks at the
// registry: missing and malformed names, a digest as the source. It
// returns the destination's namespace and repository.
func (p *duplicateImageParams) check() (dstNS, dstRepo string, aerr *api3.Error) {
	if err := api3.RequireAll(api3.Param("RegistryId", p.RegistryId), api3.Param("SourceNamespace", p.SourceNamespace), api3.Param("SourceRepo", p.SourceRepo), api3.Param("SourceReference", p.SourceReference), api3.Param("DestinationTag", p.DestinationTag)); err != nil {
		return "", "", err
	}
	dstNS, dstRepo = *p.SourceNamespace, *p.SourceRepo
	if p.DestinationNamespace != nil && *p.DestinationNamespace != "" {
		dstNS = *p.DestinationNamespace
	}
	if p.DestinationRepo != nil && *p.DestinationRepo != "" {
		dstRepo = *p.DestinationRepo
	}
	for _, f := range []struct {
		name, v string
		re      func() *regexp.Regexp
	}{
		{"SourceNamespace", *p.SourceNamespace, model.NamespaceRE}, {"SourceRepo", *p.SourceRepo, model.RepoRE},
		{"DestinationNamespace", dstNS, model.NamespaceRE}, {"DestinationRepo", dstRepo, model.RepoRE},
		{"DestinationTag", *p.DestinationTag, model.TagRE},
	} {
		if !f.re().MatchString(f.v) {
			return "", "", model.Invalid(f.name, f.v)
		}
	}
	if model.DigestRE().MatchString(*p.SourceReference) {
		// As documented: "currently only tag is supported".
		return "", "", api3.Errorf("InvalidParameter.ErrorTcrInvalidParameter", "SourceReference must be a tag; digests are not supported yet.")
	}
	if !model.TagRE().MatchString(*p.SourceReference) {
		return "", "", model.Invalid("SourceReference", *p.SourceReference)
	}
	return dstNS, dstRepo, nil
}

type deleteRepositoryParams struct {
	RegistryId     *string `json:"RegistryId"`
	NamespaceName  *string `json:"NamespaceName"`
	RepositoryName *string `json:"RepositoryName"`
}

// deleteRepository deletes a repository with its tags, as Harbor does;
// the images stay wherever else they are tagged.
func (e *Emulator) deleteRepository(c call, p *deleteRepositoryParams) (any, *api3.Error) {
	if err := api3.RequireAll(api3.Param("NamespaceName", p.NamespaceName), api3.Param("RepositoryName", p.RepositoryName)); err != nil {
		return nil, err
	}
	return e.withInstance(c, p.RegistryId, func(r *registry) (any, *api3.Error) {
		ns := r.namespaces[*p.NamespaceName]
		if ns == nil || ns.Repos[*p.RepositoryName] == nil {
			return nil, api3.Errorf("ResourceNotFound.TcrResourceNotFound", "The repository `%s/%s` does not exist.", *p.NamespaceName, *p.RepositoryName)
		}
		delete(ns.Repos, *p.RepositoryName)
		return struct{}{}, nil
	})
}

func (e *Emulator) duplicateImage(c call, p *duplicateImageParams) (any, *api3.Error) {
	dstNS, dstRepo, aerr := p.check()
	if aerr != nil {
		return nil, aerr
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	r, aerr := e.instance(c, *p.RegistryId)
	if aerr != nil {
		return nil, aerr
	}
	src := e.repo(r.id, *p.SourceNamespace, *p.SourceRepo)
	if src == nil {
		return nil, api3.Errorf("ResourceNotFound.TcrResourceNotFound", "The repository `%s/%s` does not exist.", *p.SourceNamespace, *p.SourceRepo)
	}
	img, ok := src.Tags[*p.SourceReference]
	if !ok {
		return nil, api3.Errorf("ResourceNotFound.TcrResourceNotFound", "The tag `%s` does not exist in `%s/%s`.", *p.SourceReference, *p.SourceNamespace, *p.SourceRepo)
	}
	ns := r.namespaces[dstNS]
	if ns == nil {
		return nil, api3.Errorf("ResourceNotFound.TcrResourceNotFound", "The namespace `%s` does not exist.", dstNS)
	}
	dst := ns.Repository(dstRepo, e.now().Add(e.behaviour.IndexLag))
	override := p.Override != nil && *p.Override
	if old, exists := dst.Tags[*p.DestinationTag]; exists {
		switch {
		case old.Digest == img.Digest && !override && !e.behaviour.SameDigestConflicts:
			return struct{}{}, nil // Harbor's copy: nothing to do
		case r.rules[dstNS].Covers(dstRepo, *p.DestinationTag):
			// Harbor's 412, Override or not.
			return nil, api3.Errorf("FailedOperation.PreconditionFailed", "The tag `%s` of `%s/%s` is immutable and cannot be overwritten.", *p.DestinationTag, dstNS, dstRepo)
		case !override:
			return nil, api3.Errorf(e.behaviour.ConflictCode, "The tag `%s` already exists in `%s/%s`; set Override to replace it.", *p.DestinationTag, dstNS, dstRepo)
		}
	}
	now := e.now()
	img.UpdateTime = now
	// A copy carries the source's KMS signature only where the
	// destination namespace would sign a push itself.
	img.KmsSignature = ""
	if ns.SignPolicy != "" && e.behaviour.SignsOnCopy {
		img.KmsSignature = kmsSignature(ns.SignPolicy, img.Digest)
	}
	dst.Put(*p.DestinationTag, img, now.Add(e.behaviour.IndexLag))
	r.store.CopyTag(*p.SourceNamespace+"/"+*p.SourceRepo, *p.SourceReference, dstNS+"/"+dstRepo, *p.DestinationTag)
	if e.behaviour.CarriesAccessories && dst != src {
		e.carry(src, dst, img.Digest, now)
	}
	return struct{}{}, nil
}
