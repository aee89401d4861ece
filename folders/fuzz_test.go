package folders

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzResolve checks Resolve's promise: whatever rel is, the result is
// inside root, also after following the symlinks that exist.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"a.png", "../x", "sub/../../x", "/etc", `..\x`, "a\x00b", "link/x", "in/../in/c", "", "."} {
		f.Add(s)
	}
	root := f.TempDir()
	outside := f.TempDir()
	os.MkdirAll(filepath.Join(root, "in"), 0o755)
	os.Symlink(outside, filepath.Join(root, "link"))
	os.Symlink(filepath.Join(root, "in"), filepath.Join(root, "inlink"))
	realRoot, _ := filepath.EvalSymlinks(root)
	f.Fuzz(func(t *testing.T, rel string) {
		p, err := Resolve(root, rel)
		if err != nil {
			return
		}
		if !Within(root, p) {
			t.Fatalf("Resolve(%q) = %q outside %q", rel, p, root)
		}
		// Follow whatever exists of the result.
		for q := p; Within(root, q); q = filepath.Dir(q) {
			if r, err := filepath.EvalSymlinks(q); err == nil {
				if !Within(realRoot, r) {
					t.Fatalf("Resolve(%q) = %q reaches %q", rel, p, r)
				}
				break
			}
		}
		if strings.Contains(rel, "..") && strings.Contains("/"+rel+"/", "/../") {
			t.Fatalf("Resolve(%q) accepted a .. element", rel)
		}
	})
}

// FuzzParseExtraModelPaths only requires that no input panics and that
// parsed sections have names.
func FuzzParseExtraModelPaths(f *testing.F) {
	f.Add(comfyExample)
	f.Add("a:\n  loras: |\n    x\n    y\n")
	f.Add("a:\n  b: 'c''d'\n")
	f.Fuzz(func(t *testing.T, s string) {
		secs, err := ParseExtraModelPaths([]byte(s))
		if err != nil {
			return
		}
		for _, sec := range secs {
			if sec.Name == "" {
				t.Fatalf("section without a name from %q", s)
			}
		}
	})
}
