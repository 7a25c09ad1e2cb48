// Package promofile reads a promotion file: the reviewed YAML list of
// which image goes to which tags. It knows the file's format only —
// strictly: every problem is named as file:line:column, a key given twice,
// a second document or an unknown key is a problem, not a choice — and
// leaves what the promotions mean for the instance to the settings.
package promofile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tcr-promote/tcr-promote/plugin/imageref"
	"gopkg.in/yaml.v3"
)

// File is a promotion file, read.
type File struct {
	Path       string // as given, relative to the workspace
	Read       bool   // the file held a mapping to read: its keys were looked at
	Registry   string // its registry host, lower-case; "" when it names none or a bad one
	RegistryAt string // where registry is written, file:line:column; "" when it is not
	Promotions []Promotion
	Problems   []string // what is wrong with it, each at its position
}

// Promotion is one destination of the file, with its source.
type Promotion struct {
	Source          imageref.Ref // without the host: in the file's registry
	Destination     imageref.Ref // without the host, unless on another instance
	Override        bool
	Where, SourceAt string // the destination's and the source's file:line:column
}

// Parse reads text, the file at path. A file with problems may still
// carry the promotions that were read without any.
func Parse(path string, text []byte) File {
	f := &fileParser{file: File{Path: path}, seen: map[imageref.Ref]string{}}
	root := f.document(text)
	if root == nil || !f.mapping(root, "the file") {
		return f.file
	}
	f.file.Read = true
	var promotions *yaml.Node
	f.fields(root, func(key string, k, v *yaml.Node) bool {
		switch key {
		case "registry":
			if host := f.scalar(v, "registry"); host != "" {
				f.registry(v, host)
			}
		case "promotions":
			promotions = v
		default:
			return false
		}
		return true
	}, "registry, promotions")
	switch {
	case promotions == nil:
		f.failAt(root, "promotions is missing: list what to promote, e.g. - source: develop/app@sha256:… with destinations: [release/app:prd]")
	case promotions.Kind != yaml.SequenceNode || len(promotions.Content) == 0:
		f.failAt(promotions, "promotions must be a list of promotions, each with source and destinations")
	default:
		for _, item := range promotions.Content {
			f.promotion(item)
		}
	}
	return f.file
}

// document decodes the file's one YAML document and returns its root; a
// second document would be read by nobody — the step promotes what the
// first says, and a reviewer may read the second — so it is a problem at
// its position. nil when there is no document to read.
func (f *fileParser) document(text []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(text))
	var doc yaml.Node
	err := dec.Decode(&doc)
	switch {
	case errors.Is(err, io.EOF) || err == nil && len(doc.Content) == 0:
		f.fail("%s: the file is empty: it needs promotions (a list of source and destinations)", f.file.Path)
		return nil
	case err != nil:
		f.fail("%s: %v", f.file.Path, err)
		return nil
	}
	var second yaml.Node
	switch err := dec.Decode(&second); {
	case errors.Is(err, io.EOF):
	case err != nil:
		f.fail("%s: %v", f.file.Path, err)
	case len(second.Content) > 0 && second.Content[0].Tag != "!!null":
		f.failAt(second.Content[0], "a second YAML document (after ---): a promotion file is one document; merge them, or split them into two files")
	}
	return doc.Content[0]
}

// fileParser reads one promotion file's nodes, failing with positions.
type fileParser struct {
	file File
	seen map[imageref.Ref]string // each destination, at its first position
}

func (f *fileParser) fail(format string, args ...any) {
	f.file.Problems = append(f.file.Problems, fmt.Sprintf(format, args...))
}

func (f *fileParser) at(n *yaml.Node) string {
	return fmt.Sprintf("%s:%d:%d", f.file.Path, n.Line, n.Column)
}

func (f *fileParser) failAt(n *yaml.Node, format string, args ...any) {
	f.fail("%s: %s", f.at(n), fmt.Sprintf(format, args...))
}

func (f *fileParser) mapping(n *yaml.Node, what string) bool {
	if n.Kind != yaml.MappingNode {
		f.failAt(n, "%s must be a mapping of keys to values", what)
		return false
	}
	return true
}

// fields calls fn for each key of a mapping; a key fn does not take is
// unknown, and named with the keys allowed.
func (f *fileParser) fields(n *yaml.Node, fn func(key string, k, v *yaml.Node) bool, allowed string) {
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if first := seen[k.Value]; first != nil {
			// YAML lets the last one win, silently: a reviewer could read
			// the first.
			f.failAt(k, "%s is given twice (first at line %d)", k.Value, first.Line)
			continue
		}
		seen[k.Value] = k
		if !fn(k.Value, k, v) {
			f.failAt(k, "unknown key %q (the keys here are %s)", k.Value, allowed)
		}
	}
}

func (f *fileParser) scalar(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		f.failAt(n, "%s must be a string", what)
		return ""
	}
	return n.Value
}

// registry reads the file's registry host: an Enterprise instance's, or
// a custom domain's (which the settings must then name by registry_id and
// region).
func (f *fileParser) registry(n *yaml.Node, host string) {
	lower := strings.ToLower(host)
	f.file.RegistryAt = f.at(n)
	switch kind, _, _ := imageref.ClassifyHost(lower); {
	case !imageref.IsHost(lower):
		f.failAt(n, "registry: %q is not a registry host such as acme.tencentcloudcr.com", host)
	case kind == imageref.HostPersonal:
		f.failAt(n, "registry: %s is the Personal edition, whose API gives no digest before a copy: a promotion file needs an Enterprise instance", lower)
	default:
		f.file.Registry = lower
	}
}

// promotion reads one entry: a source, its destinations, override.
func (f *fileParser) promotion(n *yaml.Node) {
	if !f.mapping(n, "a promotion") {
		return
	}
	var (
		src          imageref.Ref
		srcNode, dst *yaml.Node
		override     bool
	)
	f.fields(n, func(key string, k, v *yaml.Node) bool {
		switch key {
		case "source":
			srcNode = v
		case "destinations":
			dst = v
		case "override":
			// By its resolved YAML type: True and TRUE are booleans too.
			if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" || v.Decode(&override) != nil {
				f.failAt(v, "override must be true or false")
			}
		default:
			return false
		}
		return true
	}, "source, destinations, override")
	switch {
	case srcNode == nil:
		f.failAt(n, "source is missing: the image to promote, e.g. develop/app@sha256:… (a digest, recommended) or develop/app:stg")
		return
	case dst == nil:
		f.failAt(n, "destinations is missing: the tags to create, e.g. [release/app:prd]")
		return
	}
	var ok bool
	if src, ok = f.reference(srcNode, "source"); !ok {
		return
	}
	if dst.Kind == yaml.ScalarNode {
		dst = &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{dst}, Line: dst.Line, Column: dst.Column}
	}
	if dst.Kind != yaml.SequenceNode || len(dst.Content) == 0 {
		f.failAt(dst, "destinations must list at least one tag, e.g. [release/app:prd, release/app:v1.4.2]")
		return
	}
	f.destinations(dst, src, srcNode, override)
}

// destinations reads one promotion's destinations: each a
// tag, not the source, named once in the file.
func (f *fileParser) destinations(dst *yaml.Node, src imageref.Ref, srcNode *yaml.Node, override bool) {
	for _, d := range dst.Content {
		ref, ok := f.reference(d, "a destination")
		switch {
		case !ok:
			continue
		case ref.Digest != "":
			f.failAt(d, "%q: a destination is a tag, not a digest", d.Value)
			continue
		case ref == src:
			f.failAt(d, "%q is the source itself", d.Value)
			continue
		}
		if first, dup := f.seen[ref]; dup {
			// Two promotions onto one tag would race, and the file would
			// not say which wins.
			f.failAt(d, "%s is listed twice (first at %s): a destination is named once in the file", ref, first)
			continue
		}
		f.seen[ref] = f.at(d)
		f.file.Promotions = append(f.file.Promotions, Promotion{Source: src, Destination: ref, Override: override, Where: f.at(d), SourceAt: f.at(srcNode)})
	}
}

// reference reads a reference without a host, or with the file's. A
// destination may name another registry's host, which it keeps: another
// instance, copied into through the registries.
func (f *fileParser) reference(n *yaml.Node, what string) (imageref.Ref, bool) {
	s := f.scalar(n, what)
	if s == "" {
		return imageref.Ref{}, false
	}
	r, err := imageref.Parse(s)
	r.Host = strings.ToLower(r.Host)
	switch {
	case err != nil:
		f.failAt(n, "%s %q: %v", what, s, err)
		return r, false
	case r.Host == "" || r.Host == f.file.Registry:
		r.Host = ""
	case f.file.Registry == "":
		f.failAt(n, "%s %q names a registry host: set registry at the top of the file, or leave the host out", what, s)
		return r, false
	case what == "source":
		f.failAt(n, "source %q is in another registry than the file's (%s): sources are in the file's registry; a destination may name another instance", s, f.file.Registry)
		return r, false
	}
	return r, true
}
