package promote

import (
	"context"

	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/tcrapi"
)

// An exact promotion puts into the destination exactly the digest that
// was checked, or nothing, through a scratch copy (plugin/scratch).

// exact reports whether the promotion of src must copy exactly what was
// checked: a gate read the source, or a digest pins it.
func (p *Promoter) exact(src imageref.Ref, o observation) bool {
	if !o.verified || p.cfg.Personal {
		return false
	}
	s := p.cfg.Supply
	return src.Digest != "" || p.cfg.ExpectedDigest != "" || s.RequireSignature != "" || len(s.RequireLabels) > 0
}

// staging is the flow's side of the scratch copies: its copy, and its
// read-back that waits for TCR's index.
type staging struct{ p *Promoter }

func (s staging) DuplicateImage(ctx context.Context, src imageref.Ref, from string, dst imageref.Ref, override bool, check tcrapi.ResendCheck) (string, error) {
	return s.p.duplicate(ctx, src, from, dst, override, check)
}

func (s staging) Settle(ctx context.Context, ref imageref.Ref, want string) (string, bool, error) {
	return s.p.settle(ctx, ref, want, "")
}

func (s staging) DeleteRepository(ctx context.Context, ns, repo string) error {
	return s.p.reg.DeleteRepository(ctx, ns, repo)
}
