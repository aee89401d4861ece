package server

import (
	"net/http"
	"os"
	"path"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"sumi/api"
)

func (s *Server) getObjectInfo(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.engine.ObjectInfo())
}

// getObjectInfoClass answers {class: entry}, or {} for an unknown class.
func (s *Server) getObjectInfoClass(w http.ResponseWriter, r *http.Request) {
	class := r.PathValue("class")
	info, ok := s.engine.NodeInfo(class)
	if !ok {
		writeJSON(w, http.StatusOK, struct{}{})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{class: info})
}

func (s *Server) getFeatures(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.flags)
}

func (s *Server) getSystemStats(w http.ResponseWriter, _ *http.Request) {
	if s.cfg.Stats != nil {
		writeJSON(w, http.StatusOK, s.cfg.Stats())
		return
	}
	writeJSON(w, http.StatusOK, DefaultStats())
}

// Version strings reported by /system_stats.
const (
	ComfyUIVersion          = "0.8.0"
	RequiredFrontendVersion = "1.35.9"
)

// DefaultStats describes a CPU-only sumi process. RAM figures come from
// /proc/meminfo where available.
func DefaultStats() api.SystemStats {
	total, free := memInfo()
	return api.SystemStats{
		System: api.SystemInfo{
			OS: pyPlatform(), RAMTotal: total, RAMFree: free,
			ComfyUIVersion: ComfyUIVersion, RequiredFrontendVersion: RequiredFrontendVersion,
			RequiredTemplatesVersion: "0.0.0",
			PythonVersion:            "sumi (" + runtime.Version() + ")",
			PytorchVersion:           "onnxruntime",
			Argv:                     os.Args,
		},
		Devices: []api.Device{{Name: "cpu", Type: "cpu", VRAMTotal: total, VRAMFree: free}},
	}
}

// pyPlatform is Python's sys.platform for this OS.
func pyPlatform() string {
	switch runtime.GOOS {
	case "windows":
		return "win32"
	}
	return runtime.GOOS
}

func memInfo() (total, free uint64) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		var key string
		var kb uint64
		if n, _ := sscanMem(line, &key, &kb); n == 2 {
			switch key {
			case "MemTotal:":
				total = kb * 1024
			case "MemAvailable:":
				free = kb * 1024
			}
		}
	}
	return total, free
}

func (s *Server) getEmbeddings(w http.ResponseWriter, _ *http.Request) {
	names, _ := s.cfg.Folders.List("embeddings")
	out := []string{}
	for _, n := range names {
		out = append(out, strings.TrimSuffix(n, path.Ext(n)))
	}
	writeJSON(w, http.StatusOK, out)
}

// getModels lists the model folder keys (without configs and custom_nodes
// removal: ComfyUI lists every key here).
func (s *Server) getModels(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.cfg.Folders.Kinds())
}

func (s *Server) getModelFiles(w http.ResponseWriter, r *http.Request) {
	files, err := s.cfg.Folders.List(r.PathValue("folder"))
	if err != nil {
		fail(w, http.StatusNotFound)
		return
	}
	writeJSON(w, http.StatusOK, nonNilStrings(files))
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// hiddenModelKinds are left out of the model library.
var hiddenModelKinds = []string{"configs", "custom_nodes"}

func (s *Server) getExperimentModels(w http.ResponseWriter, _ *http.Request) {
	out := []api.ModelFolder{}
	for _, k := range s.cfg.Folders.Kinds() {
		if slices.Contains(hiddenModelKinds, k) {
			continue
		}
		dirs, _ := s.cfg.Folders.ModelDirs(k)
		out = append(out, api.ModelFolder{Name: k, Folders: nonNilStrings(dirs)})
	}
	writeJSON(w, http.StatusOK, out)
}

// getExperimentModelFiles lists {name, pathIndex}; pathIndex is the index
// of the first folder holding the file.
func (s *Server) getExperimentModelFiles(w http.ResponseWriter, r *http.Request) {
	kind := r.PathValue("folder")
	files, err := s.cfg.Folders.List(kind)
	if err != nil || slices.Contains(hiddenModelKinds, kind) {
		fail(w, http.StatusNotFound)
		return
	}
	dirs, _ := s.cfg.Folders.ModelDirs(kind)
	out := []api.ModelFile{}
	for _, f := range files {
		out = append(out, api.ModelFile{Name: f, PathIndex: pathIndex(dirs, f)})
	}
	writeJSON(w, http.StatusOK, out)
}

func pathIndex(dirs []string, name string) int {
	for i, d := range dirs {
		if _, err := os.Stat(path.Join(d, name)); err == nil {
			return i
		}
	}
	return 0
}

func (s *Server) getFolderPaths(w http.ResponseWriter, _ *http.Request) {
	out := map[string][]string{}
	for _, k := range s.cfg.Folders.Kinds() {
		dirs, _ := s.cfg.Folders.ModelDirs(k)
		out[k] = nonNilStrings(dirs)
	}
	writeJSON(w, http.StatusOK, out)
}

// getInternalFiles lists the visible files of output, input or temp,
// newest first.
func (s *Server) getInternalFiles(w http.ResponseWriter, r *http.Request) {
	dir, ok := s.cfg.Folders.Dir(r.PathValue("type"))
	if !ok {
		writeJSON(w, http.StatusBadRequest, api.SimpleError{Error: "Invalid directory type"})
		return
	}
	entries, _ := os.ReadDir(dir)
	type named struct {
		name string
		mod  time.Time
	}
	var files []named
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		files = append(files, named{e.Name(), info.ModTime()})
	}
	sort.SliceStable(files, func(i, j int) bool { return files[i].mod.After(files[j].mod) })
	out := []string{}
	for _, f := range files {
		out = append(out, f.name)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) logEntries() []api.LogEntry {
	if s.cfg.Logs == nil {
		return []api.LogEntry{}
	}
	return s.cfg.Logs()
}

func (s *Server) getLogs(w http.ResponseWriter, _ *http.Request) {
	var b strings.Builder
	for _, e := range s.logEntries() {
		b.WriteString(e.T + " - " + e.M)
	}
	writeJSON(w, http.StatusOK, b.String())
}

func (s *Server) getLogsRaw(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, api.LogsRaw{Entries: s.logEntries(), Size: api.LogSize{Cols: 80, Rows: 24}})
}

// patchLogsSubscribe accepts subscriptions; sumi sends no log messages yet.
func (s *Server) patchLogsSubscribe(w http.ResponseWriter, r *http.Request) {
	var req api.LogsSubscribe
	if err := decodeJSON(r, &req); err != nil {
		failText(w, http.StatusBadRequest, "server: logs subscribe: "+err.Error())
		return
	}
	emptyOK(w)
}
