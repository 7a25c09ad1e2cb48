// Package kmssign is sign: kms — TCR signs a promoted tag with its
// namespace's KMS signature policy: whether the namespace has one (read
// once per namespace, before any copy), the CreateSignature call after
// the copy (unless the policy signed the copy as it signs a push), and
// the wait until DescribeImages shows the signature, within index_lag.
package kmssign

import (
	"context"
	"fmt"
	"time"

	"github.com/tcr-promote/tcr-promote/plugin/cilog"
	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/once"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
	"github.com/tcr-promote/tcr-promote/plugin/tcrops"
)

// Instance is what signing asks of the instance: tcrops.Instance, or a
// fake.
type Instance interface {
	Images(ctx context.Context, ns, repo string, q tcrops.Query) ([]tcrops.Tag, int64, string, error)
	NamespaceExists(ctx context.Context, name string, signing bool) (bool, error)
	CreateSignature(ctx context.Context, ref imageref.Ref) (string, error)
}

// Signer signs the promotions of one run. It is safe for concurrent use.
type Signer struct {
	inst     Instance
	clock    tcrapi.Clock
	lag      time.Duration // index_lag: how long a signature may take to show
	log      *cilog.Logger
	policies once.Map[string, bool]
}

// New is the signer of one run.
func New(inst Instance, clock tcrapi.Clock, lag time.Duration, log *cilog.Logger) *Signer {
	return &Signer{inst: inst, clock: clock, lag: lag, log: log}
}

// HasPolicy reports whether namespace ns has a KMS signature policy, once
// per namespace.
func (s *Signer) HasPolicy(ctx context.Context, ns string) (bool, error) {
	return s.policies.Get(ns, func() (bool, error) { return s.inst.NamespaceExists(ctx, ns, true) })
}

// NoPolicy is the refusal of a promotion into namespace ns of registry,
// which has no policy to sign it with.
func NoPolicy(ns, registry string) error {
	return &failure.Error{Class: failure.ClassUnavailable, Action: "DescribeNamespaces", Code: failure.CodeNoSignaturePolicy,
		Message: fmt.Sprintf("sign is kms, but namespace %s of %s has no KMS signature policy; nothing was copied", ns, registry),
		Hint:    "add one — the TCR console's image signing (a KMS key for namespace " + ns + "), or CreateSignaturePolicy — or set sign: none"}
}

// Sign has TCR sign dst, which points at digest, unless it is signed
// already, and reads it back until the signature shows, within the lag.
// It returns CreateSignature's RequestId, "" if nothing was signed.
func (s *Signer) Sign(ctx context.Context, dst imageref.Ref, digest string) (string, error) {
	kms, err := s.signature(ctx, dst, digest)
	if err != nil || kms != "" {
		return "", err
	}
	id, err := s.inst.CreateSignature(ctx, dst)
	if err != nil {
		return "", failure.About(err, "signing %s", dst)
	}
	start := s.clock.Now()
	for wait := 250 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		if kms, err = s.signature(ctx, dst, digest); err != nil || kms != "" {
			if err == nil {
				s.log.For(ctx).Infof("signed %s (KMS, RequestId %s)", dst, id)
			}
			return id, err
		}
		if tcrapi.Since(s.clock, start)+wait > s.lag || !s.clock.Sleep(ctx, wait) {
			return id, &failure.Error{Class: failure.ClassTemporary, Action: "DescribeImages", Code: failure.CodeSignatureLag, RequestID: id,
				Message: fmt.Sprintf("CreateSignature was accepted for %s, but DescribeImages shows no KmsSignature %s after", dst, s.lag),
				Hint:    "re-run the step: it finds the copy in place and checks the signature again (raise index_lag to wait longer)"}
		}
	}
}

// signature is dst's KMS signature, "" if none; dst must point at digest.
func (s *Signer) signature(ctx context.Context, dst imageref.Ref, digest string) (string, error) {
	tags, _, _, err := s.inst.Images(ctx, dst.Namespace, dst.Repo, tcrops.Query{Tag: dst.Tag})
	if err != nil {
		return "", err
	}
	if len(tags) == 0 || tags[0].Digest != digest {
		return "", failure.Changed("DescribeImages", dst.String(), "", fmt.Sprintf("%s no longer points at %s: someone else wrote it before it could be signed", dst, digest))
	}
	return tags[0].KMS, nil
}
