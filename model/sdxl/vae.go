package sdxl

import (
	"fmt"

	"sumi/runtime/onnx"
)

// VAE graph inputs and outputs.
const (
	vaeLatent = "latent" // [B,z,h,w]
	vaeImage  = "image"  // [B,H,W,3] in [0,1]
	vaeRaw    = "raw"    // decoder output [B,3,H,W] before mapping (tests only)
)

// vaeDecodeGraph emits latent [B,z,h,w] -> image [B,H,W,3] = clamp((x+1)/2, 0, 1)
// over the VAE tensors under prefix ("first_stage_model." in a checkpoint,
// "" in most standalone VAE files).
func (b *builder) vaeDecodeGraph(v *VAEConfig, prefix string, withRaw bool) (*onnx.Graph, error) {
	g, p := b.g, prefix+"decoder."
	z := g.Input(vaeLatent, b.dt, "batch", v.ZChannels, "height", "width")
	top := v.Ch * v.ChMult[len(v.ChMult)-1]
	h := b.linearConv1x1(z, prefix+"post_quant_conv")
	h = b.conv(h, p+"conv_in", 3)
	h = b.vaeMid(h, p+"mid.", top)
	ch := top
	for n := len(v.ChMult) - 1; n >= 0; n-- {
		out := v.Ch * v.ChMult[n]
		for r := 0; r <= v.NumResBlocks; r++ {
			h = b.vaeRes(h, fmt.Sprintf("%sup.%d.block.%d", p, n, r), ch, out)
			ch = out
		}
		if n > 0 {
			h = b.conv(g.ResizeNearest(h, 2), fmt.Sprintf("%sup.%d.upsample.conv", p, n), 3)
		}
	}
	h = b.conv(b.normSiLU(h, p+"norm_out", epsVAE), p+"conv_out", 3)
	if withRaw {
		g.Output(h, vaeRaw, "batch", v.OutCh, "out_height", "out_width")
	}
	half := g.ScalarOf(b.dt, 0.5)
	img := g.Clip(g.Mul(g.Add(h, g.ScalarOf(b.dt, 1)), half), g.ScalarOf(b.dt, 0), g.ScalarOf(b.dt, 1))
	g.Output(g.Transpose(img, 0, 2, 3, 1), vaeImage, "batch", "out_height", "out_width", v.OutCh)
	return b.finish()
}

// vaeEncodeGraph emits image [B,H,W,3] in [0,1] -> latent mean [B,z,H/f,W/f]
// over the VAE tensors under prefix.
func (b *builder) vaeEncodeGraph(v *VAEConfig, prefix string) (*onnx.Graph, error) {
	g, p := b.g, prefix+"encoder."
	img := g.Input(vaeImage, b.dt, "batch", "height", "width", v.InChannels)
	x := g.Transpose(img, 0, 3, 1, 2)
	x = g.Sub(g.Mul(x, g.ScalarOf(b.dt, 2)), g.ScalarOf(b.dt, 1))
	h := b.conv(x, p+"conv_in", 3)
	ch := v.Ch
	for n, m := range v.ChMult {
		for r := 0; r < v.NumResBlocks; r++ {
			h = b.vaeRes(h, fmt.Sprintf("%sdown.%d.block.%d", p, n, r), ch, v.Ch*m)
			ch = v.Ch * m
		}
		if n < len(v.ChMult)-1 {
			// Pad right and bottom by one, then stride 2 without padding.
			h = b.convOpts(h, fmt.Sprintf("%sdown.%d.downsample.conv", p, n),
				onnx.ConvOpts{Strides: []int64{2, 2}, Pads: []int64{0, 0, 1, 1}})
		}
	}
	h = b.vaeMid(h, p+"mid.", ch)
	h = b.conv(b.normSiLU(h, p+"norm_out", epsVAE), p+"conv_out", 3)
	h = b.linearConv1x1(h, prefix+"quant_conv")
	mean := g.Slice(h, []int64{0}, []int64{int64(v.EmbedDim)}, []int64{1}, nil)
	g.Output(mean, vaeLatent, "batch", v.EmbedDim, "out_height", "out_width")
	return b.finish()
}

// linearConv1x1 is a 1×1 convolution with bias.
func (b *builder) linearConv1x1(x onnx.Value, p string) onnx.Value { return b.conv(x, p, 1) }

func (b *builder) vaeMid(h onnx.Value, p string, c int) onnx.Value {
	h = b.vaeRes(h, p+"block_1", c, c)
	h = b.vaeAttn(h, p+"attn_1", c)
	return b.vaeRes(h, p+"block_2", c, c)
}

// vaeRes is the VAE ResnetBlock (GN eps 1e-6, optional 1×1 nin_shortcut).
func (b *builder) vaeRes(x onnx.Value, p string, in, out int) onnx.Value {
	h := b.conv(b.normSiLU(x, p+".norm1", epsVAE), p+".conv1", 3)
	h = b.conv(b.normSiLU(h, p+".norm2", epsVAE), p+".conv2", 3)
	if in != out {
		x = b.conv(x, p+".nin_shortcut", 1)
	}
	return b.g.Add(x, h)
}

// vaeAttn is the single-head mid-block attention; its 1×1 convs are applied
// as Linears on channels-last tokens, which also accepts [C,C] weights.
func (b *builder) vaeAttn(x onnx.Value, p string, c int) onnx.Value {
	t := b.normTokens(x, p+".norm", epsVAE, c)
	q := b.linear1x1(t, p+".q", c, c)
	k := b.linear1x1(t, p+".k", c, c)
	v := b.linear1x1(t, p+".v", c, c)
	o := b.linear1x1(b.attention(q, k, v, 1, c, onnx.Value{}), p+".proj_out", c, c)
	return b.g.Add(x, b.fromTokens(o, x))
}
