package folders

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ExtraSection is one named section of an extra_model_paths.yaml file.
type ExtraSection struct {
	Name string
	// BasePath is base_path as written ("" when absent).
	BasePath string
	// IsDefault puts the section's folders first (is_default: true).
	IsDefault bool
	// Entries are the kind: paths pairs in file order; Paths holds one
	// path per line of a block scalar.
	Entries []ExtraEntry
}

// ExtraEntry is one "kind: path(s)" pair.
type ExtraEntry struct {
	Kind  string
	Paths []string
}

// LoadExtraModelPaths reads an extra_model_paths.yaml file and adds its
// folders, as ComfyUI's load_extra_path_config does: base_path has ~ and
// $VARS expanded and is relative to the file's folder; each path is joined
// to base_path, or to the file's folder when relative without one; folders
// are appended to their kind, or put first with is_default.
func (f *Folders) LoadExtraModelPaths(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("folders: extra model paths: %w", err)
	}
	sections, err := ParseExtraModelPaths(data)
	if err != nil {
		return fmt.Errorf("folders: %s: %w", file, err)
	}
	absFile, err := filepath.Abs(file)
	if err != nil {
		return fmt.Errorf("folders: %w", err)
	}
	f.applyExtra(filepath.Dir(absFile), sections)
	return nil
}

func (f *Folders) applyExtra(yamlDir string, sections []ExtraSection) {
	for _, s := range sections {
		base := ""
		if s.BasePath != "" {
			base = os.ExpandEnv(expandHome(s.BasePath))
			if !filepath.IsAbs(base) {
				base = filepath.Join(yamlDir, base)
			}
		}
		for _, e := range s.Entries {
			for _, p := range e.Paths {
				full := p
				if base != "" {
					full = pyJoin(base, p)
				} else if !filepath.IsAbs(p) {
					full = filepath.Join(yamlDir, p)
				}
				f.AddModelDir(e.Kind, filepath.Clean(full), s.IsDefault)
			}
		}
	}
}

// pyJoin is os.path.join for two parts: an absolute second part replaces
// the first.
func pyJoin(a, b string) string {
	if filepath.IsAbs(b) {
		return b
	}
	return filepath.Join(a, b)
}

func expandHome(p string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return p
	}
	return filepath.Join(home, p[1:])
}

// ParseExtraModelPaths parses the YAML subset extra_model_paths.yaml files
// use: top-level "name:" sections holding "key: value" pairs whose values
// are plain or quoted scalars or "|"/">" block scalars; "#" comments. Other
// YAML (lists, flow collections, anchors) is rejected with the line number.
func ParseExtraModelPaths(data []byte) ([]ExtraSection, error) {
	p := yamlParser{lines: strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")}
	return p.parse()
}
