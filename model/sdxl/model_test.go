package sdxl

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sumi/internal/testutil"
	"sumi/safetensors"
	"sumi/tensor"
)

// rewriteTiny copies the tiny checkpoint to a temp file, letting edit drop
// (return false) or reshape tensors on the way.
func rewriteTiny(t *testing.T, edit func(name string, shape []int64) ([]int64, bool)) string {
	t.Helper()
	src, err := safetensors.Open(tinyCkpt)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var w safetensors.Writer
	for _, ti := range src.Tensors() {
		shape, keep := edit(ti.Name, ti.Shape)
		if !keep {
			continue
		}
		b, err := src.Bytes(ti.Name)
		if err != nil {
			t.Fatal(err)
		}
		w.AddRaw(ti.Name, ti.DType, shape, b)
	}
	path := filepath.Join(t.TempDir(), "edited.safetensors")
	if err := w.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadCorruptCheckpoints(t *testing.T) {
	const dropped = prefixUNet + "output_blocks.2.1.transformer_blocks.1.ff.net.2.weight"
	const reshaped = prefixVAE + "decoder.up.1.block.0.conv1.weight"
	truncated := filepath.Join(t.TempDir(), "truncated.safetensors")
	data, err := os.ReadFile(tinyCkpt)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(truncated, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path string
		key        string // LayoutError key, or "" for another error
		msg        string
	}{
		{"missing tensor", rewriteTiny(t, func(n string, s []int64) ([]int64, bool) { return s, n != dropped }), dropped, ""},
		{"wrong shape", rewriteTiny(t, func(n string, s []int64) ([]int64, bool) {
			if n == reshaped {
				return []int64{s[0], s[1], s[2] * s[3], 1}, true
			}
			return s, true
		}), reshaped, ""},
		{"truncated", truncated, "", "truncated.safetensors"},
		{"absent", filepath.Join(t.TempDir(), "nope.safetensors"), "", "nope.safetensors"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.path, Options{})
			if err == nil {
				t.Fatal("no error")
			}
			var le *LayoutError
			if tc.key != "" && (!errors.As(err, &le) || le.Key != tc.key) {
				t.Errorf("error %v, want a layout error naming %s", err, tc.key)
			}
			if !strings.Contains(err.Error(), tc.key) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not name %q %q", err, tc.key, tc.msg)
			}
		})
	}
}

// TestLoadThroughSymlink checks that a checkpoint reached through a symlink
// in another folder still runs (ORT rejects external data outside its folder).
func TestLoadThroughSymlink(t *testing.T) {
	link := filepath.Join(t.TempDir(), "linked.safetensors")
	testutil.Symlink(t, tinyCkpt, link)
	m := loadModel(t, link, Options{})
	g := golden(t, "vae.safetensors")
	img, err := m.DecodeVAE(context.Background(), g["decode.latent"])
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "decode.image", img, g["decode.image"], goldenTol)
}

func TestModelFreeAndClose(t *testing.T) {
	m := loadModel(t, tinyCkpt, Options{})
	g := golden(t, "vae.safetensors")
	decode := func() error {
		_, err := m.DecodeVAE(context.Background(), g["decode.latent"])
		return err
	}
	if err := decode(); err != nil {
		t.Fatal(err)
	}
	if n := len(m.cache.Keys()); n != 1 {
		t.Errorf("%d cached sessions, want 1", n)
	}
	if err := m.Free(); err != nil {
		t.Fatal(err)
	}
	if n := len(m.cache.Keys()); n != 0 {
		t.Errorf("%d cached sessions after Free, want 0", n)
	}
	if err := decode(); err != nil {
		t.Fatalf("decode after Free: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := decode(); err == nil {
		t.Error("decode after Close: no error")
	}
	if _, err := m.EncodeVAE(context.Background(), tensor.New(1, 8, 8, 3)); err == nil {
		t.Error("encode after Close: no error")
	}
}

func TestCropToMultiple(t *testing.T) {
	img := tensor.New(1, 5, 6, 1)
	for i := range img.Data {
		img.Data[i] = float32(i)
	}
	got := cropToMultiple(img, 2)
	// 5 rows -> 4 starting at row (5%2)/2 = 0; 6 columns stay.
	if got.Shape[1] != 4 || got.Shape[2] != 6 || got.Data[0] != 0 || got.Data[23] != 23 {
		t.Errorf("crop 5x6 by 2: shape %v first %v last %v", got.Shape, got.Data[0], got.Data[len(got.Data)-1])
	}
	got = cropToMultiple(tensor.New(1, 7, 7, 1), 4)
	if got.Shape[1] != 4 || got.Shape[2] != 4 {
		t.Errorf("crop 7x7 by 4: shape %v", got.Shape)
	}
}
