package folders

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestResolve(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	touch(t, root, "a.png", "sub/b.png", "real/c.png")
	touch(t, outside, "secret.png")
	mustLink := func(target, link string) {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	mustLink(outside, "escape")
	mustLink(filepath.Join(outside, "secret.png"), "secret.png")
	mustLink(filepath.Join(outside, "nothing-yet.png"), "dangling.png")
	mustLink(filepath.Join(root, "real"), "inside")
	mustLink("real", "relinside")
	mustLink("../"+filepath.Base(outside), "relescape")

	tests := []struct {
		rel  string
		want string // relative to root; "" with ok false means rejected
		ok   bool
	}{
		{"a.png", "a.png", true},
		{"sub/b.png", "sub/b.png", true},
		{"sub/new/dir/file.png", "sub/new/dir/file.png", true},
		{"", ".", true},
		{".", ".", true},
		{"./a.png", "a.png", true},
		{"sub//b.png", "sub/b.png", true},
		{"inside/c.png", "inside/c.png", true},
		{"relinside/c.png", "relinside/c.png", true},
		{"a..b.png", "a..b.png", true},
		{"%2e%2e/x", "%2e%2e/x", true}, // a literal name; the server decodes URLs first
		{"../x", "", false},
		{"sub/../../x", "", false},
		{"sub/../a.png", "", false},
		{"..", "", false},
		{"/etc/passwd", "", false},
		{"//etc/passwd", "", false},
		{`..\x`, "", false},
		{`sub\b.png`, "", false},
		{"a\x00.png", "", false},
		{"escape/secret.png", "", false},
		{"escape", "", false},
		{"escape/new.png", "", false},
		{"secret.png", "", false},
		{"dangling.png", "", false},
		{"relescape/secret.png", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.rel, func(t *testing.T) {
			got, err := Resolve(root, tc.rel)
			if !tc.ok {
				if !errors.Is(err, ErrUnsafePath) {
					t.Errorf("Resolve(%q) = %q, %v; want ErrUnsafePath", tc.rel, got, err)
				}
				return
			}
			if want := filepath.Join(root, tc.want); err != nil || got != want {
				t.Errorf("Resolve(%q) = %q, %v; want %q", tc.rel, got, err, want)
			}
		})
	}
}

func TestResolveMissingRoot(t *testing.T) {
	root := filepath.Join(t.TempDir(), "not", "there")
	got, err := Resolve(root, "x/y.png")
	if err != nil || got != filepath.Join(root, "x", "y.png") {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestWithin(t *testing.T) {
	tests := []struct {
		dir, p string
		want   bool
	}{
		{"/a/b", "/a/b", true},
		{"/a/b", "/a/b/c", true},
		{"/a/b", "/a/bc", false},
		{"/a/b", "/a", false},
		{"/a/b/", "/a/b/c/../d", true},
		{"/a/b", "/a/b/../c", false},
		{"/", "/x", true},
	}
	for _, tc := range tests {
		if got := Within(tc.dir, tc.p); got != tc.want {
			t.Errorf("Within(%q, %q) = %v", tc.dir, tc.p, got)
		}
	}
}

func TestParseAnnotated(t *testing.T) {
	tests := []struct{ in, rel, typ string }{
		{"x.png", "x.png", ""},
		{"x.png [output]", "x.png", "output"},
		{"sub/x.png [input]", "sub/x.png", "input"},
		{"clipspace/m.png [temp]", "clipspace/m.png", "temp"},
		{"x.png[output]", "x.pn", "output"}, // ComfyUI drops one character blindly
		{"[output]", "", "output"},
		{"x.png [other]", "x.png [other]", ""},
		{"x.png [output] ", "x.png [output] ", ""},
	}
	for _, tc := range tests {
		rel, typ := ParseAnnotated(tc.in)
		if rel != tc.rel || typ != tc.typ {
			t.Errorf("ParseAnnotated(%q) = %q, %q; want %q, %q", tc.in, rel, typ, tc.rel, tc.typ)
		}
	}
}

func TestAnnotatedPath(t *testing.T) {
	base := t.TempDir()
	f := newFolders(t, Config{Base: base})
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"a.png", filepath.Join(base, "input", "a.png"), true},
		{"a.png [output]", filepath.Join(base, "output", "a.png"), true},
		{"s/a.png [temp]", filepath.Join(base, "temp", "s", "a.png"), true},
		{"../a.png [output]", "", false},
		{" [input]", "", false},
	}
	for _, tc := range tests {
		got, err := f.AnnotatedPath(tc.name, "input")
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("AnnotatedPath(%q) = %q, %v", tc.name, got, err)
		}
	}
}
