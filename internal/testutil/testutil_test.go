package testutil

import (
	"os"
	"path/filepath"
	"testing"

	"sumi/safetensors"
)

const goldens = "../../testdata/tiny-sdxl/goldens/"

func TestReadTensors(t *testing.T) {
	got := ReadTensors(t, goldens+"vae.safetensors")
	f, err := safetensors.Open(goldens + "vae.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	floats := 0
	for _, ti := range f.Tensors() {
		if !ti.DType.IsFloat() {
			continue
		}
		floats++
		tt, ok := got[ti.Name]
		if !ok {
			t.Fatalf("%s missing", ti.Name)
		}
		if n := tt.Len(); n != int(ti.NumElements()) {
			t.Errorf("%s: %d values, want %d", ti.Name, n, ti.NumElements())
		}
	}
	if floats == 0 || len(got) != floats {
		t.Errorf("read %d tensors, file has %d float tensors", len(got), floats)
	}
}

func TestDecodePNG(t *testing.T) {
	img := DecodePNG(t, goldens+"pipeline_euler_karras.png")
	if b := img.Bounds(); b.Empty() {
		t.Errorf("empty image %v", b)
	}
}

func TestSymlink(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "models", "checkpoints", "a.png")
	Symlink(t, goldens+"pipeline_euler_karras.png", dst)
	want, err := os.ReadFile(goldens + "pipeline_euler_karras.png")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(dst)
	if err != nil || string(got) != string(want) {
		t.Errorf("link reads %d bytes, %v; want %d bytes", len(got), err, len(want))
	}
}

func TestInitORT(t *testing.T) {
	InitORT(t)
	InitORT(t) // a second call is a no-op
}

func TestFolders(t *testing.T) {
	f := Folders(t, t.TempDir())
	for _, d := range []string{f.Input(), f.Output(), f.Temp(), f.User()} {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			t.Errorf("%s: %v", d, err)
		}
	}
}
