package server

import (
	"io/fs"
	"net/http"
	"strings"

	"sumi/workflows"
)

// The editor's example workflows come from package workflows, so the page,
// the CLI and the tests share one copy. The routes live under /sumi/ (and
// its /api twin) because they are sumi's own: ComfyUI's /workflow_templates
// and /templates speak other formats to other front ends.

// exampleList is the body of GET /sumi/workflows.
type exampleList struct {
	// Default is the file the editor opens first.
	Default string `json:"default"`
	// Workflows lists each example by stem with its two files.
	Workflows []exampleEntry `json:"workflows"`
	// Resolutions are the recommended [width, height] sizes.
	Resolutions [][2]int `json:"resolutions"`
}

type exampleEntry struct {
	Name string `json:"name"`
	UI   string `json:"ui"`
	API  string `json:"api"`
}

func getExamples(w http.ResponseWriter, _ *http.Request) {
	out := exampleList{Default: workflows.DefaultUI, Workflows: []exampleEntry{}, Resolutions: workflows.Resolutions}
	for _, n := range workflows.Names() {
		out.Workflows = append(out.Workflows, exampleEntry{Name: n, UI: n + ".ui.json", API: n + ".api.json"})
	}
	writeJSON(w, http.StatusOK, out)
}

// getExample answers one embedded workflow file by its exact name.
func getExample(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	if !fs.ValidPath(name) || strings.Contains(name, "/") || !strings.HasSuffix(name, ".json") {
		fail(w, http.StatusNotFound)
		return
	}
	b, err := workflows.Read(name)
	if err != nil {
		fail(w, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(b)
}
