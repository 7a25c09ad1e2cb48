package promote

import (
	"context"
	"errors"

	"github.com/tcr-promote/tcr-promote/plugin/failure"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"github.com/tcr-promote/tcr-promote/plugin/tagread"
	"github.com/tcr-promote/tcr-promote/plugin/tcrops"
)

// The supply chain of a promotion: what the source must be before any
// copy (the gates), what travels with it (carried by plugin/carry), what
// is signed after it, and what the image is (its platforms).

// tags is the flow's side of carrying cosign tags on the source's
// instance: its reads (a promotion file's repositories listed once) and
// its copy, settled by reading.
type tags struct{ p *Promoter }

func (t tags) Like(ctx context.Context, ref imageref.Ref, like string) ([]tcrops.Tag, error) {
	var out []tcrops.Tag
	l, listed, err := t.p.listed(ctx, ref)
	if listed {
		for _, tag := range l.Tags {
			out = append(out, tag)
		}
	} else {
		out, _, err = t.p.images(ctx, ref.Repository(), tcrops.Query{Like: like})
	}
	if tagread.NotFound(err) {
		return nil, nil
	}
	return out, err
}

// Copy copies from to to, never over another tag. A refusal because it
// exists, or an answer lost, is settled by reading it.
func (t tags) Copy(ctx context.Context, from, to imageref.Ref, digest string) (string, error) {
	_, err := t.p.duplicate(ctx, from, from.Tag, to, false, nil)
	if err == nil {
		return digest, nil
	}
	if e, ok := errors.AsType[*failure.Error](err); !ok || e.Class != failure.ClassConflict && !e.Ambiguous {
		return "", err
	}
	got, _, rerr := t.p.settle(ctx, to, digest, "")
	if rerr != nil || got == "" {
		return "", err
	}
	return got, nil
}

// manifest is what DescribeImageManifests says of a tag: its platforms
// and labels.
type manifest struct {
	platforms []string          // os/arch[/variant], one for an image, each image's for an index
	index     bool              // an index (a multi-arch image)
	labels    map[string]string // the labels read
	from      string            // where they were read, for messages
}

// manifestOf reads ref's manifest, once per tag.
func (p *Promoter) manifestOf(ctx context.Context, ref imageref.Ref) (manifest, error) {
	return p.manifests.Get(ref, func() (manifest, error) {
		m, err := p.reg.Manifest(ctx, ref)
		return manifest{platforms: m.Platforms, index: m.Index, labels: m.Labels, from: m.From}, err
	})
}
