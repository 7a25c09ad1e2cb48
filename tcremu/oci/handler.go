package oci

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Auth is how the registry authenticates a client.
type Auth int

const (
	// AuthToken is Harbor's flow: /v2/ answers 401 with a Bearer
	// challenge; the client asks the realm with Basic credentials and
	// sends the token it gets.
	AuthToken Auth = iota
	// AuthBasic takes the Basic credentials on every request.
	AuthBasic
)

// Options say how a registry behaves.
type Options struct {
	Auth Auth
	// Check says whether a username and password (an instance token) are
	// valid for this registry.
	Check func(user, password string) bool
	// Referrers serves GET /v2/<name>/referrers/<digest>; without it the
	// path is unknown (404), as distribution 2.8 answers, and clients keep
	// the fallback tag.
	Referrers bool
	// BlobRedirect, if set, is a base URL on another host (object
	// storage): a blob GET answers 307 to BlobRedirect/<digest>, as TCR
	// serves blobs from COS.
	BlobRedirect string
	// Blob, if set, may spoil a blob on its way out: it is told the
	// blob's digest and how many times it was served before.
	Blob func(digest string, served int) BlobFault
	// Backend, if set, serves the distribution API in place of the store,
	// behind this server's token service: the emulator as Harbor's gate in
	// front of a real registry server (a reverse proxy to Debian's
	// docker-registry, in the tests across instances). The Authorization
	// header stays with the gate.
	Backend http.Handler
}

// BlobFault is what happens to a blob on its way out.
type BlobFault int

const (
	BlobWhole   BlobFault = iota
	BlobCorrupt           // one byte changed, the length kept: the digest no longer matches
	BlobCut               // the whole Content-Length promised, half the bytes sent, the connection closed
)

// Server serves one registry's distribution API.
type Server struct {
	store   *Store
	opts    Options
	mu      sync.Mutex
	tokens  map[string]bool // bearer tokens issued
	uploads map[string]*upload
	served  map[string]int // GETs of each blob
	// Requests counts every request served, by method and kind
	// ("GET manifest", "HEAD blob", "POST upload", "PUT manifest", …).
	requests sync.Map // string → *atomic.Int64
}

type upload struct {
	repo string
	data []byte
}

// NewServer serves store as o says.
func NewServer(store *Store, o Options) *Server {
	return &Server{store: store, opts: o, tokens: map[string]bool{}, uploads: map[string]*upload{}, served: map[string]int{}}
}

// Count is how many requests of a kind ("GET manifest", "POST upload", …)
// the server answered.
func (s *Server) Count(kind string) int64 {
	if v, ok := s.requests.Load(kind); ok {
		return v.(*atomic.Int64).Load()
	}
	return 0
}

func (s *Server) count(kind string) {
	v, _ := s.requests.LoadOrStore(kind, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

// apiError writes a distribution API error.
func apiError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{"code": code, "message": msg}}})
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ServeHTTP answers the token service and the distribution API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/service/token" {
		s.count("GET token")
		s.token(w, r)
		return
	}
	if !s.authorized(r) {
		s.challenge(w, r)
		return
	}
	if s.opts.Backend != nil {
		s.count(r.Method + " backend")
		r.Header.Del("Authorization")
		s.opts.Backend.ServeHTTP(w, r)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/v2/")
	if !ok {
		apiError(w, http.StatusNotFound, "NOT_FOUND", "not a registry path")
		return
	}
	if rest == "" {
		s.count("GET base")
		w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
		w.WriteHeader(http.StatusOK)
		return
	}
	s.route(w, r, rest)
}

// route dispatches /v2/<name>/<kind>/<rest>; a name may hold slashes.
func (s *Server) route(w http.ResponseWriter, r *http.Request, rest string) {
	for _, kind := range []string{"/manifests/", "/blobs/uploads/", "/blobs/uploads", "/blobs/", "/tags/list", "/referrers/"} {
		i := strings.LastIndex(rest, kind)
		if i <= 0 {
			continue
		}
		name, arg := rest[:i], rest[i+len(kind):]
		switch kind {
		case "/manifests/":
			s.count(r.Method + " manifest")
			s.manifest(w, r, name, arg)
		case "/blobs/uploads/", "/blobs/uploads":
			s.count(r.Method + " upload")
			s.upload(w, r, name, arg)
		case "/blobs/":
			s.count(r.Method + " blob")
			s.blob(w, r, name, arg)
		case "/tags/list":
			s.count("GET tags")
			_ = json.NewEncoder(w).Encode(map[string]any{"name": name, "tags": s.store.Tags(name)})
		case "/referrers/":
			s.count("GET referrers")
			s.referrers(w, r, name, arg)
		}
		return
	}
	apiError(w, http.StatusNotFound, "NOT_FOUND", "unknown path")
}

func (s *Server) manifest(w http.ResponseWriter, r *http.Request, name, ref string) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		m, d, ok := s.store.Manifest(name, ref)
		if !ok {
			apiError(w, http.StatusNotFound, "MANIFEST_UNKNOWN", "manifest unknown")
			return
		}
		w.Header().Set("Content-Type", m.MediaType)
		w.Header().Set("Docker-Content-Digest", d)
		w.Header().Set("Content-Length", strconv.Itoa(len(m.Body)))
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = w.Write(m.Body)
		}
	case http.MethodPut:
		body, err := io.ReadAll(io.LimitReader(r.Body, maxManifestLength+1))
		if err != nil {
			return
		}
		d, err := s.store.PutManifest(name, ref, r.Header.Get("Content-Type"), body)
		if err != nil {
			code, _, _ := strings.Cut(err.Error(), ":")
			status := http.StatusBadRequest
			if errors.Is(err, ErrNameUnknown) {
				status = http.StatusNotFound
			}
			apiError(w, status, code, err.Error())
			return
		}
		var p parsed
		if s.opts.Referrers && json.Unmarshal(body, &p) == nil && p.Subject != nil {
			w.Header().Set("OCI-Subject", p.Subject.Digest)
		}
		w.Header().Set("Location", "/v2/"+name+"/manifests/"+d)
		w.Header().Set("Docker-Content-Digest", d)
		w.WriteHeader(http.StatusCreated)
	default:
		apiError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "method not allowed")
	}
}

func (s *Server) blob(w http.ResponseWriter, r *http.Request, name, digest string) {
	b, ok := s.store.Blob(name, digest)
	if !ok {
		apiError(w, http.StatusNotFound, "BLOB_UNKNOWN", "blob unknown")
		return
	}
	if s.opts.BlobRedirect != "" && r.Method == http.MethodGet {
		http.Redirect(w, r, s.opts.BlobRedirect+"/"+digest, http.StatusTemporaryRedirect)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Docker-Content-Digest", digest)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodGet {
		return
	}
	s.mu.Lock()
	served := s.served[digest]
	s.served[digest]++
	s.mu.Unlock()
	fault := BlobWhole
	if s.opts.Blob != nil {
		fault = s.opts.Blob(digest, served)
	}
	switch fault {
	case BlobCorrupt:
		b = append([]byte(nil), b...)
		b[len(b)/2] ^= 0xff
	case BlobCut:
		_, _ = w.Write(b[:len(b)/2])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
			}
		}
		return
	}
	_, _ = w.Write(b)
}

// upload serves POST (a mount, a monolithic upload, or a session's
// start), PATCH (a chunk), PUT (the end, with the digest) and DELETE.
func (s *Server) upload(w http.ResponseWriter, r *http.Request, name, id string) {
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		if d := q.Get("mount"); d != "" && s.store.Mount(name, q.Get("from"), d) {
			w.Header().Set("Location", "/v2/"+name+"/blobs/"+d)
			w.Header().Set("Docker-Content-Digest", d)
			w.WriteHeader(http.StatusCreated)
			return
		}
		id = randomHex(16)
		s.mu.Lock()
		s.uploads[id] = &upload{repo: name}
		s.mu.Unlock()
		if d := q.Get("digest"); d != "" {
			s.finish(w, r, name, id, d)
			return
		}
		w.Header().Set("Location", "/v2/"+name+"/blobs/uploads/"+id)
		w.Header().Set("Range", "0-0")
		w.WriteHeader(http.StatusAccepted)
		return
	}
	s.mu.Lock()
	up := s.uploads[id]
	s.mu.Unlock()
	if up == nil || up.repo != name {
		apiError(w, http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN", "upload unknown")
		return
	}
	switch r.Method {
	case http.MethodPatch:
		if !s.appendBody(w, r, id) {
			return
		}
		w.Header().Set("Location", "/v2/"+name+"/blobs/uploads/"+id)
		w.Header().Set("Range", fmt.Sprintf("0-%d", max(len(up.data)-1, 0)))
		w.WriteHeader(http.StatusAccepted)
	case http.MethodPut:
		s.finish(w, r, name, id, q.Get("digest"))
	case http.MethodDelete:
		s.mu.Lock()
		delete(s.uploads, id)
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		apiError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "method not allowed")
	}
}

// appendBody adds the request's body to upload id; false if it broke off.
func (s *Server) appendBody(w http.ResponseWriter, r *http.Request, id string) bool {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		apiError(w, http.StatusBadRequest, "BLOB_UPLOAD_INVALID", "the body broke off")
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.uploads[id].data = append(s.uploads[id].data, b...)
	return true
}

// finish ends an upload: its bytes must have the digest the client names.
func (s *Server) finish(w http.ResponseWriter, r *http.Request, name, id, digest string) {
	if !s.appendBody(w, r, id) {
		return
	}
	s.mu.Lock()
	data := s.uploads[id].data
	delete(s.uploads, id)
	s.mu.Unlock()
	if !IsDigest(digest) || Digest(data) != digest {
		apiError(w, http.StatusBadRequest, "DIGEST_INVALID", "the content does not match the digest")
		return
	}
	s.store.PutBlob(name, data)
	w.Header().Set("Location", "/v2/"+name+"/blobs/"+digest)
	w.Header().Set("Docker-Content-Digest", digest)
	w.WriteHeader(http.StatusCreated)
}

func (s *Server) referrers(w http.ResponseWriter, r *http.Request, name, digest string) {
	if !s.opts.Referrers {
		apiError(w, http.StatusNotFound, "NOT_FOUND", "unknown path")
		return
	}
	if !IsDigest(digest) {
		apiError(w, http.StatusBadRequest, "DIGEST_INVALID", "not a digest")
		return
	}
	refs := s.store.Referrers(name, digest)
	if at := r.URL.Query().Get("artifactType"); at != "" {
		kept := refs[:0]
		for _, d := range refs {
			if d.ArtifactType == at {
				kept = append(kept, d)
			}
		}
		refs = kept
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	w.Header().Set("Content-Type", MediaOCIIndex)
	_ = json.NewEncoder(w).Encode(map[string]any{"schemaVersion": 2, "mediaType": MediaOCIIndex, "manifests": refs})
}
