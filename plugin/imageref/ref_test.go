package imageref_test

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/distribution/reference"
	"github.com/google/go-cmp/cmp"
	"github.com/tcr-promote/tcr-promote/plugin/imageref"
)

func TestParse(t *testing.T) {
	t.Parallel()
	d := "sha256:" + strings.Repeat("a", 64)
	tests := []struct {
		in   string
		want imageref.Ref
		err  string // in the error, when it fails
	}{
		{in: "acme.tencentcloudcr.com/develop/app:stg", want: imageref.Ref{Host: "acme.tencentcloudcr.com", Namespace: "develop", Repo: "app", Tag: "stg"}},
		{in: "release/team/app:v1", want: imageref.Ref{Namespace: "release", Repo: "team/app", Tag: "v1"}},
		{in: "cr.example.com:8443/a/b/c@" + d, want: imageref.Ref{Host: "cr.example.com:8443", Namespace: "a", Repo: "b/c", Digest: d}},
		{in: "localhost/a/b:x", want: imageref.Ref{Host: "localhost", Namespace: "a", Repo: "b", Tag: "x"}},
		// docker's name:tag@digest: the digest pins the tag.
		{in: "acme.tencentcloudcr.com/develop/app:stg@" + d, want: imageref.Ref{Host: "acme.tencentcloudcr.com", Namespace: "develop", Repo: "app", Tag: "stg", Digest: d}},
		{in: "develop/app", err: "names no tag (:tag) or digest"},
		{in: "app:stg", err: "needs a namespace and a repository"},
		{in: "acme.tencentcloudcr.com/app:stg", err: "needs a namespace and a repository"},
		{in: "develop/app:-x", err: "the part after : is not a tag"},
		{in: "develop/app@sha256:abc", err: "the part after @ is not a digest"},
		{in: "develop/app:stg@sha512:" + strings.Repeat("a", 128), err: "the part after @ is not a digest"},
		{in: "Develop/app:stg", err: "its namespace is not"},
		{in: "develop/a__b:stg", err: "its repository is not"},
		{in: "develop//app:stg", err: "its repository is not"},
		{in: "-bad.example.com/a/b:c", err: "its host is not a host name"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := imageref.Parse(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Parse(%q) = %+v, %v; want an error saying %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
			}
			if back := got.String(); back != tt.in {
				t.Errorf("String() = %q, want %q back", back, tt.in)
			}
		})
	}
}

// TestAgreesWithDistributionReference holds Parse to the grammar of the
// field's own library, github.com/distribution/reference (docker's): on
// every reference it accepts, the library reads the same host, name, tag
// and digest; it refuses nothing the library reads as a reference whose
// names meet TCR's rules. (The library is not linked into the binary: its
// expressions, compiled at start-up, cost about 0.9 ms a run.)
func TestAgreesWithDistributionReference(t *testing.T) {
	t.Parallel()
	d := "sha256:" + strings.Repeat("0123456789abcdef", 4)
	corpus := []string{
		"acme.tencentcloudcr.com/develop/app:stg", "a/b:c", "a/b/c/d:e", "localhost/a/b:c", "localhost:5000/a/b@" + d, "[::1]:5000/a/b:c",
		"a.b/c/d:e@" + d, "a/b@" + d, "a/b:c@" + d, "a/b", "a:b", "A/b:c", "a/B:c", "a/b:C", "a//b:c", "a/b:", "a/b@", "/a/b:c", "a/b/:c",
		"a-/b:c", "a__b/c:d", "a/b--c:d", "a.b:c/d/e:f", "a/b:" + strings.Repeat("t", 128), "a/b:" + strings.Repeat("t", 129), "a:1/b/c:d",
	}
	const alphabet = "ab09.-_/:@AZ"
	r := rand.New(rand.NewPCG(3, 4))
	for range 30000 {
		b := make([]byte, 1+r.IntN(16))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		s := string(b)
		if r.IntN(4) == 0 {
			s += "@" + d
		}
		corpus = append(corpus, s)
	}
	for _, s := range corpus {
		ours, err := imageref.Parse(s)
		lib, libErr := libraryRead(s)
		switch {
		case err == nil && libErr != nil:
			t.Errorf("Parse(%q) = %+v, the library refuses it: %v", s, ours, libErr)
		case err == nil && ours != lib:
			t.Errorf("Parse(%q) = %+v, the library reads %+v", s, ours, lib)
		case err != nil && libErr == nil && tcrNames(lib):
			t.Errorf("Parse(%q) refuses %+v, which the library reads and TCR's rules allow: %v", s, lib, err)
		}
	}
}

// libraryRead is how the library reads s, split at the host as docker
// does: the first component is a host when it has a dot or a port, or is
// localhost (the library's plain Parse takes any first component).
func libraryRead(s string) (imageref.Ref, error) {
	parsed, err := reference.Parse(s)
	if err != nil {
		return imageref.Ref{}, err
	}
	named, ok := parsed.(reference.Named)
	if !ok {
		return imageref.Ref{}, errors.New("no name")
	}
	var r imageref.Ref
	parts := strings.Split(named.Name(), "/")
	if len(parts) > 1 && (strings.ContainsAny(parts[0], ".:") || parts[0] == "localhost") {
		r.Host, parts = parts[0], parts[1:]
	}
	if len(parts) < 2 {
		return imageref.Ref{}, errors.New("no namespace")
	}
	r.Namespace, r.Repo = parts[0], strings.Join(parts[1:], "/")
	if tagged, ok := parsed.(reference.Tagged); ok {
		r.Tag = tagged.Tag()
	}
	if digested, ok := parsed.(reference.Digested); ok {
		r.Digest = string(digested.Digest())
	}
	if r.Tag == "" && r.Digest == "" {
		return imageref.Ref{}, errors.New("no tag nor digest")
	}
	return r, nil
}

// tcrNames reports whether a reference meets TCR's rules, which are
// stricter than the library's grammar.
func tcrNames(r imageref.Ref) bool {
	return imageref.IsNamespace(r.Namespace) && imageref.IsRepo(r.Repo) && (r.Host == "" || imageref.IsHost(r.Host)) &&
		(r.Digest == "" || imageref.IsDigest(r.Digest))
}
