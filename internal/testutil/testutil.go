// Package testutil holds the helpers that tests of several packages share:
// loading ONNX Runtime, reading fixture tensors and PNGs, and laying out a
// ComfyUI base directory. Only _test.go files import it; every helper fails
// the test (never skips) when a fixture or the runtime library is missing.
package testutil

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"sumi/folders"
	"sumi/runtime/ort"
	"sumi/safetensors"
	"sumi/tensor"
)

var ortOnce sync.Once
var ortErr error

// InitORT loads ONNX Runtime from SUMI_ORT_LIB or the repository's .ort/
// once per test binary. A missing library fails the test: CI must run the
// model tests, not skip them.
func InitORT(t testing.TB) {
	t.Helper()
	ortOnce.Do(func() { ortErr = ort.Init(ort.LibraryPath("")) })
	if ortErr != nil {
		t.Fatal(ortErr)
	}
	if ort.Version() == "" {
		t.Fatal("ort: not initialised (an earlier Init failed)")
	}
}

// ReadTensors reads every floating-point tensor of a safetensors file as
// float32, keyed by name. Integer tensors are left out.
func ReadTensors(t testing.TB, path string) map[string]*tensor.Tensor {
	t.Helper()
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]*tensor.Tensor{}
	for _, ti := range f.Tensors() {
		if !ti.DType.IsFloat() {
			continue
		}
		data, err := f.Float32(ti.Name)
		if err != nil {
			t.Fatal(err)
		}
		out[ti.Name] = tensor.FromData(data, Shape(ti.Shape)...)
	}
	return out
}

// DecodePNG decodes the PNG file at path.
func DecodePNG(t testing.TB, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// Folders lays out a ComfyUI base directory at base (input, output, temp
// and user created) and returns its folders.
func Folders(t testing.TB, base string) *folders.Folders {
	t.Helper()
	f, err := folders.New(folders.Config{Base: base})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.CreateDirs(); err != nil {
		t.Fatal(err)
	}
	return f
}

// Symlink links dst to the absolute path of src, creating dst's directory.
// Tests use it to put fixture checkpoints under a temporary
// <base>/models/<kind>/ without copying them.
func Symlink(t testing.TB, src, dst string) {
	t.Helper()
	abs, err := filepath.Abs(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(abs, dst); err != nil {
		t.Fatal(err)
	}
}
