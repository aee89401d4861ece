// Package workflows embeds sumi's example Animagine XL 4.0 workflows, so the
// editor can open one by default and tests can run every one of them.
package workflows

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

//go:embed *.json
var files embed.FS

// DefaultUI is the name of the workflow the editor opens first.
const DefaultUI = "animagine_txt2img.ui.json"

// FS returns the embedded workflow files.
func FS() fs.FS { return files }

// Names lists the stems of the embedded workflows (each has .ui.json and .api.json).
func Names() []string {
	entries, _ := fs.ReadDir(files, ".")
	var names []string
	for _, e := range entries {
		if stem, ok := strings.CutSuffix(e.Name(), ".api.json"); ok {
			names = append(names, stem)
		}
	}
	sort.Strings(names)
	return names
}

// Read returns the bytes of one embedded file, e.g. "animagine_txt2img.api.json".
func Read(name string) ([]byte, error) { return fs.ReadFile(files, name) }

// Resolutions are Animagine XL 4.0's recommended sizes as [width, height].
var Resolutions = [][2]int{
	{1024, 1024}, {1152, 896}, {896, 1152}, {1216, 832}, {832, 1216},
	{1344, 768}, {768, 1344}, {1536, 640}, {640, 1536},
}
