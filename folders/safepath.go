package folders

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrUnsafePath means a client-given path would leave its folder, or is not
// a plain relative path (absolute, "..", NUL, backslash).
var ErrUnsafePath = errors.New("folders: path outside its folder")

// Resolve joins the untrusted relative path rel to root and returns the
// result, or an error wrapping ErrUnsafePath when the result could lie
// outside root. It rejects NUL bytes, backslashes (a separator on Windows,
// where users' workflows come from), absolute paths and any ".." element,
// even one that would stay inside, and it follows every symlink that exists
// along the way (dangling ones included) to make sure it stays inside root's
// real location. "" and "." resolve to root itself. The target itself need
// not exist, so the result serves uploads and saves as well as reads.
func Resolve(root, rel string) (string, error) {
	clean, err := cleanRel(rel)
	if err != nil {
		return "", fmt.Errorf("%w: %q", err, rel)
	}
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("folders: %w", err)
	}
	p := filepath.Join(absRoot, clean)
	if err := checkLinks(absRoot, clean); err != nil {
		return "", fmt.Errorf("%w: %q", err, rel)
	}
	return p, nil
}

// cleanRel validates a relative path lexically and returns it cleaned.
func cleanRel(rel string) (string, error) {
	switch {
	case strings.ContainsRune(rel, 0), strings.ContainsRune(rel, '\\'):
		return "", ErrUnsafePath
	case filepath.IsAbs(rel), strings.HasPrefix(rel, "/"), filepath.VolumeName(rel) != "":
		return "", ErrUnsafePath
	}
	for _, part := range strings.Split(rel, "/") {
		if part == ".." {
			return "", ErrUnsafePath
		}
	}
	return filepath.Clean(rel), nil
}

// checkLinks walks clean's elements below root and makes sure no symlink
// among the existing ones points outside root's real path.
func checkLinks(absRoot, clean string) error {
	if clean == "." {
		return nil
	}
	realRoot, err := filepath.EvalSymlinks(absRoot)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // nothing exists below a missing root, so no links either
	}
	if err != nil {
		return fmt.Errorf("folders: %w", err)
	}
	cur := realRoot
	for _, part := range strings.Split(clean, string(filepath.Separator)) {
		cur = filepath.Join(cur, part)
		st, err := os.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("folders: %w", err)
		}
		if st.Mode()&fs.ModeSymlink == 0 {
			continue
		}
		target, err := filepath.EvalSymlinks(cur)
		if err != nil || !Within(realRoot, target) {
			return ErrUnsafePath // dangling or escaping link
		}
		cur = target
	}
	return nil
}

// Within reports whether path p is dir or lies below it, lexically (both
// are cleaned first; neither needs to exist).
func Within(dir, p string) bool {
	dir, p = filepath.Clean(dir), filepath.Clean(p)
	if p == dir {
		return true
	}
	if !strings.HasSuffix(dir, string(filepath.Separator)) {
		dir += string(filepath.Separator)
	}
	return strings.HasPrefix(p, dir)
}

// Annotations ComfyUI recognises at the end of a file name.
var annotations = []string{"output", "input", "temp"}

// ParseAnnotated splits a LoadImage-style name "name.png [output]" into the
// name and the folder type ("output", "input", "temp"); typ is "" when there
// is no annotation. Like ComfyUI it drops the tag and the one character
// before it, which is normally the space.
func ParseAnnotated(name string) (rel, typ string) {
	for _, a := range annotations {
		tag := "[" + a + "]"
		if strings.HasSuffix(name, tag) {
			n := len(name) - len(tag) - 1
			return name[:max(n, 0)], a
		}
	}
	return name, ""
}

// AnnotatedPath resolves a possibly annotated name: in the folder its tag
// names, else in the folder of defaultType ("input" for LoadImage). The path
// is checked with Resolve.
func (f *Folders) AnnotatedPath(name, defaultType string) (string, error) {
	rel, typ := ParseAnnotated(name)
	if typ == "" {
		typ = defaultType
	}
	dir, ok := f.Dir(typ)
	if !ok {
		return "", fmt.Errorf("folders: unknown folder type %q", typ)
	}
	if rel == "" {
		return "", fmt.Errorf("folders: empty file name")
	}
	return Resolve(dir, rel)
}
