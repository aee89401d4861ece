package ort

import (
	"encoding/binary"
	"fmt"
	"math"

	"sumi/runtime/onnx"
	"sumi/safetensors"
)

// Tensor is a host tensor passed to or filled by Session.Run: an element
// type, a shape and the little-endian bytes. A rank-0 Shape is a scalar.
type Tensor struct {
	DType onnx.DataType
	Shape []int64
	Data  []byte
}

// NewTensor allocates a zeroed tensor, e.g. a preallocated output.
func NewTensor(dt onnx.DataType, shape ...int64) *Tensor {
	return &Tensor{DType: dt, Shape: append([]int64{}, shape...), Data: make([]byte, numElements(shape)*int64(dt.Size()))}
}

// FromFloat32 makes a float32 tensor holding a copy of data.
func FromFloat32(shape []int64, data []float32) *Tensor {
	t := &Tensor{DType: onnx.Float, Shape: append([]int64{}, shape...), Data: make([]byte, 4*len(data))}
	for i, v := range data {
		binary.LittleEndian.PutUint32(t.Data[4*i:], math.Float32bits(v))
	}
	return t
}

// FromFloat16 makes a float16 tensor, rounding data to the nearest half.
func FromFloat16(shape []int64, data []float32) *Tensor {
	t := &Tensor{DType: onnx.Float16, Shape: append([]int64{}, shape...), Data: make([]byte, 2*len(data))}
	safetensors.EncodeFloat16(t.Data, data)
	return t
}

// FromInt64 makes an int64 tensor holding a copy of data.
func FromInt64(shape []int64, data []int64) *Tensor {
	t := &Tensor{DType: onnx.Int64, Shape: append([]int64{}, shape...), Data: make([]byte, 8*len(data))}
	for i, v := range data {
		binary.LittleEndian.PutUint64(t.Data[8*i:], uint64(v))
	}
	return t
}

// Float32 converts a float32, float16, bfloat16 or float64 tensor to a new
// []float32.
func (t *Tensor) Float32() ([]float32, error) {
	var dt safetensors.DType
	switch t.DType {
	case onnx.Float:
		dt = safetensors.F32
	case onnx.Float16:
		dt = safetensors.F16
	case onnx.BFloat16:
		dt = safetensors.BF16
	case onnx.Double:
		dt = safetensors.F64
	default:
		return nil, fmt.Errorf("ort: tensor of %s cannot be read as float32", t.DType)
	}
	out, err := safetensors.ToFloat32(dt, t.Data)
	if err != nil {
		return nil, fmt.Errorf("ort: %w", err)
	}
	return out, nil
}

// Int64 returns the values of an int64 tensor.
func (t *Tensor) Int64() ([]int64, error) {
	if t.DType != onnx.Int64 || len(t.Data)%8 != 0 {
		return nil, fmt.Errorf("ort: tensor of %s cannot be read as int64", t.DType)
	}
	out := make([]int64, len(t.Data)/8)
	for i := range out {
		out[i] = int64(binary.LittleEndian.Uint64(t.Data[8*i:]))
	}
	return out, nil
}

// validate checks that Data matches DType and Shape.
func (t *Tensor) validate() error {
	if t == nil {
		return fmt.Errorf("nil tensor")
	}
	if t.DType.Size() == 0 {
		return fmt.Errorf("unsupported element type %s", t.DType)
	}
	for _, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("negative dimension in shape %v", t.Shape)
		}
	}
	if want := numElements(t.Shape) * int64(t.DType.Size()); int64(len(t.Data)) != want {
		return fmt.Errorf("shape %v of %s needs %d bytes, have %d", t.Shape, t.DType, want, len(t.Data))
	}
	return nil
}

func numElements(shape []int64) int64 {
	n := int64(1)
	for _, d := range shape {
		n *= d
	}
	return n
}
