package sdxl

import (
	"fmt"
	"math"

	"sumi/lora"
	"sumi/runtime/onnx"
	"sumi/runtime/ort"
	"sumi/safetensors"
)

// AttentionImpl selects how attention is emitted.
type AttentionImpl int

// Attention variants: plain MatMul/Softmax runs everywhere; com.microsoft
// MultiHeadAttention gets ORT's fused (flash / memory-efficient) kernels on CUDA.
const (
	AttentionPlain AttentionImpl = iota
	AttentionMHA
)

// GraphOptions chooses the element type and kernels of emitted graphs.
type GraphOptions struct {
	// DType is the compute type: onnx.Float (CPU default) or onnx.Float16 (CUDA).
	DType onnx.DataType
	// Attention picks the attention form; AttentionPlain by default.
	Attention AttentionImpl
	// GroupNorm picks the GroupNorm form; GroupNormInstance by default
	// (GroupNormContrib is CUDA-only, see cuda.go).
	GroupNorm GroupNormImpl
	// GEGLU picks the feed-forward gate form; GEGLUPlain by default
	// (GEGLUBiasSplitGelu is CUDA-only, see cuda.go).
	GEGLU GEGLUImpl
}

func (o GraphOptions) dtype() onnx.DataType {
	if o.DType == onnx.Undefined {
		return onnx.Float
	}
	return o.DType
}

// builder emits one network over the tensors of an opened checkpoint.
type builder struct {
	g    *onnx.Graph
	f    *safetensors.File
	loc  string // external-data location of f, relative to the session folder
	dt   onnx.DataType
	attn AttentionImpl
	opts GraphOptions
	// emulate replaces CUDA-only operators by CPU equivalents with the same
	// layout plumbing (tests only, see cuda.go).
	emulate bool
	err     error
	// raws and params share each checkpoint tensor between the nodes that
	// read it (an initializer name may be declared only once).
	raws, params map[string]onnx.Value
	// patches are LoRA changes by checkpoint key (patch.go); merged holds
	// the patched weights computed in Go and bound the ones the session
	// feeds itself (patchform.go).
	patches map[string][]lora.Patch
	merged  map[string]mergedWeight
	bound   []ort.Bound
}

func newBuilder(name string, f *safetensors.File, loc string, o GraphOptions) *builder {
	g := onnx.NewGraph(name)
	g.Compute = o.dtype()
	return &builder{g: g, f: f, loc: loc, dt: g.Compute, attn: o.Attention, opts: o,
		raws: map[string]onnx.Value{}, params: map[string]onnx.Value{}}
}

// finish returns the first error of the builder or the graph.
func (b *builder) finish() (*onnx.Graph, error) {
	if b.err != nil {
		return nil, b.err
	}
	if err := b.g.Err(); err != nil {
		return nil, fmt.Errorf("sdxl: %w", err)
	}
	return b.g, nil
}

func (b *builder) tensor(name string) (safetensors.Tensor, bool) {
	t, ok := b.f.Tensor(name)
	if !ok && b.err == nil {
		b.err = missing(name)
	}
	return t, ok
}

// w is a weight in the compute type.
func (b *builder) w(name string) onnx.Value { return b.wShape(name, nil) }

// wShape is w reinterpreted with another shape of the same size.
func (b *builder) wShape(name string, shape []int64) onnx.Value {
	if v, ok := b.params[name]; ok {
		return v
	}
	var v onnx.Value
	if ps := b.patches[name]; len(ps) > 0 {
		if t, ok := b.tensor(name); ok {
			v = b.patchedWeight(t, shape, ps)
		}
	} else {
		v = b.rawShape(name, shape)
	}
	if !v.IsZero() && v.DType().IsFloat() && v.DType() != b.dt {
		v = b.g.Cast(v, b.dt)
	}
	b.params[name] = v
	return v
}

func (b *builder) rawShape(name string, shape []int64) onnx.Value {
	if v, ok := b.raws[name]; ok {
		return v
	}
	t, ok := b.tensor(name)
	if !ok {
		return onnx.Value{}
	}
	v := b.g.Weight(t, b.loc, shape)
	b.raws[name] = v
	return v
}

// linear is torch Linear with weight p.weight [out,in] and bias p.bias.
func (b *builder) linear(x onnx.Value, p string) onnx.Value {
	return b.g.Linear(x, b.w(p+".weight"), b.w(p+".bias"))
}

// linearNoBias is a Linear without bias.
func (b *builder) linearNoBias(x onnx.Value, p string) onnx.Value {
	return b.g.Linear(x, b.w(p+".weight"), onnx.Value{})
}

// linear1x1 applies a 1×1 conv stored [out,in,1,1] (or [out,in]) as a Linear
// on channels-last input.
func (b *builder) linear1x1(x onnx.Value, p string, in, out int) onnx.Value {
	w := b.wShape(p+".weight", []int64{int64(out), int64(in)})
	return b.g.Linear(x, w, b.w(p+".bias"))
}

// conv is a 2-D convolution with bias, stride 1 and "same" padding for k.
func (b *builder) conv(x onnx.Value, p string, k int) onnx.Value {
	pad := int64(k / 2)
	return b.g.Conv(x, b.w(p+".weight"), b.w(p+".bias"), onnx.ConvOpts{Pads: []int64{pad, pad, pad, pad}})
}

// convOpts is a convolution with explicit options.
func (b *builder) convOpts(x onnx.Value, p string, o onnx.ConvOpts) onnx.Value {
	return b.g.Conv(x, b.w(p+".weight"), b.w(p+".bias"), o)
}

// groupNorm is GroupNorm(32) with the affine weights at p.
func (b *builder) groupNorm(x onnx.Value, p string, eps float32) onnx.Value {
	return b.g.GroupNorm(x, b.w(p+".weight"), b.w(p+".bias"), 32, eps)
}

// layerNorm is LayerNorm over the last axis with the affine weights at p.
func (b *builder) layerNorm(x onnx.Value, p string, eps float32) onnx.Value {
	return b.g.LayerNorm(x, b.w(p+".weight"), b.w(p+".bias"), eps)
}

func (b *builder) silu(x onnx.Value) onnx.Value { return b.g.Silu(x) }

// attention is softmax(q·kᵀ/√d)·v over heads of headDim channels; q [B,Lq,C],
// k and v [B,Lk,C]. mask, when set, is added to the logits (plain form only).
func (b *builder) attention(q, k, v onnx.Value, heads, headDim int, mask onnx.Value) onnx.Value {
	if mask.IsZero() && b.attn == AttentionMHA {
		return b.g.MultiHeadAttention(q, k, v, int64(heads))
	}
	g := b.g
	h, d := int64(heads), int64(headDim)
	qh := g.Transpose(g.Reshape(q, 0, 0, h, d), 0, 2, 1, 3) // [B,H,Lq,D]
	kt := g.Transpose(g.Reshape(k, 0, 0, h, d), 0, 2, 3, 1) // [B,H,D,Lk]
	vh := g.Transpose(g.Reshape(v, 0, 0, h, d), 0, 2, 1, 3) // [B,H,Lk,D]
	s := g.Mul(g.MatMul(qh, kt), g.ScalarOf(q.DType(), float32(1/math.Sqrt(float64(headDim)))))
	if !mask.IsZero() {
		s = g.Add(s, mask)
	}
	o := g.MatMul(g.Softmax(s, -1), vh)
	return g.Reshape(g.Transpose(o, 0, 2, 1, 3), 0, 0, h*d)
}

// toTokens flattens NCHW to [B, H·W, C] (channels last, row-major h then w).
func (b *builder) toTokens(x onnx.Value, c int) onnx.Value {
	return b.g.Transpose(b.g.Reshape(x, 0, int64(c), -1), 0, 2, 1)
}

// fromTokens undoes toTokens, taking the spatial shape from like.
func (b *builder) fromTokens(t, like onnx.Value) onnx.Value {
	return b.g.ReshapeTo(b.g.Transpose(t, 0, 2, 1), b.g.Shape(like))
}

// resizeLike upsamples NCHW x (nearest, torch semantics) to the spatial size of like.
func (b *builder) resizeLike(x, like onnx.Value) onnx.Value {
	g := b.g
	sizes := g.Concat(0, g.Slice(g.Shape(x), []int64{0}, []int64{2}, nil, nil),
		g.Slice(g.Shape(like), []int64{2}, []int64{4}, nil, nil))
	attrs := []onnx.Attr{
		onnx.AttrString("mode", "nearest"),
		onnx.AttrString("coordinate_transformation_mode", "asymmetric"),
		onnx.AttrString("nearest_mode", "floor"),
	}
	return g.Op("Resize", "", []onnx.Value{x, {}, {}, sizes}, attrs, 1)[0]
}
