package onnx

import "math"

// Neural-network operators and the composites the diffusion networks use.

// MatMul is ai.onnx MatMul (numpy matmul semantics).
func (g *Graph) MatMul(a, b Value) Value { return g.op1("MatMul", nil, a, b) }

// Gemm is ai.onnx Gemm, a·op(b) + c with alpha = beta = 1, for 2-D a. With
// transB a torch Linear weight [out,in] is used as stored. c may be zero.
func (g *Graph) Gemm(a, b, c Value, transB bool) Value {
	if !g.check("Gemm", a, b) {
		return Value{}
	}
	return g.Op("Gemm", "", []Value{a, b, c}, []Attr{AttrInt("transB", b2i(transB))}, 1)[0]
}

// Linear is torch's Linear on inputs of any rank: x·wᵀ + b with w stored
// [out,in] and b optional (zero Value). It uses com.microsoft FusedMatMul
// with transB, so the weight is read as stored and never transposed.
func (g *Graph) Linear(x, w, b Value) Value {
	y := g.FusedMatMul(x, w, false, true, 1)
	if b.IsZero() {
		return y
	}
	return g.Add(y, b)
}

// ConvOpts are Conv attributes; nil slices take ONNX defaults (stride 1,
// no padding, dilation 1) and Group 0 means 1.
type ConvOpts struct {
	Strides   []int64
	Pads      []int64 // [top, left, bottom, right] for 2-D
	Dilations []int64
	Group     int64
}

func (o ConvOpts) attrs() []Attr {
	var a []Attr
	if o.Strides != nil {
		a = append(a, AttrInts("strides", o.Strides...))
	}
	if o.Pads != nil {
		a = append(a, AttrInts("pads", o.Pads...))
	}
	if o.Dilations != nil {
		a = append(a, AttrInts("dilations", o.Dilations...))
	}
	if o.Group > 1 {
		a = append(a, AttrInt("group", o.Group))
	}
	return a
}

// Conv is ai.onnx Conv (NCHW, weight [out, in/group, kh, kw], b optional).
func (g *Graph) Conv(x, w, b Value, o ConvOpts) Value {
	if !g.check("Conv", x, w) {
		return Value{}
	}
	return g.Op("Conv", "", []Value{x, w, b}, o.attrs(), 1)[0]
}

// Softmax is ai.onnx Softmax along axis.
func (g *Graph) Softmax(x Value, axis int64) Value {
	return g.op1("Softmax", []Attr{AttrInt("axis", axis)}, x)
}

// LayerNorm is ai.onnx LayerNormalization over the last axis (opset 17+).
func (g *Graph) LayerNorm(x, scale, bias Value, eps float32) Value {
	if !g.check("LayerNormalization", x, scale) {
		return Value{}
	}
	attrs := []Attr{AttrInt("axis", -1), AttrFloat("epsilon", eps)}
	return g.Op("LayerNormalization", "", []Value{x, scale, bias}, attrs, 1)[0]
}

// InstanceNorm is ai.onnx InstanceNormalization (scale and bias [C]).
func (g *Graph) InstanceNorm(x, scale, bias Value, eps float32) Value {
	return g.op1("InstanceNormalization", []Attr{AttrFloat("epsilon", eps)}, x, scale, bias)
}

// GroupNorm is torch's group_norm on NCHW input, built from native kernels:
// Reshape to [N, groups, -1], InstanceNormalization with unit scale, Reshape
// back, then the affine gamma/beta. gamma and beta are [C] (unsqueezed here)
// or already [C,1,1]; either may be zero for no affine part.
func (g *Graph) GroupNorm(x, gamma, beta Value, groups int64, eps float32) Value {
	if !g.check("GroupNorm", x) {
		return Value{}
	}
	ones := make([]float32, groups)
	for i := range ones {
		ones[i] = 1
	}
	dt := x.dt
	y := g.Reshape(x, 0, groups, -1)
	y = g.InstanceNorm(y, g.Const(dt, []int64{groups}, ones), g.Const(dt, []int64{groups}, make([]float32, groups)), eps)
	y = g.ReshapeTo(y, g.Shape(x))
	if !gamma.IsZero() {
		y = g.Mul(y, g.channelVector(gamma))
	}
	if !beta.IsZero() {
		y = g.Add(y, g.channelVector(beta))
	}
	return y
}

// channelVector makes a [C] vector broadcast over NCHW as [C,1,1].
func (g *Graph) channelVector(v Value) Value {
	if s, ok := v.Shape(); ok && len(s) == 1 {
		return g.Unsqueeze(v, 1, 2)
	}
	return v
}

// ResizeNearest upsamples the last two axes of NCHW x by an integer factor
// exactly as torch's F.interpolate(mode="nearest") does (src = floor(dst/s)).
func (g *Graph) ResizeNearest(x Value, scale float32) Value {
	if !g.check("Resize", x) {
		return Value{}
	}
	attrs := []Attr{
		AttrString("mode", "nearest"),
		AttrString("coordinate_transformation_mode", "asymmetric"),
		AttrString("nearest_mode", "floor"),
	}
	scales := g.Floats(1, 1, scale, scale)
	return g.Op("Resize", "", []Value{x, {}, scales}, attrs, 1)[0]
}

// Gelu is the exact GELU, x·½·(1 + erf(x/√2)), from primitive ops (the Gelu
// operator needs opset 20).
func (g *Graph) Gelu(x Value) Value {
	dt := x.dt
	e := g.Erf(g.Mul(x, g.ScalarOf(dt, float32(1/math.Sqrt2))))
	return g.Mul(g.Mul(x, g.ScalarOf(dt, 0.5)), g.Add(e, g.ScalarOf(dt, 1)))
}

// GeluTanh is the tanh approximation of GELU (torch approximate="tanh"):
// ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
func (g *Graph) GeluTanh(x Value) Value {
	dt := x.dt
	x3 := g.Mul(g.Mul(x, x), x)
	inner := g.Add(x, g.Mul(x3, g.ScalarOf(dt, 0.044715)))
	t := g.Tanh(g.Mul(inner, g.ScalarOf(dt, float32(math.Sqrt(2/math.Pi)))))
	return g.Mul(g.Mul(x, g.ScalarOf(dt, 0.5)), g.Add(t, g.ScalarOf(dt, 1)))
}

// Attention is scaled dot-product attention from standard ops: q [B,Lq,H·D],
// k and v [B,Lk,H·D], heads = consecutive D-channel slices, scale 1/√D, no
// mask; the result is [B,Lq,H·D]. MultiHeadAttention is the fused form.
func (g *Graph) Attention(q, k, v Value, heads, headDim int64) Value {
	split := func(t Value, perm ...int64) Value {
		return g.Transpose(g.Reshape(t, 0, 0, heads, headDim), perm...)
	}
	qh := split(q, 0, 2, 1, 3) // [B,H,Lq,D]
	kt := split(k, 0, 2, 3, 1) // [B,H,D,Lk]
	vh := split(v, 0, 2, 1, 3) // [B,H,Lk,D]
	scale := g.ScalarOf(q.dt, float32(1/math.Sqrt(float64(headDim))))
	w := g.Softmax(g.Mul(g.MatMul(qh, kt), scale), -1)
	o := g.Transpose(g.MatMul(w, vh), 0, 2, 1, 3)
	return g.Reshape(o, 0, 0, heads*headDim)
}
