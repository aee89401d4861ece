package server

import (
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// placeholderPage is served at / until the editor's assets are wired in.
const placeholderPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>sumi</title></head>
<body><h1>sumi</h1><p>The ComfyUI-compatible API is running: see
<a href="/api/system_stats">/api/system_stats</a> and
<a href="/api/object_info">/api/object_info</a>.
No editor assets are bundled in this build (use --front-end-root).</p></body></html>
`

var imageExts = []string{".png", ".jpg", ".jpeg", ".webp", ".gif", ".svg", ".ico", ".bmp"}

// serveStatic serves the editor: index.html for "/" with no-cache headers,
// other files from the front-end FS.
func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if p == "" || p == "api" || p == "index.html" {
		s.serveIndex(w, r)
		return
	}
	fsys := s.cfg.FrontEnd
	isImage := hasExt(p, imageExts)
	if fsys == nil {
		s.staticMiss(w, isImage)
		return
	}
	st, err := fs.Stat(fsys, p)
	if err != nil || st.IsDir() {
		s.staticMiss(w, isImage)
		return
	}
	if isImage {
		w.Header().Set("Cache-Control", "public, max-age=86400")
	}
	http.ServeFileFS(w, r, fsys, p)
}

func (s *Server) staticMiss(w http.ResponseWriter, isImage bool) {
	if isImage {
		w.Header().Set("Cache-Control", "public, max-age=3600")
	}
	fail(w, http.StatusNotFound)
}

func hasExt(p string, exts []string) bool {
	e := strings.ToLower(path.Ext(p))
	for _, x := range exts {
		if e == x {
			return true
		}
	}
	return false
}

func (s *Server) serveIndex(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("Pragma", "no-cache")
	h.Set("Expires", "0")
	h.Set("Content-Type", "text/html; charset=utf-8")
	if s.cfg.FrontEnd != nil {
		if f, err := s.cfg.FrontEnd.Open("index.html"); err == nil {
			defer f.Close()
			io.Copy(w, f)
			return
		}
	}
	io.WriteString(w, placeholderPage)
}
