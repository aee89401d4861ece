package server

import (
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sumi/api"
	"sumi/folders"
)

func (s *Server) getUserData(w http.ResponseWriter, r *http.Request) {
	full, ok := s.userFile(w, r.PathValue("file"))
	if !ok {
		return
	}
	st, err := os.Stat(full)
	if err != nil || !st.Mode().IsRegular() {
		fail(w, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", safeContentType(full))
	http.ServeFile(w, r, full)
}

// postUserData writes the raw body to a user-data file.
func (s *Server) postUserData(w http.ResponseWriter, r *http.Request) {
	rel := r.PathValue("file")
	full, ok := s.userFile(w, rel)
	if !ok {
		return
	}
	if r.URL.Query().Get("overwrite") == "false" {
		if _, err := os.Stat(full); err == nil {
			fail(w, http.StatusConflict)
			return
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		failText(w, http.StatusRequestEntityTooLarge, "server: userdata: "+err.Error())
		return
	}
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if err := writeFileAtomic(full, body); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.userFileReply(w, r, full)
}

// userFileReply answers with the relative path, or full info.
func (s *Server) userFileReply(w http.ResponseWriter, r *http.Request, full string) {
	rel, _ := filepath.Rel(s.userRoot(), full)
	rel = filepath.ToSlash(rel)
	if r.URL.Query().Get("full_info") != "true" {
		writeJSON(w, http.StatusOK, rel)
		return
	}
	writeJSON(w, http.StatusOK, fileInfo(full, rel))
}

func fileInfo(full, rel string) api.UserFileInfo {
	st, err := os.Stat(full)
	if err != nil {
		return api.UserFileInfo{Path: rel}
	}
	t := float64(st.ModTime().UnixNano()) / 1e9
	return api.UserFileInfo{Path: rel, Size: st.Size(), Modified: t, Created: t}
}

func (s *Server) deleteUserData(w http.ResponseWriter, r *http.Request) {
	full, ok := s.userFile(w, r.PathValue("file"))
	if !ok {
		return
	}
	st, err := os.Lstat(full)
	if err != nil || st.IsDir() {
		fail(w, http.StatusNotFound)
		return
	}
	if err := os.Remove(full); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) moveUserData(w http.ResponseWriter, r *http.Request) {
	src, ok := s.userFile(w, r.PathValue("file"))
	if !ok {
		return
	}
	dst, ok := s.userFile(w, r.PathValue("dest"))
	if !ok {
		return
	}
	if st, err := os.Lstat(src); err != nil || st.IsDir() {
		fail(w, http.StatusNotFound)
		return
	}
	if _, err := os.Stat(dst); err == nil && r.URL.Query().Get("overwrite") == "false" {
		fail(w, http.StatusConflict)
		return
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if err := os.Rename(src, dst); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.userFileReply(w, r, dst)
}

// getUserDataList lists files under user/<id>/<dir>.
func (s *Server) getUserDataList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	dir := q.Get("dir")
	if dir == "" {
		fail(w, http.StatusBadRequest)
		return
	}
	root, err := folders.Resolve(s.userRoot(), dir)
	if err != nil {
		fail(w, http.StatusForbidden)
		return
	}
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		fail(w, http.StatusNotFound)
		return
	}
	rels := listFiles(root, q.Get("recurse") == "true")
	switch {
	case q.Get("full_info") == "true":
		out := []api.UserFileInfo{}
		for _, rel := range rels {
			out = append(out, fileInfo(filepath.Join(root, filepath.FromSlash(rel)), rel))
		}
		writeJSON(w, http.StatusOK, out)
	case q.Get("split") == "true":
		out := [][]string{}
		for _, rel := range rels {
			out = append(out, append([]string{rel}, strings.Split(rel, "/")...))
		}
		writeJSON(w, http.StatusOK, out)
	default:
		writeJSON(w, http.StatusOK, rels)
	}
}

// listFiles returns regular files below root as sorted "/" paths. Symlinks
// are not followed, so a listing never reveals files outside the folder.
func listFiles(root string, recurse bool) []string {
	out := []string{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if p != root && !recurse {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// getUserDataV2 lists entries recursively: directories first, then by
// lower-case name.
func (s *Server) getUserDataV2(w http.ResponseWriter, r *http.Request) {
	rel := r.URL.Query().Get("path")
	root, err := folders.Resolve(s.userRoot(), rel)
	if err != nil {
		fail(w, http.StatusForbidden)
		return
	}
	out := []api.UserDataEntry{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root || !(d.IsDir() || d.Type().IsRegular()) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		r, _ := filepath.Rel(s.userRoot(), p)
		e := api.UserDataEntry{Name: d.Name(), Path: filepath.ToSlash(r), Type: "file",
			Modified: float64(info.ModTime().UnixNano()) / 1e9}
		if d.IsDir() {
			e.Type = "directory"
		} else {
			e.Size = info.Size()
		}
		out = append(out, e)
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].Type == "directory") != (out[j].Type == "directory") {
			return out[i].Type == "directory"
		}
		return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name)
	})
	writeJSON(w, http.StatusOK, out)
}
