package folders

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// touch creates files (and their folders) below root.
func touch(t *testing.T, root string, names ...string) {
	t.Helper()
	for _, n := range names {
		p := filepath.Join(root, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func newFolders(t *testing.T, cfg Config) *Folders {
	t.Helper()
	f, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestNewDefaultsAndOverrides(t *testing.T) {
	base := t.TempDir()
	f := newFolders(t, Config{Base: base})
	for name, got := range map[string]string{"output": f.Output(), "input": f.Input(), "temp": f.Temp(), "user": f.User()} {
		if want := filepath.Join(base, name); got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
	other := t.TempDir()
	f = newFolders(t, Config{Base: base, Output: other})
	if f.Output() != other || f.Input() != filepath.Join(base, "input") {
		t.Errorf("override: output %s input %s", f.Output(), f.Input())
	}
	if d, ok := f.Dir("output"); !ok || d != other {
		t.Errorf("Dir(output) = %s %v", d, ok)
	}
	if _, ok := f.Dir("user"); ok {
		t.Errorf("Dir(user) must not be reachable by type")
	}
	if err := f.CreateDirs(); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{f.Input(), f.Output(), f.Temp(), f.User()} {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			t.Errorf("%s not created", d)
		}
	}
	touch(t, f.Temp(), "old.png")
	if err := f.CleanTemp(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(f.Temp()); len(entries) != 0 {
		t.Errorf("temp not emptied: %v", entries)
	}
}

func TestList(t *testing.T) {
	base := t.TempDir()
	m := filepath.Join(base, "models")
	touch(t, m,
		"checkpoints/b.safetensors", "checkpoints/A.SAFETENSORS", "checkpoints/sub/c.ckpt",
		"checkpoints/readme.txt", "checkpoints/.git/x.safetensors", "checkpoints/.hidden",
		"checkpoints/sub/deeper/d.sft", "clip/old.bin", "text_encoders/new.pt", "text_encoders/dup.pt",
		"clip/dup.pt", "configs/v1.yaml", "configs/v1.ckpt")
	outside := t.TempDir()
	touch(t, outside, "linked.safetensors")
	if err := os.Symlink(outside, filepath.Join(m, "checkpoints", "shared")); err != nil {
		t.Fatal(err)
	}
	os.Symlink(filepath.Join(outside, "gone"), filepath.Join(m, "checkpoints", "dangling.safetensors"))
	f := newFolders(t, Config{Base: base})
	tests := []struct {
		kind string
		want []string
	}{
		{"checkpoints", []string{"A.SAFETENSORS", "b.safetensors", "shared/linked.safetensors", "sub/c.ckpt", "sub/deeper/d.sft"}},
		{"text_encoders", []string{"dup.pt", "new.pt", "old.bin"}},
		{"clip", []string{"dup.pt", "new.pt", "old.bin"}},
		{"configs", []string{"v1.yaml"}},
		{"loras", []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.kind, func(t *testing.T) {
			got, err := f.List(tc.kind)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("List = %q, want %q", got, tc.want)
			}
		})
	}
	if _, err := f.List("nope"); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("unknown kind: err = %v", err)
	}
}

func TestModelDirsOrder(t *testing.T) {
	f := newFolders(t, Config{Base: "/b"})
	tests := []struct {
		kind string
		want []string
	}{
		{"unet", []string{"/b/models/unet", "/b/models/diffusion_models"}},
		{"clip", []string{"/b/models/text_encoders", "/b/models/clip"}},
		{"controlnet", []string{"/b/models/controlnet", "/b/models/t2i_adapter"}},
	}
	for _, tc := range tests {
		got, err := f.ModelDirs(tc.kind)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ModelDirs(%s) = %v, %v; want %v", tc.kind, got, err, tc.want)
		}
	}
	f.AddModelDir("loras", "/x", false)
	f.AddModelDir("loras", "/y", true)
	f.AddModelDir("loras", "/x", true) // moves to front
	f.AddModelDir("loras", "/y", false)
	got, _ := f.ModelDirs("loras")
	if want := []string{"/x", "/y", "/b/models/loras"}; !reflect.DeepEqual(got, want) {
		t.Errorf("loras dirs = %v, want %v", got, want)
	}
	f.AddModelDir("my_kind", "/z", false)
	if k := f.Kinds(); k[len(k)-1] != "my_kind" {
		t.Errorf("custom kind not listed last: %v", k)
	}
}

func TestModelPath(t *testing.T) {
	base := t.TempDir()
	m := filepath.Join(base, "models")
	touch(t, m, "unet/a.safetensors", "diffusion_models/a.safetensors", "diffusion_models/b.safetensors",
		"diffusion_models/sub/c.safetensors")
	os.MkdirAll(filepath.Join(m, "unet", "dir.safetensors"), 0o755)
	f := newFolders(t, Config{Base: base})
	tests := []struct {
		name, want string
		err        error
	}{
		{"a.safetensors", filepath.Join(m, "unet", "a.safetensors"), nil},
		{"b.safetensors", filepath.Join(m, "diffusion_models", "b.safetensors"), nil},
		{"sub/c.safetensors", filepath.Join(m, "diffusion_models", "sub", "c.safetensors"), nil},
		{"missing.safetensors", "", fs.ErrNotExist},
		{"dir.safetensors", "", fs.ErrNotExist},
		{"../unet/a.safetensors", "", ErrUnsafePath},
		{"/etc/passwd", "", ErrUnsafePath},
		{"", "", ErrUnsafePath},
	}
	for _, tc := range tests {
		got, err := f.ModelPath("diffusion_models", tc.name)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("ModelPath(%q) = %q, %v; want %q, %v", tc.name, got, err, tc.want, tc.err)
		}
	}
}

func TestPyExt(t *testing.T) {
	for in, want := range map[string]string{
		"a.safetensors": ".safetensors", ".hidden": "", "sub/.x.pt": ".pt", "noext": "",
		"a.b.C": ".C", "..a": "", "dir.d/file": "",
	} {
		if got := pyExt(in); got != want {
			t.Errorf("pyExt(%q) = %q, want %q", in, got, want)
		}
	}
}
