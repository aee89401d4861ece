package sdxl

import (
	"fmt"

	"sumi/safetensors"
)

// HeaderOf collects the names, shapes and dtypes of an opened checkpoint.
func HeaderOf(f *safetensors.File) Header {
	h := make(Header, f.Len())
	for _, t := range f.Tensors() {
		s := make([]int, len(t.Shape))
		for i, d := range t.Shape {
			s[i] = int(d)
		}
		h[t.Name] = TensorInfo{Shape: s, DType: string(t.DType)}
	}
	return h
}

// Inspect opens a checkpoint and detects its configuration without building
// any network.
func Inspect(path string) (*Config, error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c, err := Detect(HeaderOf(f))
	if err != nil {
		return nil, fmt.Errorf("sdxl: %s: %w", path, err)
	}
	return c, nil
}
