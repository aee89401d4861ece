package server

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	_ "golang.org/x/image/webp" // /view may be asked to re-encode uploaded webp files

	"sumi/folders"
)

// getView serves a file of the output, input or temp folder following the
// spec's steps: 404 without filename, 400 for "..", absolute names or an
// unknown type, 403 for a subfolder outside the folder, 404 when missing.
func (s *Server) getView(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !q.Has("filename") {
		fail(w, http.StatusNotFound)
		return
	}
	name, typ := folders.ParseAnnotated(q.Get("filename"))
	if typ == "" {
		typ = q.Get("type")
		if typ == "" {
			typ = "output"
		}
	}
	if name == "" || name[0] == '/' || strings.Contains(name, "..") || strings.ContainsAny(name, "\x00\\") {
		fail(w, http.StatusBadRequest)
		return
	}
	dir, ok := s.cfg.Folders.Dir(typ)
	if !ok {
		fail(w, http.StatusBadRequest)
		return
	}
	if sub := q.Get("subfolder"); sub != "" {
		d, err := folders.Resolve(dir, sub)
		if err != nil {
			fail(w, http.StatusForbidden)
			return
		}
		dir = d
	}
	base := path.Base(name)
	full, err := folders.Resolve(dir, base)
	if err != nil {
		fail(w, http.StatusForbidden)
		return
	}
	st, err := os.Stat(full)
	if err != nil || !st.Mode().IsRegular() {
		fail(w, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Disposition", `filename="`+strings.ReplaceAll(base, `"`, `\"`)+`"`)
	if p, c := q.Get("preview"), q.Get("channel"); p != "" || (c != "" && c != "rgba") {
		s.viewConverted(w, full, p, c)
		return
	}
	w.Header().Set("Content-Type", safeContentType(base))
	http.ServeFile(w, r, full)
}

// safeContentType guesses from the extension but never lets the browser
// run what it downloads from an upload folder.
func safeContentType(name string) string {
	ct := mime.TypeByExtension(strings.ToLower(filepath.Ext(name)))
	switch {
	case ct == "":
		return "application/octet-stream"
	case strings.Contains(ct, "html"), strings.Contains(ct, "javascript"), strings.Contains(ct, "css"), strings.Contains(ct, "svg"):
		return "application/octet-stream"
	}
	return ct
}

// viewConverted re-encodes an image for preview= or channel=. Go has no
// WebP encoder, so "webp" previews are sent as JPEG (clients read the
// Content-Type; browsers display either).
func (s *Server) viewConverted(w http.ResponseWriter, full, preview, channel string) {
	f, err := os.Open(full)
	if err != nil {
		fail(w, http.StatusNotFound)
		return
	}
	img, _, err := image.Decode(f)
	f.Close()
	if err != nil {
		failText(w, http.StatusBadRequest, "server: view: not a decodable image: "+err.Error())
		return
	}
	var buf bytes.Buffer
	ct := "image/png"
	switch {
	case preview != "":
		ct = "image/jpeg"
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: previewQuality(preview)})
	case channel == "a":
		err = png.Encode(&buf, alphaOnly(img))
	case channel == "rgb":
		err = png.Encode(&buf, opaque(img))
	default:
		err = png.Encode(&buf, img)
	}
	if err != nil {
		http.Error(w, "server: view: encode: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Write(buf.Bytes())
}

// previewQuality reads "webp;90" / "jpeg;75"; the default is 90.
func previewQuality(p string) int {
	_, qs, ok := strings.Cut(p, ";")
	if !ok {
		return 90
	}
	q, err := strconv.Atoi(qs)
	if err != nil || q < 1 || q > 100 {
		return 90
	}
	return q
}

// alphaOnly is ComfyUI's channel=a: RGB zero, alpha from the image (opaque
// when it has none).
func alphaOnly(img image.Image) image.Image {
	b := img.Bounds()
	out := image.NewNRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			a := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA).A
			out.SetNRGBA(x, y, color.NRGBA{A: a})
		}
	}
	return out
}

// opaque drops alpha (channel=rgb).
func opaque(img image.Image) image.Image {
	b := img.Bounds()
	out := image.NewRGBA(b)
	draw.Draw(out, b, image.NewUniform(color.Black), image.Point{}, draw.Src)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			out.Set(x, y, color.RGBA{c.R, c.G, c.B, 255})
		}
	}
	return out
}

// errBadUpload marks a client mistake in an upload form.
var errBadUpload = errors.New("bad upload")
