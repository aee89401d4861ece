package sdxl

import (
	"errors"

	"sumi/runtime/onnx"
)

// The CUDA form of the networks: the same builder, with the operators ONNX
// Runtime's CUDA provider runs fastest. GroupNormContrib and
// GEGLUBiasSplitGelu have no CPU kernel (sdxl.md §7.3), so Load refuses
// them unless the sessions use the CUDA provider.

// GroupNormImpl selects how GroupNorm(32) is emitted.
type GroupNormImpl int

// GroupNorm variants.
const (
	// GroupNormInstance is Reshape, InstanceNormalization, Reshape and the
	// affine Mul/Add (plus Mul·Sigmoid for SiLU): native kernels everywhere.
	GroupNormInstance GroupNormImpl = iota
	// GroupNormContrib is com.microsoft GroupNorm with SiLU fused, wrapped
	// in NCHW↔NHWC Transposes. CUDA-only. The transposes are the price of
	// an NHWC-only kernel; with ort.Options.PreferNHWC the provider's layout
	// pass turns the neighbouring Convs NHWC and the transpose pairs cancel.
	// Without it each norm reads and writes the activation three times
	// (transpose, fused norm, transpose) instead of about six (instance
	// norm, affine Mul, Add, Sigmoid, Mul), so it still wins on traffic.
	// Norms whose channels-per-group the kernel cannot take (odd, or over
	// 512) fall back to GroupNormInstance.
	GroupNormContrib
)

// GEGLUImpl selects how the transformer feed-forward gate is emitted.
type GEGLUImpl int

// GEGLU variants.
const (
	// GEGLUPlain is Linear, Split, exact GELU from Erf, Mul.
	GEGLUPlain GEGLUImpl = iota
	// GEGLUBiasSplitGelu is a bias-less Linear followed by com.microsoft
	// BiasSplitGelu (bias add, split, GELU and gate in one kernel).
	// CUDA-only; the kernel takes only inner widths 2560, 5120 and 10240
	// (SD's 320/640/1280-channel blocks), other widths fall back to GEGLUPlain.
	GEGLUBiasSplitGelu
)

// ErrCUDAOnly is returned by Load when the graph options select operators
// that only the CUDA provider implements but the sessions are not CUDA.
var ErrCUDAOnly = errors.New("sdxl: graph options need the CUDA execution provider")

// CUDAGraphOptions is the fastest graph form for the CUDA provider:
// float16 end to end, fused attention, fused GroupNorm+SiLU and GEGLU.
// Pair it with ort.Options{Provider: ort.CUDA, PreferNHWC: true}.
func CUDAGraphOptions() GraphOptions {
	return GraphOptions{DType: onnx.Float16, Attention: AttentionMHA,
		GroupNorm: GroupNormContrib, GEGLU: GEGLUBiasSplitGelu}
}

// CUDAOnly reports whether o selects operators without a CPU kernel.
func (o GraphOptions) CUDAOnly() bool {
	return o.GroupNorm == GroupNormContrib || o.GEGLU == GEGLUBiasSplitGelu
}

// variant is the session-cache suffix that tells graph forms apart.
func (o GraphOptions) variant() string {
	s := ""
	if o.Attention == AttentionMHA {
		s += "/mha"
	}
	if o.GroupNorm == GroupNormContrib {
		s += "/gn"
	}
	if o.GEGLU == GEGLUBiasSplitGelu {
		s += "/bsg"
	}
	return s
}

// normGroups is the group count of every GroupNorm in SD-family networks.
const normGroups = 32

// channels is the width of the norm (or any 1-D) weight at p.weight.
func (b *builder) channels(p string) int {
	t, ok := b.tensor(p + ".weight")
	if !ok || len(t.Shape) == 0 {
		return 0
	}
	return int(t.Shape[0])
}

// gnContrib reports whether the NHWC contrib GroupNorm can take c channels:
// the CUDA kernel needs an even channels-per-group count of at most 512.
func (b *builder) gnContrib(c int) bool {
	if b.opts.GroupNorm != GroupNormContrib || c <= 0 || c%normGroups != 0 {
		return false
	}
	cpg := c / normGroups
	return cpg%2 == 0 && cpg <= 512
}

// gnNHWC is the contrib GroupNorm on NHWC input; its kernel wants gamma and
// beta in float32 whatever the compute type (a Cast ORT folds at load).
func (b *builder) gnNHWC(x onnx.Value, p string, eps float32, silu bool) onnx.Value {
	if b.emulate {
		y := b.groupNorm(b.g.Transpose(x, 0, 3, 1, 2), p, eps)
		if silu {
			y = b.silu(y)
		}
		return b.g.Transpose(y, 0, 2, 3, 1)
	}
	gamma, beta := b.w(p+".weight"), b.w(p+".bias")
	if b.dt != onnx.Float {
		gamma, beta = b.g.Cast(gamma, onnx.Float), b.g.Cast(beta, onnx.Float)
	}
	return b.g.GroupNormNHWC(x, gamma, beta, normGroups, eps, silu)
}

// normSiLU is SiLU(GroupNorm(x)) on NCHW x with the affine weights at p.
func (b *builder) normSiLU(x onnx.Value, p string, eps float32) onnx.Value {
	if b.gnContrib(b.channels(p)) {
		y := b.gnNHWC(b.g.Transpose(x, 0, 2, 3, 1), p, eps, true)
		return b.g.Transpose(y, 0, 3, 1, 2)
	}
	return b.silu(b.groupNorm(x, p, eps))
}

// normTokens is GroupNorm(x) on NCHW x with c channels, flattened to
// channels-last tokens [B, H·W, C]. The contrib form needs no transpose
// back: its NHWC output already is the token layout.
func (b *builder) normTokens(x onnx.Value, p string, eps float32, c int) onnx.Value {
	if b.gnContrib(c) {
		y := b.gnNHWC(b.g.Transpose(x, 0, 2, 3, 1), p, eps, false)
		return b.g.Reshape(y, 0, -1, int64(c))
	}
	return b.toTokens(b.groupNorm(x, p, eps), c)
}

// biasSplitGeluWidths are the inner widths ORT's BiasSplitGelu kernel takes.
var biasSplitGeluWidths = map[int]bool{2560: true, 5120: true, 10240: true}

// geglu is the transformer feed-forward gate a·gelu(b) where a|b =
// Linear(n) at p (weight [8c, c]) split in halves.
func (b *builder) geglu(n onnx.Value, p string, c int) onnx.Value {
	g := b.g
	var h onnx.Value
	switch {
	case b.opts.GEGLU != GEGLUBiasSplitGelu || !(biasSplitGeluWidths[8*c] || b.emulate):
		h = b.linear(n, p)
	case b.emulate: // any width: the bias add BiasSplitGelu fuses, then the plain gate
		h = g.Add(g.Linear(n, b.w(p+".weight"), onnx.Value{}), b.w(p+".bias"))
	default:
		return g.BiasSplitGelu(g.Linear(n, b.w(p+".weight"), onnx.Value{}), b.w(p+".bias"))
	}
	parts := g.Split(h, -1, int64(4*c), int64(4*c))
	return g.Mul(parts[0], g.Gelu(parts[1]))
}
