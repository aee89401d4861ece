package onnx

// Elementwise, shape and indexing operators of the ai.onnx domain. Every
// helper records an error on a missing input instead of panicking.

// Add is ai.onnx Add (numpy broadcasting).
func (g *Graph) Add(a, b Value) Value { return g.op1("Add", nil, a, b) }

// Sub is ai.onnx Sub.
func (g *Graph) Sub(a, b Value) Value { return g.op1("Sub", nil, a, b) }

// Mul is ai.onnx Mul.
func (g *Graph) Mul(a, b Value) Value { return g.op1("Mul", nil, a, b) }

// Div is ai.onnx Div.
func (g *Graph) Div(a, b Value) Value { return g.op1("Div", nil, a, b) }

// Pow is ai.onnx Pow.
func (g *Graph) Pow(a, b Value) Value { return g.op1("Pow", nil, a, b) }

// Equal is ai.onnx Equal; the result is Bool.
func (g *Graph) Equal(a, b Value) Value { return g.op1("Equal", nil, a, b).As(Bool) }

// Where is ai.onnx Where: cond ? x : y.
func (g *Graph) Where(cond, x, y Value) Value { return g.op1("Where", nil, cond, x, y).As(x.dt) }

// Sqrt is ai.onnx Sqrt.
func (g *Graph) Sqrt(x Value) Value { return g.op1("Sqrt", nil, x) }

// Exp is ai.onnx Exp.
func (g *Graph) Exp(x Value) Value { return g.op1("Exp", nil, x) }

// Neg is ai.onnx Neg.
func (g *Graph) Neg(x Value) Value { return g.op1("Neg", nil, x) }

// Cos is ai.onnx Cos.
func (g *Graph) Cos(x Value) Value { return g.op1("Cos", nil, x) }

// Sin is ai.onnx Sin.
func (g *Graph) Sin(x Value) Value { return g.op1("Sin", nil, x) }

// Sigmoid is ai.onnx Sigmoid.
func (g *Graph) Sigmoid(x Value) Value { return g.op1("Sigmoid", nil, x) }

// Tanh is ai.onnx Tanh.
func (g *Graph) Tanh(x Value) Value { return g.op1("Tanh", nil, x) }

// Erf is ai.onnx Erf.
func (g *Graph) Erf(x Value) Value { return g.op1("Erf", nil, x) }

// Silu is x·sigmoid(x) (two nodes; ORT fuses them where it can).
func (g *Graph) Silu(x Value) Value { return g.Mul(x, g.Sigmoid(x)) }

// Clip is ai.onnx Clip; lo and hi may be zero Values (no bound) and must
// otherwise be scalars of x's type.
func (g *Graph) Clip(x, lo, hi Value) Value {
	if !g.check("Clip", x) {
		return Value{}
	}
	return g.Op("Clip", "", []Value{x, lo, hi}, nil, 1)[0]
}

// Cast is ai.onnx Cast to type to.
func (g *Graph) Cast(x Value, to DataType) Value {
	y := g.op1("Cast", []Attr{AttrInt("to", int64(to))}, x).As(to)
	y.shape, y.known = x.shape, x.known
	return y
}

// Shape is ai.onnx Shape (Int64 result).
func (g *Graph) Shape(x Value) Value { return g.op1("Shape", nil, x).As(Int64) }

// ConstantOfShape is a tensor of the given (Int64, 1-D) shape filled with
// value in type dt.
func (g *Graph) ConstantOfShape(shape Value, dt DataType, value float32) Value {
	t := g.Const(dt, []int64{1}, []float32{value})
	if t.IsZero() {
		return Value{}
	}
	// The attribute holds its own copy of the one-element tensor.
	var tp *tensorProto
	for i := range g.inits {
		if g.inits[i].name == t.name {
			c := g.inits[i]
			tp = &c
		}
	}
	attr := Attr{name: "value", kind: attrTensor, t: tp}
	return g.op1("ConstantOfShape", []Attr{attr}, shape).As(dt)
}

// Expand is ai.onnx Expand to an Int64 shape tensor.
func (g *Graph) Expand(x, shape Value) Value { return g.op1("Expand", nil, x, shape) }

// Reshape reshapes x to a constant shape (0 copies a dim, -1 infers one).
func (g *Graph) Reshape(x Value, shape ...int64) Value {
	return g.op1("Reshape", nil, x, g.Ints(shape...))
}

// ReshapeTo reshapes x to a shape computed in the graph (Int64, 1-D).
func (g *Graph) ReshapeTo(x, shape Value) Value { return g.op1("Reshape", nil, x, shape) }

// Transpose is ai.onnx Transpose with an explicit permutation. Use it on
// activations only: on a weight it makes ORT fold a transposed copy.
func (g *Graph) Transpose(x Value, perm ...int64) Value {
	return g.op1("Transpose", []Attr{AttrInts("perm", perm...)}, x)
}

// Concat joins vs along axis.
func (g *Graph) Concat(axis int64, vs ...Value) Value {
	if len(vs) == 0 {
		g.fail("Concat: no inputs")
		return Value{}
	}
	return g.op1("Concat", []Attr{AttrInt("axis", axis)}, vs...)
}

// Split cuts x along axis into pieces of the given sizes.
func (g *Graph) Split(x Value, axis int64, sizes ...int64) []Value {
	if !g.check("Split", x) || len(sizes) == 0 {
		g.fail("Split: needs an input and at least one size")
		return make([]Value, len(sizes))
	}
	return g.Op("Split", "", []Value{x, g.Ints(sizes...)}, []Attr{AttrInt("axis", axis)}, len(sizes))
}

// Slice is ai.onnx Slice with constant starts/ends/axes/steps (axes and
// steps may be nil).
func (g *Graph) Slice(x Value, starts, ends, axes, steps []int64) Value {
	in := []Value{x, g.Ints(starts...), g.Ints(ends...)}
	if axes != nil {
		in = append(in, g.Ints(axes...))
	}
	if steps != nil {
		if axes == nil {
			g.fail("Slice: steps need axes")
		}
		in = append(in, g.Ints(steps...))
	}
	return g.op1("Slice", nil, in...)
}

// Gather is ai.onnx Gather of indices (Int64 or Int32) along axis.
func (g *Graph) Gather(x, indices Value, axis int64) Value {
	return g.op1("Gather", []Attr{AttrInt("axis", axis)}, x, indices)
}

// Unsqueeze inserts size-1 axes.
func (g *Graph) Unsqueeze(x Value, axes ...int64) Value {
	return g.op1("Unsqueeze", nil, x, g.Ints(axes...))
}

// Squeeze removes size-1 axes (all of them when axes is empty).
func (g *Graph) Squeeze(x Value, axes ...int64) Value {
	if len(axes) == 0 {
		return g.op1("Squeeze", nil, x)
	}
	return g.op1("Squeeze", nil, x, g.Ints(axes...))
}

// ArgMax is ai.onnx ArgMax (Int64 result).
func (g *Graph) ArgMax(x Value, axis int64, keepDims bool) Value {
	return g.op1("ArgMax", []Attr{AttrInt("axis", axis), AttrInt("keepdims", b2i(keepDims))}, x).As(Int64)
}

// ReduceMean averages over axes (all of them when none are given), in the form the graph's opset wants (axes
// became an input in opset 18).
func (g *Graph) ReduceMean(x Value, keepDims bool, axes ...int64) Value {
	return g.reduce("ReduceMean", 18, x, keepDims, axes)
}

// ReduceSum sums over axes (axes is an input since opset 13).
func (g *Graph) ReduceSum(x Value, keepDims bool, axes ...int64) Value {
	return g.reduce("ReduceSum", 13, x, keepDims, axes)
}

func (g *Graph) reduce(op string, inputSince int64, x Value, keepDims bool, axes []int64) Value {
	attrs := []Attr{AttrInt("keepdims", b2i(keepDims))}
	if len(axes) == 0 {
		// No axes reduces over all of them in every opset; an empty axes
		// attribute would be invalid.
		return g.op1(op, attrs, x)
	}
	if g.Opset >= inputSince {
		return g.op1(op, attrs, x, g.Ints(axes...))
	}
	return g.op1(op, append(attrs, AttrInts("axes", axes...)), x)
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
