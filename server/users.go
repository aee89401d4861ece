package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"sumi/api"
	"sumi/folders"
)

// defaultUser is the single-user mode's user id.
const defaultUser = "default"

// settingsMu serialises read-modify-write of settings files.
var settingsMu sync.Mutex

// userRoot is user/<id>/ of the requesting user (always "default": sumi
// runs in ComfyUI's single-user mode).
func (s *Server) userRoot() string {
	return filepath.Join(s.cfg.Folders.User(), defaultUser)
}

func (s *Server) getUsers(w http.ResponseWriter, _ *http.Request) {
	_, err := os.Stat(s.userRoot())
	writeJSON(w, http.StatusOK, api.UsersInfo{Storage: "server", Migrated: err == nil})
}

// postUsers answers as single-user ComfyUI would for the only user there is.
func (s *Server) postUsers(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Username string `json:"username"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, api.SimpleError{Error: "server: users request: " + err.Error()})
		return
	}
	writeJSON(w, http.StatusBadRequest, api.SimpleError{Error: "sumi runs in single-user mode; the user is \"default\""})
}

func (s *Server) settingsPath() string {
	return filepath.Join(s.userRoot(), "comfy.settings.json")
}

// loadSettings reads the settings object; a missing or corrupt file is {}.
func (s *Server) loadSettings() map[string]json.RawMessage {
	m := map[string]json.RawMessage{}
	b, err := os.ReadFile(s.settingsPath())
	if err != nil || json.Unmarshal(b, &m) != nil || m == nil {
		return map[string]json.RawMessage{}
	}
	return m
}

func (s *Server) saveSettings(m map[string]json.RawMessage) error {
	b, err := json.MarshalIndent(m, "", "    ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.userRoot(), 0o755); err != nil {
		return err
	}
	return writeFileAtomic(s.settingsPath(), b)
}

func (s *Server) getSettings(w http.ResponseWriter, _ *http.Request) {
	settingsMu.Lock()
	defer settingsMu.Unlock()
	writeJSON(w, http.StatusOK, s.loadSettings())
}

func (s *Server) getSetting(w http.ResponseWriter, r *http.Request) {
	settingsMu.Lock()
	defer settingsMu.Unlock()
	v, ok := s.loadSettings()[r.PathValue("id")]
	if !ok {
		v = json.RawMessage("null")
	}
	writeJSON(w, http.StatusOK, v)
}

// postSettings merges an object of settings.
func (s *Server) postSettings(w http.ResponseWriter, r *http.Request) {
	var in map[string]json.RawMessage
	if err := decodeJSON(r, &in); err != nil {
		failText(w, http.StatusBadRequest, "server: settings: "+err.Error())
		return
	}
	s.updateSettings(w, func(m map[string]json.RawMessage) {
		for k, v := range in {
			m[k] = v
		}
	})
}

// postSetting sets one key to any JSON value.
func (s *Server) postSetting(w http.ResponseWriter, r *http.Request) {
	var v json.RawMessage
	if err := decodeJSON(r, &v); err != nil {
		failText(w, http.StatusBadRequest, "server: setting: "+err.Error())
		return
	}
	id := r.PathValue("id")
	s.updateSettings(w, func(m map[string]json.RawMessage) { m[id] = v })
}

func (s *Server) updateSettings(w http.ResponseWriter, change func(map[string]json.RawMessage)) {
	settingsMu.Lock()
	defer settingsMu.Unlock()
	m := s.loadSettings()
	change(m)
	if err := s.saveSettings(m); err != nil {
		http.Error(w, "server: save settings: "+err.Error(), http.StatusInternalServerError)
		return
	}
	emptyOK(w)
}

// userFile resolves a user-data path from the URL; ok is false (and 403
// sent) when it would leave the user's folder.
func (s *Server) userFile(w http.ResponseWriter, rel string) (string, bool) {
	full, err := folders.Resolve(s.userRoot(), rel)
	if err != nil || rel == "" || full == s.userRoot() {
		fail(w, http.StatusForbidden)
		return "", false
	}
	return full, true
}

func isNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }
