package tcremu

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tcr-promote/tcr-promote/tcremu/api3"
	"github.com/tcr-promote/tcr-promote/tcremu/cam"
	"github.com/tcr-promote/tcr-promote/tcremu/model"
	"github.com/tcr-promote/tcr-promote/tcremu/oci"
)

// Each instance has a registry (tcremu/oci) beside its API, sharing its
// tags: a tag pushed there shows in DescribeImages, and DuplicateImage
// copies a tag's bytes there too. Its credentials are the temporary
// tokens CreateInstanceToken gives.

// instanceToken is a token CreateInstanceToken gave.
type instanceToken struct {
	registryID, username string
	expiry               time.Time
}

// Store is the registry content of instance id, for tests to push real
// manifests and blobs into and read back; nil if there is no such instance.
func (e *Emulator) Store(id string) *oci.Store {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r := e.registries[id]; r != nil {
		return r.store
	}
	return nil
}

// newStore is an instance's registry content, telling its tags to the API
// side.
func (e *Emulator) newStore(id string) *oci.Store {
	st := oci.NewStore()
	st.OnTag = func(repo, tag, digest string) error {
		ns, name, ok := strings.Cut(repo, "/")
		if !ok {
			return fmt.Errorf("%s: a repository is <namespace>/<name>", repo)
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		n := e.registries[id].namespaces[ns]
		if n == nil {
			return fmt.Errorf("project %s not found", ns)
		}
		rp := n.Repository(name, time.Time{})
		img := model.NewImage(digest, e.now())
		rp.Put(tag, img, e.now().Add(e.behaviour.IndexLag))
		return nil
	}
	return st
}

// RegistryServer serves instance id's registry as o says, taking the
// tokens CreateInstanceToken gave for it (o.Check, unless set); nil if
// there is no such instance.
func (e *Emulator) RegistryServer(id string, o oci.Options) *oci.Server {
	st := e.Store(id)
	if st == nil {
		return nil
	}
	if o.Check == nil {
		o.Check = func(user, password string) bool {
			e.mu.Lock()
			defer e.mu.Unlock()
			t, ok := e.instanceTokens[password]
			return ok && t.registryID == id && t.username == user && e.now().Before(t.expiry)
		}
	}
	return oci.NewServer(st, o)
}

type createInstanceTokenParams struct {
	RegistryId *string `json:"RegistryId"`
	TokenType  *string `json:"TokenType"`
	Desc       *string `json:"Desc"`
}

// createInstanceToken gives a temporary token (an hour) to the instance's
// registry; ExpTime is in Unix milliseconds, as Harbor's adapter reads it.
func (e *Emulator) createInstanceToken(c call, p *createInstanceTokenParams) (any, *api3.Error) {
	if p.TokenType != nil && *p.TokenType != "temp" && *p.TokenType != "longterm" {
		return nil, model.Invalid("TokenType", *p.TokenType)
	}
	return e.withInstance(c, p.RegistryId, func(r *registry) (any, *api3.Error) {
		tok := "eyJ" + cam.RandomHex(48) // the shape of a JWT's start, the length of one's signature
		exp := e.now().Add(time.Hour)
		e.instanceTokens[tok] = instanceToken{registryID: r.id, username: c.caller.Account, expiry: exp}
		return map[string]any{"Username": c.caller.Account, "Token": tok, "ExpTime": exp.UnixMilli()}, nil
	})
}

// InstanceTokens lists every token CreateInstanceToken gave, for tests
// that check none is ever printed.
func (e *Emulator) InstanceTokens() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Sorted(maps.Keys(e.instanceTokens))
}
