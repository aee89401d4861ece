package testutil

import (
	"testing"

	"sumi/lora"
	"sumi/safetensors"
)

// WriteMerged writes a copy of the checkpoint src to dst with the patches
// merged by lora.Patch.Apply, in the order given for each key. Patched
// tensors are stored as float32, the rest byte for byte. A patch for a
// tensor src lacks fails the test: it would prove nothing.
func WriteMerged(t testing.TB, src, dst string, patches []lora.Patch) {
	t.Helper()
	f, err := safetensors.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	byKey := map[string][]lora.Patch{}
	for _, p := range patches {
		byKey[p.Key] = append(byKey[p.Key], p)
	}
	var w safetensors.Writer
	for _, ti := range f.Tensors() {
		ps := byKey[ti.Name]
		if len(ps) == 0 {
			raw, err := f.Bytes(ti.Name)
			if err != nil {
				t.Fatal(err)
			}
			w.AddRaw(ti.Name, ti.DType, ti.Shape, raw)
			continue
		}
		data, err := f.Float32(ti.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if err := p.Apply(data, Shape(ti.Shape)); err != nil {
				t.Fatal(err)
			}
		}
		w.AddFloat32(ti.Name, ti.Shape, data)
		delete(byKey, ti.Name)
	}
	if len(byKey) != 0 {
		t.Fatalf("patches for missing tensors: %v", byKey)
	}
	if err := w.WriteFile(dst); err != nil {
		t.Fatal(err)
	}
}

// Shape converts a safetensors shape to tensor's int form.
func Shape(s []int64) []int {
	out := make([]int, len(s))
	for i, d := range s {
		out[i] = int(d)
	}
	return out
}
