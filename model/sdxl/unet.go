package sdxl

import (
	"fmt"
	"math"

	"sumi/runtime/onnx"
)

// UNet graph inputs and output.
const (
	unetX         = "x"
	unetTimesteps = "timesteps"
	unetContext   = "context"
	unetY         = "y"
	unetOut       = "eps"
)

// Norm epsilons (sdxl.md §4).
const (
	epsResNorm = 1e-5 // ResBlock and final GroupNorms
	epsSTNorm  = 1e-6 // SpatialTransformer input GroupNorm
	epsLN      = 1e-5 // transformer LayerNorms
	epsVAE     = 1e-6 // every VAE GroupNorm
)

// unetGraph emits UNet(x, timesteps, context, y) -> eps. Batch, spatial size
// and context length are symbolic, so one session serves every resolution.
func (b *builder) unetGraph(u *UNetConfig) (*onnx.Graph, error) {
	g, p := b.g, prefixUNet
	x := g.Input(unetX, b.dt, "batch", u.InChannels, "height", "width")
	t := g.Input(unetTimesteps, onnx.Float, "batch")
	ctx := g.Input(unetContext, b.dt, "batch", "tokens", u.ContextDim)
	emb := b.timeEmbed(t, u.ModelChannels)
	emb = b.linear(b.silu(b.linear(emb, p+"time_embed.0")), p+"time_embed.2")
	if u.ADMInChannels > 0 {
		y := g.Input(unetY, b.dt, "batch", u.ADMInChannels)
		emb = g.Add(emb, b.linear(b.silu(b.linear(y, p+"label_emb.0.0")), p+"label_emb.0.2"))
	}
	embAct := b.silu(emb) // every ResBlock's emb_layers starts with SiLU
	h := b.conv(x, p+"input_blocks.0.0", 3)
	hs := []onnx.Value{h}
	for _, blk := range u.blocks() {
		if blk.output {
			h = g.Concat(1, h, hs[len(hs)-1])
			hs = hs[:len(hs)-1]
		}
		h = b.unetBlock(u, blk, h, embAct, ctx, hs)
		if !blk.output && !blk.middle {
			hs = append(hs, h)
		}
	}
	h = b.conv(b.normSiLU(h, p+"out.0", epsResNorm), p+"out.2", 3)
	g.Output(h, unetOut, "batch", u.OutChannels, "height", "width")
	return b.finish()
}

// timeEmbed is the sinusoidal timestep embedding computed in float32 as
// torch does (cos half first), cast to the compute type.
func (b *builder) timeEmbed(t onnx.Value, dim int) onnx.Value {
	g := b.g
	freqs := timestepFreqs(dim)
	arg := g.Mul(g.Unsqueeze(t, 1), g.Const(onnx.Float, []int64{1, int64(len(freqs))}, freqs))
	e := g.Concat(1, g.Cos(arg), g.Sin(arg))
	if b.dt != onnx.Float {
		e = g.Cast(e, b.dt)
	}
	return e
}

// timestepFreqs are exp(-ln(10000)·i/half) for i < half, in float32 like
// torch's arange/exp.
func timestepFreqs(dim int) []float32 {
	half := dim / 2
	out := make([]float32, half)
	c := float32(-math.Log(10000))
	for i := range out {
		out[i] = float32(math.Exp(float64(c * float32(i) / float32(half))))
	}
	return out
}

func (b *builder) unetBlock(u *UNetConfig, blk block, h, emb, ctx onnx.Value, hs []onnx.Value) onnx.Value {
	p := prefixUNet + blk.name
	if blk.down {
		return b.g.Conv(h, b.w(p+".0.op.weight"), b.w(p+".0.op.bias"),
			onnx.ConvOpts{Strides: []int64{2, 2}, Pads: []int64{1, 1, 1, 1}})
	}
	h = b.resBlock(h, emb, p+".0", blk.in, blk.out)
	if blk.depth > 0 {
		h = b.spatialTransformer(u, h, ctx, p+".1", blk.out, blk.depth)
	}
	if blk.middle {
		return b.resBlock(h, emb, p+".2", blk.out, blk.out)
	}
	if blk.up {
		// Upsample to the next skip's size, not blindly ×2 (sdxl.md §4 step 5).
		h = b.resizeLike(h, hs[len(hs)-1])
		h = b.conv(h, fmt.Sprintf("%s.%d.conv", p, blk.upIndex()), 3)
	}
	return h
}

// resBlock is the UNet ResBlock of sdxl.md §4.1.
func (b *builder) resBlock(x, emb onnx.Value, p string, in, out int) onnx.Value {
	g := b.g
	a := b.conv(b.normSiLU(x, p+".in_layers.0", epsResNorm), p+".in_layers.2", 3)
	a = g.Add(a, g.Unsqueeze(b.linear(emb, p+".emb_layers.1"), 2, 3))
	a = b.conv(b.normSiLU(a, p+".out_layers.0", epsResNorm), p+".out_layers.3", 3)
	if in != out {
		x = b.conv(x, p+".skip_connection", 1)
	}
	return g.Add(x, a)
}

// spatialTransformer is sdxl.md §4.3 (linear projections, or SD 1.5's 1×1 convs).
func (b *builder) spatialTransformer(u *UNetConfig, x, ctx onnx.Value, p string, c, depth int) onnx.Value {
	var t onnx.Value
	if u.UseLinearInTransformer {
		t = b.linear(b.normTokens(x, p+".norm", epsSTNorm, c), p+".proj_in")
	} else {
		t = b.toTokens(b.conv(b.groupNorm(x, p+".norm", epsSTNorm), p+".proj_in", 1), c)
	}
	heads := u.Heads(c)
	for i := 0; i < depth; i++ {
		t = b.transformerBlock(t, ctx, fmt.Sprintf("%s.transformer_blocks.%d.", p, i), c, heads)
	}
	var y onnx.Value
	if u.UseLinearInTransformer {
		y = b.fromTokens(b.linear(t, p+".proj_out"), x)
	} else {
		y = b.conv(b.fromTokens(t, x), p+".proj_out", 1)
	}
	return b.g.Add(y, x)
}

// transformerBlock is sdxl.md §4.4: self-attention, cross-attention, GEGLU.
func (b *builder) transformerBlock(t, ctx onnx.Value, p string, c, heads int) onnx.Value {
	g := b.g
	n := b.layerNorm(t, p+"norm1", epsLN)
	t = g.Add(t, b.crossAttention(n, n, p+"attn1", c, heads))
	n = b.layerNorm(t, p+"norm2", epsLN)
	t = g.Add(t, b.crossAttention(n, ctx, p+"attn2", c, heads))
	n = b.layerNorm(t, p+"norm3", epsLN)
	f := b.geglu(n, p+"ff.net.0.proj", c)
	return g.Add(t, b.linear(f, p+"ff.net.2"))
}

func (b *builder) crossAttention(x, kv onnx.Value, p string, c, heads int) onnx.Value {
	q := b.linearNoBias(x, p+".to_q")
	k := b.linearNoBias(kv, p+".to_k")
	v := b.linearNoBias(kv, p+".to_v")
	o := b.attention(q, k, v, heads, c/heads, onnx.Value{})
	return b.linear(o, p+".to_out.0")
}
