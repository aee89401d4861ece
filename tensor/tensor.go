// Package tensor is a small dense float32 N-d array, row-major, shared by the
// sampler, the model code and the nodes that pass latents and images around.
package tensor

import (
	"fmt"
	"strings"
)

// Tensor is a dense row-major float32 array. Shape is in torch order
// (e.g. [B, C, H, W] for latents, [B, H, W, C] for ComfyUI images).
type Tensor struct {
	Shape []int
	Data  []float32
}

// New returns a zero tensor of the given shape.
func New(shape ...int) *Tensor {
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float32, NumElements(shape))}
}

// FromData wraps data with a shape; it panics if the sizes disagree, which is a
// programmer error.
func FromData(data []float32, shape ...int) *Tensor {
	if n := NumElements(shape); n != len(data) {
		panic(fmt.Sprintf("tensor: shape %v needs %d elements, have %d", shape, n, len(data)))
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: data}
}

// NumElements is the product of the dimensions (1 for a scalar shape).
func NumElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Len is the number of elements.
func (t *Tensor) Len() int { return len(t.Data) }

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: append([]int(nil), t.Shape...), Data: append([]float32(nil), t.Data...)}
}

// SameShape reports whether t and u have identical shapes.
func (t *Tensor) SameShape(u *Tensor) bool {
	if len(t.Shape) != len(u.Shape) {
		return false
	}
	for i := range t.Shape {
		if t.Shape[i] != u.Shape[i] {
			return false
		}
	}
	return true
}

// String describes the shape, e.g. "tensor[1 4 8 8]".
func (t *Tensor) String() string {
	parts := make([]string, len(t.Shape))
	for i, d := range t.Shape {
		parts[i] = fmt.Sprint(d)
	}
	return "tensor[" + strings.Join(parts, " ") + "]"
}
