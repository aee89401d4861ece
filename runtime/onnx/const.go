package onnx

import (
	"encoding/binary"
	"fmt"
	"math"

	"sumi/safetensors"
)

// Const adds a small inline float initializer of type dt (Float, Float16,
// BFloat16 or Double) with the given shape, converting data. Identical
// constants are shared.
func (g *Graph) Const(dt DataType, shape []int64, data []float32) Value {
	if numElements(shape) != int64(len(data)) {
		g.fail("const: shape %v needs %d values, got %d", shape, numElements(shape), len(data))
		return Value{}
	}
	raw := make([]byte, len(data)*dt.Size())
	for i, f := range data {
		switch dt {
		case Float:
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(f))
		case Float16:
			binary.LittleEndian.PutUint16(raw[2*i:], safetensors.Float32ToFloat16(f))
		case BFloat16:
			binary.LittleEndian.PutUint16(raw[2*i:], safetensors.Float32ToBFloat16(f))
		case Double:
			binary.LittleEndian.PutUint64(raw[8*i:], math.Float64bits(float64(f)))
		default:
			g.fail("const: %s is not a float type", dt)
			return Value{}
		}
	}
	return g.raw(dt, shape, raw)
}

// ConstInt64 adds an inline int64 initializer.
func (g *Graph) ConstInt64(shape []int64, data []int64) Value {
	if numElements(shape) != int64(len(data)) {
		g.fail("const: shape %v needs %d values, got %d", shape, numElements(shape), len(data))
		return Value{}
	}
	raw := make([]byte, 8*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
	}
	return g.raw(Int64, shape, raw)
}

// Ints is a 1-D int64 constant, the usual form of shape, axes and index
// operands.
func (g *Graph) Ints(vs ...int64) Value { return g.ConstInt64([]int64{int64(len(vs))}, vs) }

// Scalar is a rank-0 constant in g.Compute.
func (g *Graph) Scalar(v float32) Value { return g.Const(g.Compute, []int64{}, []float32{v}) }

// ScalarOf is a rank-0 constant of type dt.
func (g *Graph) ScalarOf(dt DataType, v float32) Value { return g.Const(dt, []int64{}, []float32{v}) }

// Floats is a 1-D float32 constant (Resize scales and the like, which ONNX
// wants in float32 whatever the compute type).
func (g *Graph) Floats(vs ...float32) Value {
	return g.Const(Float, []int64{int64(len(vs))}, vs)
}

// raw adds (or reuses) an inline initializer.
func (g *Graph) raw(dt DataType, shape []int64, raw []byte) Value {
	// Only small constants are shared; keying a large one would format
	// megabytes of weights for nothing.
	shared := len(raw) <= maxSharedConst
	var key string
	if shared {
		key = fmt.Sprintf("%d%v%x", dt, shape, raw)
		if v, ok := g.consts[key]; ok {
			return v
		}
	}
	name := g.fresh("const")
	g.inits = append(g.inits, tensorProto{name: name, dt: dt, dims: append([]int64{}, shape...), raw: raw})
	v := Value{name: name, dt: dt, shape: append([]int64{}, shape...), known: true, g: g}
	if shared {
		g.consts[key] = v
	}
	return v
}

// maxSharedConst is the largest constant (in bytes) that identical copies share.
const maxSharedConst = 4096
