package oci

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Harbor's token flow, as TCR's registry runs it: a challenge naming the
// realm, a bearer token for the instance token as Basic credentials.

// authorized checks the request's credentials: a token the token service
// issued, or (AuthBasic) the Basic credentials themselves.
func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if tok, ok := strings.CutPrefix(h, "Bearer "); ok && s.opts.Auth == AuthToken {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.tokens[tok]
	}
	user, pass, ok := r.BasicAuth()
	return ok && s.opts.Auth == AuthBasic && s.opts.Check != nil && s.opts.Check(user, pass)
}

func (s *Server) challenge(w http.ResponseWriter, r *http.Request) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if s.opts.Auth == AuthBasic {
		w.Header().Set("WWW-Authenticate", `Basic realm="harbor"`)
	} else {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s://%s/service/token",service="harbor-registry"`, scheme, r.Host))
	}
	apiError(w, http.StatusUnauthorized, "UNAUTHORIZED", "authentication required")
}

// token is Harbor's token service: Basic credentials in, a bearer token out.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if s.opts.Auth != AuthToken || !ok || s.opts.Check == nil || !s.opts.Check(user, pass) {
		apiError(w, http.StatusUnauthorized, "UNAUTHORIZED", "invalid credentials")
		return
	}
	tok := randomHex(24)
	s.mu.Lock()
	s.tokens[tok] = true
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"token": tok, "access_token": tok, "expires_in": 1800})
}
