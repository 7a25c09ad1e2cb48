// Package tcremu is an in-process emulator of the Tencent Cloud Container
// Registry (TCR Enterprise, API version 2019-09-24) control plane and of the
// STS web-identity exchange, modelled on go-containerregistry's pkg/registry:
// New returns an http.Handler with in-memory state under a mutex, one
// function writes the API 3.0 error envelope, and faults are injected from
// the outside.
//
// It verifies TC3-HMAC-SHA256 signatures (5-minute window, unknown SecretId,
// wrong signature, missing session token), rejects unknown and mistyped
// parameters like the real API, and implements DuplicateImage,
// DescribeImages, DescribeInstances, DescribeNamespaces, the supply
// chain's and the replicas' actions (an instance's replicas in other
// regions, each with its own lag) with their documented semantics, and STS's unsigned AssumeRoleWithWebIdentity, whose
// temporary credentials TCR calls must then present with their token.
package tcremu

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tcr-promote/tcr-promote/tcremu/cam"
	"github.com/tcr-promote/tcr-promote/tcremu/faults"
	"github.com/tcr-promote/tcr-promote/tcremu/immutable"
	"github.com/tcr-promote/tcr-promote/tcremu/model"
	"github.com/tcr-promote/tcr-promote/tcremu/oci"
	"github.com/tcr-promote/tcr-promote/tcremu/personal"
)

// APIVersion is the TCR API version the emulator speaks.
const APIVersion = "2019-09-24"

// Emulator is a TCR control-plane emulator. Its zero value is not usable;
// call New.
type Emulator struct {
	mu         sync.Mutex
	now        func() time.Time
	cam        *cam.Directory // who calls: accounts, keys, roles
	registries map[string]*registry
	personal   *personal.Service // the Personal edition, by region
	behaviour  Behaviour
	ruleIDs    int64
	faults     faults.Book
	log        []Entry
	limits     map[string]*faults.Window
	logf       func(format string, args ...any)
	latency    time.Duration
	artifacts  map[string]Artifact // what each digest is, beyond the default
	// instanceTokens are the registry tokens CreateInstanceToken gave.
	instanceTokens map[string]instanceToken
}

type registry struct {
	id, name, region, domain, status string
	account                          string // the UIN it belongs to; "" is the default account
	namespaces                       map[string]*model.Namespace
	rules                            map[string]*immutable.Compiled // by namespace
	replicas                         []*replica                     // in other regions
	store                            *oci.Store                     // its registry's content
}

// Image is what a tag points at.
type Image = model.Image

// Option configures an Emulator.
type Option func(*Emulator)

// WithCredential accepts requests signed with this SecretId/SecretKey pair.
func WithCredential(secretID, secretKey string) Option {
	return func(e *Emulator) { e.cam.AddKey("", secretID, secretKey) }
}

// WithAccount sets the account (UIN) every credential belongs to, as STS
// GetCallerIdentity tells it.
func WithAccount(uin string) Option {
	return func(e *Emulator) { e.cam.SetDefaultAccount(uin) }
}

// WithClock replaces the clock used for signature windows and timestamps.
func WithClock(now func() time.Time) Option {
	return func(e *Emulator) { e.now = now }
}

// WithConflictCode sets the code DuplicateImage answers when the destination
// tag exists and Override is false (Behaviour.ConflictCode).
func WithConflictCode(code string) Option {
	return func(e *Emulator) { e.behaviour.ConflictCode = code }
}

// WithLogf logs each request the emulator answers.
func WithLogf(logf func(format string, args ...any)) Option {
	return func(e *Emulator) { e.logf = logf }
}

// New returns an empty emulator.
func New(opts ...Option) *Emulator {
	e := &Emulator{
		now:        time.Now,
		registries: map[string]*registry{},
		behaviour:  Behaviours()[0],
		limits:     map[string]*faults.Window{},
		artifacts:  map[string]Artifact{},

		instanceTokens: map[string]instanceToken{},
	}
	e.cam = cam.New(func() time.Time { return e.now() })
	e.personal = personal.New(func() time.Time { return e.now() })
	for _, o := range opts {
		o(e)
	}
	return e
}

// Deny makes every call of action signed by secretID fail with
// AuthFailure.UnauthorizedOperation, as a CAM policy without that action would.
func (e *Emulator) Deny(secretID, action string) { e.cam.Deny(secretID, action) }

// AddInstance creates a TCR Enterprise instance in region whose registry
// host is domain, e.g. acme.tencentcloudcr.com; its RegistryName is the
// domain's first label (acme) as TCR names them, else the id. Instances
// are regional: calls signed for another region do not find it.
func (e *Emulator) AddInstance(id, region, domain string) { e.AddInstanceOf("", id, region, domain) }

// AddInstanceOf creates an instance, as AddInstance, in another account
// (a UIN): only that account's keys find it.
func (e *Emulator) AddInstanceOf(account, id, region, domain string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	name := id
	if n, ok := strings.CutSuffix(domain, ".tencentcloudcr.com"); ok && !strings.Contains(n, ".") {
		name = n
	}
	e.registries[id] = &registry{id: id, name: name, region: region, domain: domain, status: "Running", namespaces: map[string]*model.Namespace{}, store: e.newStore(id), account: account}
}

// AddNamespace creates a namespace in an existing instance.
func (e *Emulator) AddNamespace(registryID, name string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.registries[registryID]
	if !ok {
		return fmt.Errorf("no instance %s", registryID)
	}
	if r.namespaces[name] == nil {
		r.namespaces[name] = model.NewNamespace()
	}
	return nil
}

// PutImage points tag at digest, creating the repository (and namespace) as
// a docker push would. It sets the scene: DescribeImages shows it at once,
// whatever the behaviour's IndexLag.
func (e *Emulator) PutImage(registryID, ns, repo, tag, digest string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.registries[registryID]
	if !ok {
		return fmt.Errorf("no instance %s", registryID)
	}
	n := r.namespaces[ns]
	if n == nil {
		n = model.NewNamespace()
		r.namespaces[ns] = n
	}
	rp := n.Repository(repo, time.Time{})
	img := model.NewImage(digest, e.now())
	rp.Put(tag, img, time.Time{})
	return nil
}

// Lookup returns what a tag points at.
func (e *Emulator) Lookup(registryID, ns, repo, tag string) (Image, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	rp := e.repo(registryID, ns, repo)
	if rp == nil {
		return Image{}, false
	}
	img, ok := rp.Tags[tag]
	return img, ok
}

// Tags lists the tags of a repository, sorted.
func (e *Emulator) Tags(registryID, ns, repo string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	rp := e.repo(registryID, ns, repo)
	if rp == nil {
		return nil
	}
	tags := make([]string, 0, len(rp.Tags))
	for t := range rp.Tags {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	return tags
}

// repo must be called with e.mu held.
// Repositories lists a namespace's repositories, sorted.
func (e *Emulator) Repositories(registryID, ns string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	if r := e.registries[registryID]; r != nil && r.namespaces[ns] != nil {
		for name := range r.namespaces[ns].Repos {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func (e *Emulator) repo(registryID, ns, repo string) *model.Repository {
	r := e.registries[registryID]
	if r == nil {
		return nil
	}
	n := r.namespaces[ns]
	if n == nil {
		return nil
	}
	return n.Repos[repo]
}

// newRequestID returns a random UUID, the shape of a real RequestId.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

var _ http.Handler = (*Emulator)(nil)
