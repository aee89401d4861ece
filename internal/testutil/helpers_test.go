package testutil

import (
	"image"
	"image/color"
	"path/filepath"
	"reflect"
	"testing"

	"sumi/lora"
	"sumi/safetensors"
	"sumi/tensor"
)

func TestShape(t *testing.T) {
	if got := Shape([]int64{2, 3, 1}); !reflect.DeepEqual(got, []int{2, 3, 1}) {
		t.Errorf("Shape = %v", got)
	}
	if got := Shape(nil); len(got) != 0 {
		t.Errorf("Shape(nil) = %v", got)
	}
}

// TestWriteMerged merges a rank-1 patch into one tensor of a small file
// and checks the patched values, the untouched tensor and the row range.
func TestWriteMerged(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.safetensors"), filepath.Join(dir, "dst.safetensors")
	var w safetensors.Writer
	w.AddFloat32("a", []int64{2, 2}, []float32{1, 2, 3, 4})
	w.AddFloat32("b", []int64{2}, []float32{5, 6})
	if err := w.WriteFile(src); err != nil {
		t.Fatal(err)
	}
	p := lora.Patch{Key: "a", Rows: [2]int{1, 2}, Scale: 2,
		Up: tensor.FromData([]float32{1}, 1, 1), Down: tensor.FromData([]float32{10, 20}, 1, 2)}
	WriteMerged(t, src, dst, []lora.Patch{p})
	got := ReadTensors(t, dst)
	if want := []float32{1, 2, 23, 44}; !reflect.DeepEqual(got["a"].Data, want) {
		t.Errorf("a = %v, want %v", got["a"].Data, want)
	}
	if want := []float32{5, 6}; !reflect.DeepEqual(got["b"].Data, want) {
		t.Errorf("b = %v, want %v", got["b"].Data, want)
	}
}

func TestExpectInfo(t *testing.T) {
	info := struct {
		Name   string `json:"name"`
		Output []int  `json:"output"`
	}{"X", []int{1}}
	ExpectInfo(t, info, map[string]any{"name": "X", "output": []any{1.0}})
	if _, same, err := sameJSON(info, map[string]any{"name": "Y", "output": []any{1.0}}); same || err != nil {
		t.Errorf("a different entry compares equal (%v)", err)
	}
}

func TestObjectInfo(t *testing.T) {
	rec := ObjectInfo(t, "../../testdata/protocol/object_info.json")
	if _, ok := rec["KSampler"]; !ok {
		t.Errorf("recording lacks KSampler (%d entries)", len(rec))
	}
}

func TestPixelDiff(t *testing.T) {
	a := image.NewRGBA(image.Rect(0, 0, 2, 2))
	b := image.NewRGBA(image.Rect(0, 0, 2, 2))
	if d, f := PixelDiff(t, a, b); d != 0 || f != 0 {
		t.Errorf("equal images: %d levels on %g", d, f)
	}
	b.Set(1, 0, color.RGBA{G: 3, A: 255})
	if d, f := PixelDiff(t, a, b); d != 3 || f != 0.25 {
		t.Errorf("one pixel off by 3: got %d levels on %g", d, f)
	}
}
