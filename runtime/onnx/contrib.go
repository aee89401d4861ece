package onnx

// ONNX Runtime contrib operators (domain com.microsoft). Using any of them
// adds the com.microsoft opset import. The ones marked CUDA-only have no CPU
// kernel in ORT 1.29: put them only in graphs for the CUDA provider.

// MultiHeadAttention is com.microsoft MultiHeadAttention with q [B,Lq,H·D],
// k and v [B,Lk,H·D], scale 1/√D and no mask.
func (g *Graph) MultiHeadAttention(q, k, v Value, heads int64) Value {
	if !g.check("MultiHeadAttention", q, k, v) {
		return Value{}
	}
	return g.ms1("MultiHeadAttention", []Attr{AttrInt("num_heads", heads)}, q, k, v)
}

// FusedMatMul is com.microsoft FusedMatMul: alpha·op(a)·op(b).
func (g *Graph) FusedMatMul(a, b Value, transA, transB bool, alpha float32) Value {
	if !g.check("FusedMatMul", a, b) {
		return Value{}
	}
	attrs := []Attr{AttrInt("transA", b2i(transA)), AttrInt("transB", b2i(transB)), AttrFloat("alpha", alpha)}
	return g.ms1("FusedMatMul", attrs, a, b)
}

// QuickGelu is com.microsoft QuickGelu, x·sigmoid(alpha·x) (CLIP-L uses 1.702).
func (g *Graph) QuickGelu(x Value, alpha float32) Value {
	return g.ms1("QuickGelu", []Attr{AttrFloat("alpha", alpha)}, x)
}

// BiasGelu is com.microsoft BiasGelu, exact GELU of x + bias.
func (g *Graph) BiasGelu(x, bias Value) Value {
	if !g.check("BiasGelu", x, bias) {
		return Value{}
	}
	return g.ms1("BiasGelu", nil, x, bias)
}

// FastGelu is com.microsoft FastGelu, the tanh approximation of GELU of
// x + bias (bias may be zero).
func (g *Graph) FastGelu(x, bias Value) Value { return g.ms1("FastGelu", nil, x, bias) }

// SkipLayerNorm is com.microsoft SkipLayerNormalization:
// LayerNorm(x + skip + bias) with gamma/beta; beta and bias may be zero.
func (g *Graph) SkipLayerNorm(x, skip, gamma, beta, bias Value, eps float32) Value {
	if !g.check("SkipLayerNormalization", x, skip, gamma) {
		return Value{}
	}
	return g.ms1("SkipLayerNormalization", []Attr{AttrFloat("epsilon", eps)}, x, skip, gamma, beta, bias)
}

// GroupNormNHWC is com.microsoft GroupNorm on NHWC input, optionally fused
// with SiLU. CUDA-only.
func (g *Graph) GroupNormNHWC(x, gamma, beta Value, groups int64, eps float32, silu bool) Value {
	if !g.check("GroupNorm", x, gamma, beta) {
		return Value{}
	}
	attrs := []Attr{AttrFloat("epsilon", eps), AttrInt("groups", groups), AttrInt("activation", b2i(silu))}
	return g.ms1("GroupNorm", attrs, x, gamma, beta)
}

// BiasSplitGelu is com.microsoft BiasSplitGelu, the fused GEGLU: with
// h = x + bias split in halves a|b along the last axis, a·gelu(b). CUDA-only.
func (g *Graph) BiasSplitGelu(x, bias Value) Value {
	if !g.check("BiasSplitGelu", x, bias) {
		return Value{}
	}
	return g.ms1("BiasSplitGelu", nil, x, bias)
}

// NhwcConv is com.microsoft NhwcConv: Conv on NHWC input with an NHWC
// ([out, kh, kw, in]) weight. CUDA-only.
func (g *Graph) NhwcConv(x, w, b Value, o ConvOpts) Value {
	if !g.check("NhwcConv", x, w) {
		return Value{}
	}
	return g.ms1("NhwcConv", o.attrs(), x, w, b)
}
