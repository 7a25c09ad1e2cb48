// Package imageref is the step's one image reference: a repository of a
// registry — namespace/repo, nested repositories allowed — and what in it
// is meant: a tag, a digest, or a tag pinned to a digest. References are
// read as docker, crane and skopeo write them — the tests hold the reading
// to github.com/distribution/reference's grammar — then held to TCR's own
// name rules; registry hosts are told apart (Enterprise, Personal, custom).
package imageref

import (
	"errors"
	"strings"
)

// Ref names an image in a registry.
type Ref struct {
	Host      string // the registry host; "" when left out
	Namespace string
	Repo      string // may be nested: team/app
	Tag       string // "" for a digest alone
	Digest    string // "" for a tag alone; with a tag, it pins what the tag must point at
}

// Name is namespace/repo.
func (r Ref) Name() string { return r.Namespace + "/" + r.Repo }

// String writes the reference as docker does: [host/]namespace/repo, then
// :tag, @digest or both.
func (r Ref) String() string {
	s := r.Name()
	if r.Host != "" {
		s = r.Host + "/" + s
	}
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// Repository is the reference's repository, its host kept: no tag, no
// digest.
func (r Ref) Repository() Ref { return Ref{Host: r.Host, Namespace: r.Namespace, Repo: r.Repo} }

// ByDigest reports whether the reference names its image by digest alone.
func (r Ref) ByDigest() bool { return r.Tag == "" && r.Digest != "" }

// Parse reads a reference: [host/]namespace/repo[/more], then :tag,
// @sha256:digest, or :tag@sha256:digest. As docker does, the first
// component is a host when it has a dot or a port, or is localhost. A tag
// or a digest is required: a promotion names what it promotes.
func Parse(s string) (Ref, error) {
	name, digest, pinned := strings.Cut(s, "@")
	if pinned && !IsDigest(digest) {
		return Ref{}, errors.New("the part after @ is not a digest (sha256: and 64 hex digits)")
	}
	r, err := parseTagged(name)
	r.Digest = digest
	switch {
	case errors.Is(err, errNoTag) && pinned:
		return r, nil // a digest alone
	case errors.Is(err, errNoTag):
		return r, errors.New("it names no tag (:tag) or digest (@sha256:…)")
	}
	return r, err
}

var errNoTag = errors.New("no tag")

// parseTagged reads [host/]namespace/repo[:tag]; errNoTag (with the name
// read) when there is no tag. The split is docker's own (ref_test.go holds
// it to distribution/reference's grammar); the names then meet TCR's rules,
// which are stricter.
func parseTagged(s string) (Ref, error) {
	var r Ref
	name := s
	if colon := strings.LastIndexByte(s, ':'); colon > strings.LastIndexByte(s, '/') {
		if name, r.Tag = s[:colon], s[colon+1:]; !IsTag(r.Tag) {
			return r, errors.New("the part after : is not " + TagRule)
		}
	}
	parts := strings.Split(name, "/")
	if len(parts) > 1 && (strings.ContainsAny(parts[0], ".:") || parts[0] == "localhost") {
		r.Host, parts = parts[0], parts[1:]
		if !IsHost(r.Host) {
			return r, errors.New("its host is not a host name")
		}
	}
	if len(parts) < 2 {
		return r, errors.New("it needs a namespace and a repository: namespace/repo:tag")
	}
	r.Namespace, r.Repo = parts[0], strings.Join(parts[1:], "/")
	switch {
	case !IsNamespace(r.Namespace):
		return r, errors.New("its namespace is not " + NamespaceRule)
	case !IsRepo(r.Repo):
		return r, errors.New("its repository is not " + RepoRule)
	case r.Tag == "":
		return r, errNoTag
	}
	return r, nil
}
