package onnx

import "fmt"

// DataType is an ONNX TensorProto element type.
type DataType int32

// The element types the builder emits.
const (
	Undefined    DataType = 0
	Float        DataType = 1
	Uint8        DataType = 2
	Int8         DataType = 3
	Uint16       DataType = 4
	Int16        DataType = 5
	Int32        DataType = 6
	Int64        DataType = 7
	Bool         DataType = 9
	Float16      DataType = 10
	Double       DataType = 11
	Uint32       DataType = 12
	Uint64       DataType = 13
	BFloat16     DataType = 16
	Float8E4M3FN DataType = 17
	Float8E5M2   DataType = 19
)

var dtypeInfo = map[DataType]struct {
	name string
	size int
}{
	Float: {"float32", 4}, Uint8: {"uint8", 1}, Int8: {"int8", 1}, Uint16: {"uint16", 2},
	Int16: {"int16", 2}, Int32: {"int32", 4}, Int64: {"int64", 8}, Bool: {"bool", 1},
	Float16: {"float16", 2}, Double: {"float64", 8}, Uint32: {"uint32", 4},
	Uint64: {"uint64", 8}, BFloat16: {"bfloat16", 2}, Float8E4M3FN: {"float8e4m3fn", 1},
	Float8E5M2: {"float8e5m2", 1},
}

// Size is the element size in bytes (0 for Undefined or unknown types).
func (d DataType) Size() int { return dtypeInfo[d].size }

// String is a lower-case name such as "float16".
func (d DataType) String() string {
	if i, ok := dtypeInfo[d]; ok {
		return i.name
	}
	return fmt.Sprintf("DataType(%d)", int32(d))
}

// IsFloat reports whether d is a floating-point type.
func (d DataType) IsFloat() bool {
	switch d {
	case Float, Float16, Double, BFloat16, Float8E4M3FN, Float8E5M2:
		return true
	}
	return false
}

// FromSafetensors maps a safetensors dtype name ("F16", "BF16", "F32", ...)
// to the ONNX type; ok is false for names ONNX cannot hold.
func FromSafetensors(name string) (dt DataType, ok bool) {
	m := map[string]DataType{
		"F16": Float16, "BF16": BFloat16, "F32": Float, "F64": Double,
		"I64": Int64, "I32": Int32, "I16": Int16, "I8": Int8, "U8": Uint8,
		"U16": Uint16, "U32": Uint32, "U64": Uint64, "BOOL": Bool,
		"F8_E4M3": Float8E4M3FN, "F8_E5M2": Float8E5M2,
	}
	dt, ok = m[name]
	return dt, ok
}

// Dim is one dimension of a graph input or output: a fixed size, or a
// symbolic name when Param is set (the size is then chosen at run time).
type Dim struct {
	Value int64
	Param string
}

// Value is a tensor flowing through a Graph: a graph input, an initializer
// or a node output. The zero Value stands for an omitted optional input.
type Value struct {
	name  string
	dt    DataType
	shape []int64 // static shape when known (weights, constants), else nil
	known bool    // shape is meaningful (a scalar has known && len 0)
	g     *Graph
}

// Name is the tensor name in the graph ("" for the zero Value).
func (v Value) Name() string { return v.name }

// DType is the element type the builder tracked for v.
func (v Value) DType() DataType { return v.dt }

// Shape returns the static shape and true when the builder knows it
// (initializers, constants and inputs with only fixed dims).
func (v Value) Shape() ([]int64, bool) { return append([]int64(nil), v.shape...), v.known }

// IsZero reports whether v is the zero Value (an omitted optional input).
func (v Value) IsZero() bool { return v.name == "" }

// Attr is a node attribute; build one with AttrInt, AttrFloat, ...
type Attr struct {
	name   string
	kind   attrKind
	f      float32
	i      int64
	s      string
	floats []float32
	ints   []int64
	t      *tensorProto
}

// AttrInt is an INT attribute.
func AttrInt(name string, v int64) Attr { return Attr{name: name, kind: attrInt, i: v} }

// AttrFloat is a FLOAT attribute.
func AttrFloat(name string, v float32) Attr { return Attr{name: name, kind: attrFloat, f: v} }

// AttrString is a STRING attribute.
func AttrString(name, v string) Attr { return Attr{name: name, kind: attrString, s: v} }

// AttrInts is an INTS attribute.
func AttrInts(name string, v ...int64) Attr {
	return Attr{name: name, kind: attrInts, ints: append([]int64{}, v...)}
}

// AttrFloats is a FLOATS attribute.
func AttrFloats(name string, v ...float32) Attr {
	return Attr{name: name, kind: attrFloats, floats: append([]float32{}, v...)}
}
