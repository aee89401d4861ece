package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"

	"sumi/api"
	"sumi/folders"
)

// upload is a parsed /upload/image or /upload/mask form.
type upload struct {
	data      []byte
	name      string
	typ       string
	subfolder string
	overwrite bool
	dir       string // resolved target directory
}

// parseUpload reads the multipart form. Any client mistake wraps
// errBadUpload; the caller answers 400.
func (s *Server) parseUpload(r *http.Request) (*upload, error) {
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadUpload, err)
	}
	file, hdr, err := r.FormFile("image")
	if err != nil {
		return nil, fmt.Errorf("%w: missing image field", errBadUpload)
	}
	defer file.Close()
	u := &upload{
		typ: r.FormValue("type"), subfolder: r.FormValue("subfolder"),
		overwrite: r.FormValue("overwrite") == "true" || r.FormValue("overwrite") == "1",
	}
	if u.typ == "" {
		u.typ = "input"
	}
	if u.data, err = readPart(file, hdr); err != nil {
		return nil, err
	}
	if u.name, err = uploadName(hdr.Filename); err != nil {
		return nil, err
	}
	root, ok := s.cfg.Folders.Dir(u.typ)
	if !ok {
		return nil, fmt.Errorf("%w: unknown type %q", errBadUpload, u.typ)
	}
	if u.dir, err = folders.Resolve(root, u.subfolder); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadUpload, err)
	}
	return u, nil
}

func readPart(f multipart.File, hdr *multipart.FileHeader) ([]byte, error) {
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("%w: read %s: %v", errBadUpload, hdr.Filename, err)
	}
	return data, nil
}

// uploadName keeps only a plain file name; anything that is a path or a
// special name is refused rather than silently rewritten.
func uploadName(name string) (string, error) {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
		return "", fmt.Errorf("%w: bad file name %q", errBadUpload, name)
	}
	return name, nil
}

// save writes the upload, de-duplicating like ComfyUI: identical bytes under
// the same name are not written again; other content gets "name (1).ext".
func (u *upload) save() (string, error) {
	if err := os.MkdirAll(u.dir, 0o755); err != nil {
		return "", fmt.Errorf("%w: subfolder: %v", errBadUpload, err)
	}
	name := u.name
	ext := path.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for i := 1; !u.overwrite; i++ {
		full, err := folders.Resolve(u.dir, name)
		if err != nil {
			return "", fmt.Errorf("%w: %v", errBadUpload, err)
		}
		old, err := os.ReadFile(full)
		if errors.Is(err, os.ErrNotExist) {
			break
		}
		if err == nil && sha256.Sum256(old) == sha256.Sum256(u.data) {
			return name, nil
		}
		name = fmt.Sprintf("%s (%d)%s", stem, i, ext)
	}
	full, err := folders.Resolve(u.dir, name)
	if err != nil {
		return "", fmt.Errorf("%w: %v", errBadUpload, err)
	}
	if err := writeFileAtomic(full, u.data); err != nil {
		return "", fmt.Errorf("server: upload: %w", err)
	}
	return name, nil
}

// writeFileAtomic writes through a temp file and a rename, so readers (and
// a crash) never see half a file, and a symlink planted at the name is
// replaced instead of followed.
func writeFileAtomic(full string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(full), ".upload-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), full)
}

func (s *Server) postUploadImage(w http.ResponseWriter, r *http.Request) {
	u, err := s.parseUpload(r)
	if err != nil {
		uploadFailed(w, err)
		return
	}
	name, err := u.save()
	if err != nil {
		uploadFailed(w, err)
		return
	}
	writeJSON(w, http.StatusOK, api.UploadResponse{Name: name, Subfolder: u.subfolder, Type: u.typ})
}

func uploadFailed(w http.ResponseWriter, err error) {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		failText(w, http.StatusRequestEntityTooLarge, "server: upload larger than the limit")
	case errors.Is(err, errBadUpload):
		failText(w, http.StatusBadRequest, "server: "+err.Error())
	default:
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

// postUploadMask copies the uploaded image's alpha into the referenced
// original and saves the result under the uploaded name.
func (s *Server) postUploadMask(w http.ResponseWriter, r *http.Request) {
	u, err := s.parseUpload(r)
	if err != nil {
		uploadFailed(w, err)
		return
	}
	orig, err := s.originalRef(r.FormValue("original_ref"))
	if err == nil {
		u.data, err = applyMask(orig, u.data)
	}
	if err == nil {
		u.overwrite = true // the mask editor re-saves under the same name
		var name string
		if name, err = u.save(); err == nil {
			writeJSON(w, http.StatusOK, api.UploadResponse{Name: name, Subfolder: u.subfolder, Type: u.typ})
			return
		}
	}
	uploadFailed(w, err)
}

// originalRef resolves original_ref safely and reads the file.
func (s *Server) originalRef(raw string) ([]byte, error) {
	var ref api.FileRef
	if err := json.Unmarshal([]byte(raw), &ref); err != nil {
		return nil, fmt.Errorf("%w: original_ref: %v", errBadUpload, err)
	}
	if ref.Type == "" {
		ref.Type = "input"
	}
	root, ok := s.cfg.Folders.Dir(ref.Type)
	if !ok {
		return nil, fmt.Errorf("%w: original_ref: unknown type %q", errBadUpload, ref.Type)
	}
	dir, err := folders.Resolve(root, ref.Subfolder)
	if err != nil {
		return nil, fmt.Errorf("%w: original_ref: %v", errBadUpload, err)
	}
	name, err := uploadName(ref.Filename)
	if err != nil {
		return nil, err
	}
	full, err := folders.Resolve(dir, name)
	if err != nil {
		return nil, fmt.Errorf("%w: original_ref: %v", errBadUpload, err)
	}
	data, err := os.ReadFile(full)
	if err != nil {
		return nil, fmt.Errorf("%w: original_ref: %s not found", errBadUpload, ref.Filename)
	}
	return data, nil
}

// applyMask returns the original as RGBA PNG with the mask's alpha.
func applyMask(origData, maskData []byte) ([]byte, error) {
	orig, _, err := image.Decode(bytes.NewReader(origData))
	if err != nil {
		return nil, fmt.Errorf("%w: original image: %v", errBadUpload, err)
	}
	mask, _, err := image.Decode(bytes.NewReader(maskData))
	if err != nil {
		return nil, fmt.Errorf("%w: mask image: %v", errBadUpload, err)
	}
	if orig.Bounds().Size() != mask.Bounds().Size() {
		return nil, fmt.Errorf("%w: mask size %v differs from image size %v", errBadUpload, mask.Bounds().Size(), orig.Bounds().Size())
	}
	out := image.NewNRGBA(image.Rect(0, 0, orig.Bounds().Dx(), orig.Bounds().Dy()))
	draw.Draw(out, out.Bounds(), orig, orig.Bounds().Min, draw.Src)
	mb := mask.Bounds()
	for y := 0; y < out.Rect.Dy(); y++ {
		for x := 0; x < out.Rect.Dx(); x++ {
			_, _, _, a := mask.At(mb.Min.X+x, mb.Min.Y+y).RGBA()
			out.Pix[out.PixOffset(x, y)+3] = uint8(a >> 8)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, out); err != nil {
		return nil, fmt.Errorf("server: encode mask: %w", err)
	}
	return buf.Bytes(), nil
}
