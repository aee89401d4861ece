package sdxl

import (
	"fmt"
)

// TensorInfo is the part of a checkpoint header that detection reads.
type TensorInfo struct {
	// Shape is in PyTorch order.
	Shape []int
	// DType is the safetensors dtype name ("F16", "F32", "BF16", "I64", ...).
	DType string
}

// Header maps tensor names of a checkpoint to their shape and dtype.
type Header map[string]TensorInfo

// UnsupportedError reports a checkpoint of a model family sumi cannot run.
// Found names what was detected, e.g. "flux (double_blocks)".
type UnsupportedError struct {
	Found string
}

func (e *UnsupportedError) Error() string {
	return "sdxl: unsupported checkpoint: found " + e.Found
}

// LayoutError reports a tensor that is missing or has an unexpected shape or
// dtype. Callers use errors.As to tell a corrupt file from an unsupported one.
type LayoutError struct {
	Key     string
	Problem string
}

func (e *LayoutError) Error() string {
	return fmt.Sprintf("sdxl: tensor %q: %s", e.Key, e.Problem)
}

func missing(key string) error {
	return &LayoutError{Key: key, Problem: "missing"}
}

func badShape(key string, got, want []int) error {
	return &LayoutError{Key: key, Problem: fmt.Sprintf("shape %v, want %v", got, want)}
}
