package safetensors_test

import (
	"fmt"
	"os"
	"path/filepath"

	"sumi/safetensors"
)

func Example() {
	dir, _ := os.MkdirTemp("", "st")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "tiny.safetensors")

	w := &safetensors.Writer{Metadata: map[string]string{"format": "pt"}}
	w.AddFloat16("conv.weight", []int64{2, 1, 1, 1}, []float32{0.5, -1})
	w.AddFloat32("conv.bias", []int64{2}, []float32{0.25, 3})
	if err := w.WriteFile(path); err != nil {
		fmt.Println(err)
		return
	}

	f, err := safetensors.Open(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	for _, t := range f.Tensors() {
		v, _ := f.Float32(t.Name)
		fmt.Println(t.Name, t.DType, t.Shape, t.Offset-8-f.HeaderSize(), t.Length, v)
	}
	fmt.Println(f.Metadata["format"])
	// Output:
	// conv.bias F32 [2] 4 8 [0.25 3]
	// conv.weight F16 [2 1 1 1] 0 4 [0.5 -1]
	// pt
}
