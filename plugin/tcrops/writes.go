package tcrops

import (
	"context"

	"github.com/tcr-promote/tcr-promote/internal/tcr"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

// DuplicateImage copies src's repository at tag from to dst, server-side,
// and returns its RequestId. check decides, after an ambiguous attempt,
// whether it may be sent again.
func (in Instance) DuplicateImage(ctx context.Context, src imageref.Ref, from string, dst imageref.Ref, override bool, check tcrapi.ResendCheck) (string, error) {
	var checks []tcrapi.ResendCheck
	if check != nil {
		checks = append(checks, check)
	}
	_, id, err := tcrapi.Do(tcrapi.About(ctx, src.Name()+":"+from+" → "+dst.String()), in.API, "DuplicateImage", func(ctx context.Context) (struct{}, string, error) {
		req := tcr.NewDuplicateImageRequest()
		req.RegistryId = common.StringPtr(in.ID)
		req.SourceNamespace = common.StringPtr(src.Namespace)
		req.SourceRepo = common.StringPtr(src.Repo)
		req.SourceReference = common.StringPtr(from)
		req.DestinationNamespace = common.StringPtr(dst.Namespace)
		req.DestinationRepo = common.StringPtr(dst.Repo)
		req.DestinationTag = common.StringPtr(dst.Tag)
		req.Override = common.BoolPtr(override)
		resp, err := in.Client.DuplicateImageWithContext(ctx, req)
		if err != nil {
			return struct{}{}, "", err
		}
		id, err := tcrapi.Answered(resp.Response, func(r *tcr.DuplicateImageResponseParams) *string { return r.RequestId })
		return struct{}{}, id, err
	}, checks...)
	return id, err
}

// DeleteRepository deletes ns/repo with its tags. A delete may simply be
// sent again after an ambiguous attempt.
func (in Instance) DeleteRepository(ctx context.Context, ns, repo string) error {
	_, _, err := tcrapi.Do(tcrapi.About(ctx, ns+"/"+repo), in.API, "DeleteRepository", func(ctx context.Context) (struct{}, string, error) {
		req := tcr.NewDeleteRepositoryRequest()
		req.RegistryId = common.StringPtr(in.ID)
		req.NamespaceName = common.StringPtr(ns)
		req.RepositoryName = common.StringPtr(repo)
		resp, err := in.Client.DeleteRepositoryWithContext(ctx, req)
		if err != nil {
			return struct{}{}, "", err
		}
		id, err := tcrapi.Answered(resp.Response, func(r *tcr.DeleteRepositoryResponseParams) *string { return r.RequestId })
		return struct{}{}, id, err
	}, tcrapi.Again)
	return err
}

// CreateSignature has TCR sign ref with its namespace's KMS policy, and
// returns the RequestId.
func (in Instance) CreateSignature(ctx context.Context, ref imageref.Ref) (string, error) {
	_, id, err := tcrapi.Do(tcrapi.About(ctx, ref.String()), in.API, "CreateSignature", func(ctx context.Context) (struct{}, string, error) {
		req := tcr.NewCreateSignatureRequest()
		req.RegistryId = common.StringPtr(in.ID)
		req.NamespaceName = common.StringPtr(ref.Namespace)
		req.RepositoryName = common.StringPtr(ref.Repo)
		req.ImageVersion = common.StringPtr(ref.Tag)
		resp, err := in.Client.CreateSignatureWithContext(ctx, req)
		if err != nil {
			return struct{}{}, "", err
		}
		id, err := tcrapi.Answered(resp.Response, func(r *tcr.CreateSignatureResponseParams) *string { return r.RequestId })
		return struct{}{}, id, err
	})
	return id, err
}
