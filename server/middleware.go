package server

import (
	"context"
	"crypto/subtle"
	"net"
	"net/http"
	"strings"
	"time"
)

// tokenCookie carries the auth token for browsers once they opened a page
// with ?token=, so that the editor's own fetches and websocket work.
const tokenCookie = "sumi_token"

// middleware applies, in order: CORS or the origin check, the auth token,
// the body limit and cache headers.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.CORSOrigin != "" {
			setCORS(w.Header(), s.cfg.CORSOrigin)
		} else if crossSite(r) {
			fail(w, http.StatusForbidden)
			return
		}
		if r.Method == http.MethodOptions {
			emptyOK(w)
			return
		}
		if !s.authorized(w, r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="sumi"`)
			fail(w, http.StatusUnauthorized)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUploadSize)
		setCacheHeaders(w.Header(), r.URL.Path)
		next.ServeHTTP(w, r)
	})
}

func setCORS(h http.Header, origin string) {
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Methods", "POST, GET, DELETE, PUT, OPTIONS, PATCH")
	h.Set("Access-Control-Allow-Headers", "Content-Type, Authorization")
	h.Set("Access-Control-Allow-Credentials", "true")
}

// crossSite is ComfyUI's origin check: a request to a loopback Host whose
// Origin names another host is refused, so that a web page cannot drive a
// local server. Ports are compared only when both sides carry one.
func crossSite(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if r.Host == "" || origin == "" {
		return false
	}
	i := strings.Index(origin, "://")
	if i < 0 {
		return false
	}
	oHost, oPort := splitHostPort(strings.TrimRight(origin[i+3:], "/"))
	hHost, hPort := splitHostPort(r.Host)
	if !isLoopback(hHost) {
		return false
	}
	if oHost != hHost {
		return true
	}
	return oPort != "" && hPort != "" && oPort != hPort
}

func splitHostPort(hp string) (host, port string) {
	if h, p, err := net.SplitHostPort(hp); err == nil {
		return strings.ToLower(h), p
	}
	return strings.ToLower(strings.Trim(hp, "[]")), ""
}

// isLoopback resolves host (briefly) and reports whether it is local.
func isLoopback(host string) bool {
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil || len(addrs) == 0 {
		return false
	}
	for _, a := range addrs {
		if !a.IP.IsLoopback() {
			return false
		}
	}
	return true
}

// authorized checks the bearer token, the token query parameter (which
// also sets a cookie for the browser) or that cookie.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	want := s.cfg.AuthToken
	if want == "" {
		return true
	}
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") && sameToken(h[7:], want) {
		return true
	}
	if q := r.URL.Query().Get("token"); q != "" && sameToken(q, want) {
		http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: want, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		return true
	}
	if c, err := r.Cookie(tokenCookie); err == nil && sameToken(c.Value, want) {
		return true
	}
	return false
}

func sameToken(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// setCacheHeaders mirrors ComfyUI's cache middleware for static files.
func setCacheHeaders(h http.Header, path string) {
	base := path[strings.LastIndex(path, "/")+1:]
	switch {
	case strings.HasSuffix(path, ".js"), strings.HasSuffix(path, ".css"),
		strings.HasPrefix(base, "index") && strings.HasSuffix(base, ".json"):
		h.Set("Cache-Control", "no-cache")
	}
}
