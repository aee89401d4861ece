package sdxl

import (
	"fmt"
	"slices"
	"strings"
)

// tensorSpec is one tensor a network reads, with its expected shape.
type tensorSpec struct {
	key   string
	shape []int
}

// layout accumulates the tensors of one network.
type layout []tensorSpec

func (l *layout) add(key string, shape ...int) { *l = append(*l, tensorSpec{key, shape}) }

// linear adds a Linear layer's weight [out,in] and bias [out].
func (l *layout) linear(p string, in, out int) {
	l.add(p+".weight", out, in)
	l.add(p+".bias", out)
}

// norm adds a norm's weight and bias of width c.
func (l *layout) norm(p string, c int) {
	l.add(p+".weight", c)
	l.add(p+".bias", c)
}

// conv adds a convolution's weight [out,in,k,k] and bias [out].
func (l *layout) conv(p string, in, out, k int) {
	l.add(p+".weight", out, in, k, k)
	l.add(p+".bias", out)
}

// Validate checks that every tensor the detected networks read is present
// with the expected shape and a floating-point dtype.
func (c *Config) Validate(h Header) error {
	return c.tensors().validate(h)
}

// validate checks the tensors of l against the header h.
func (l layout) validate(h Header) error {
	for _, s := range l {
		t, ok := h[s.key]
		if !ok {
			return missing(s.key)
		}
		if !shapeMatches(s, t.Shape) {
			return badShape(s.key, t.Shape, s.shape)
		}
		switch t.DType {
		case "F16", "F32", "BF16", "F64":
		default:
			return &LayoutError{Key: s.key, Problem: "dtype " + t.DType + ", want a float type"}
		}
	}
	return nil
}

// shapeMatches accepts the expected shape, or [C,C] for a VAE attention
// 1×1 conv stored as a linear weight by some converters.
func shapeMatches(s tensorSpec, got []int) bool {
	if slices.Equal(s.shape, got) {
		return true
	}
	return len(s.shape) == 4 && s.shape[2] == 1 && s.shape[3] == 1 && isVAEAttn(s.key) &&
		slices.Equal(s.shape[:2], got)
}

// isVAEAttn matches the VAE's mid-block attention under any prefix (no
// UNet or CLIP key has "coder.mid.attn_1.").
func isVAEAttn(key string) bool {
	return strings.Contains(key, "coder.mid.attn_1.")
}

// tensors lists every tensor the detected networks read.
func (c *Config) tensors() layout {
	var l layout
	if c.UNet != nil {
		c.UNet.layout(&l, prefixUNet)
	}
	if c.CLIPL != nil {
		p := prefixCLIPL
		if c.Architecture == ArchSD15 {
			p = prefixSD15CLIP
		}
		c.CLIPL.layoutHF(&l, p)
	}
	if c.CLIPG != nil {
		c.CLIPG.layoutOpenCLIP(&l, prefixCLIPG)
	}
	if c.VAE != nil {
		c.VAE.layout(&l, prefixVAE)
	}
	return l
}

func (u *UNetConfig) layout(l *layout, p string) {
	t, mc := u.TimeEmbedDim, u.ModelChannels
	l.linear(p+"time_embed.0", mc, t)
	l.linear(p+"time_embed.2", t, t)
	if u.ADMInChannels > 0 {
		l.linear(p+"label_emb.0.0", u.ADMInChannels, t)
		l.linear(p+"label_emb.0.2", t, t)
	}
	l.conv(p+"input_blocks.0.0", u.InChannels, mc, 3)
	for _, b := range u.blocks() {
		u.layoutBlock(l, p, b)
	}
	l.norm(p+"out.0", b0ch(u))
	l.conv(p+"out.2", b0ch(u), u.OutChannels, 3)
}

// b0ch is the channel count after the last output block.
func b0ch(u *UNetConfig) int { return u.ChannelMult[0] * u.ModelChannels }

func (u *UNetConfig) layoutBlock(l *layout, p string, b block) {
	name := p + b.name
	switch {
	case b.down:
		l.conv(name+".0.op", b.in, b.out, 3)
		return
	case b.middle:
		u.layoutRes(l, name+".0", b.in, b.out)
		if b.depth > 0 {
			u.layoutST(l, name+".1", b.out, b.depth)
		}
		u.layoutRes(l, name+".2", b.out, b.out)
		return
	}
	u.layoutRes(l, name+".0", b.in, b.out)
	if b.depth > 0 {
		u.layoutST(l, name+".1", b.out, b.depth)
	}
	if b.up {
		l.conv(fmt.Sprintf("%s.%d.conv", name, b.upIndex()), b.out, b.out, 3)
	}
}

func (u *UNetConfig) layoutRes(l *layout, p string, in, out int) {
	l.norm(p+".in_layers.0", in)
	l.conv(p+".in_layers.2", in, out, 3)
	l.linear(p+".emb_layers.1", u.TimeEmbedDim, out)
	l.norm(p+".out_layers.0", out)
	l.conv(p+".out_layers.3", out, out, 3)
	if in != out {
		l.conv(p+".skip_connection", in, out, 1)
	}
}

func (u *UNetConfig) layoutST(l *layout, p string, c, depth int) {
	l.norm(p+".norm", c)
	proj := func(name string) {
		if u.UseLinearInTransformer {
			l.linear(name, c, c)
		} else {
			l.conv(name, c, c, 1)
		}
	}
	proj(p + ".proj_in")
	for i := 0; i < depth; i++ {
		b := fmt.Sprintf("%s.transformer_blocks.%d.", p, i)
		for _, n := range []string{"norm1", "norm2", "norm3"} {
			l.norm(b+n, c)
		}
		for a, kv := range map[string]int{"attn1": c, "attn2": u.ContextDim} {
			l.add(b+a+".to_q.weight", c, c)
			l.add(b+a+".to_k.weight", c, kv)
			l.add(b+a+".to_v.weight", c, kv)
			l.linear(b+a+".to_out.0", c, c)
		}
		l.linear(b+"ff.net.0.proj", c, 8*c)
		l.linear(b+"ff.net.2", 4*c, c)
	}
	proj(p + ".proj_out")
}

func (c *CLIPConfig) layoutHF(l *layout, p string) {
	d, i := c.HiddenSize, c.IntermediateSize
	l.add(p+"embeddings.token_embedding.weight", c.VocabSize, d)
	l.add(p+"embeddings.position_embedding.weight", c.MaxPositionEmbeddings, d)
	for n := 0; n < c.NumHiddenLayers; n++ {
		b := fmt.Sprintf("%sencoder.layers.%d.", p, n)
		for _, proj := range []string{"q_proj", "k_proj", "v_proj", "out_proj"} {
			l.linear(b+"self_attn."+proj, d, d)
		}
		l.norm(b+"layer_norm1", d)
		l.norm(b+"layer_norm2", d)
		l.linear(b+"mlp.fc1", d, i)
		l.linear(b+"mlp.fc2", i, d)
	}
	l.norm(p+"final_layer_norm", d)
}

func (c *CLIPConfig) layoutOpenCLIP(l *layout, p string) {
	d, i := c.HiddenSize, c.IntermediateSize
	l.add(p+"token_embedding.weight", c.VocabSize, d)
	l.add(p+"positional_embedding", c.MaxPositionEmbeddings, d)
	for n := 0; n < c.NumHiddenLayers; n++ {
		b := fmt.Sprintf("%stransformer.resblocks.%d.", p, n)
		l.norm(b+"ln_1", d)
		l.add(b+"attn.in_proj_weight", 3*d, d)
		l.add(b+"attn.in_proj_bias", 3*d)
		l.linear(b+"attn.out_proj", d, d)
		l.norm(b+"ln_2", d)
		l.linear(b+"mlp.c_fc", d, i)
		l.linear(b+"mlp.c_proj", i, d)
	}
	l.norm(p+"ln_final", d)
	l.add(p+"text_projection", d, c.ProjectionDim)
}

func (v *VAEConfig) layout(l *layout, p string) {
	top := v.Ch * v.ChMult[len(v.ChMult)-1]
	d := p + "decoder."
	l.conv(d+"conv_in", v.ZChannels, top, 3)
	v.layoutMid(l, d+"mid.", top)
	ch := top
	for n := len(v.ChMult) - 1; n >= 0; n-- {
		out := v.Ch * v.ChMult[n]
		for b := 0; b <= v.NumResBlocks; b++ {
			v.layoutRes(l, fmt.Sprintf("%sup.%d.block.%d", d, n, b), ch, out)
			ch = out
		}
		if n > 0 {
			l.conv(fmt.Sprintf("%sup.%d.upsample.conv", d, n), ch, ch, 3)
		}
	}
	l.norm(d+"norm_out", ch)
	l.conv(d+"conv_out", ch, v.OutCh, 3)
	l.conv(p+"post_quant_conv", v.EmbedDim, v.ZChannels, 1)
	if v.HasEncoder {
		v.layoutEncoder(l, p)
	}
}

func (v *VAEConfig) layoutEncoder(l *layout, p string) {
	e := p + "encoder."
	l.conv(e+"conv_in", v.InChannels, v.Ch, 3)
	ch := v.Ch
	for n, m := range v.ChMult {
		for b := 0; b < v.NumResBlocks; b++ {
			v.layoutRes(l, fmt.Sprintf("%sdown.%d.block.%d", e, n, b), ch, v.Ch*m)
			ch = v.Ch * m
		}
		if n < len(v.ChMult)-1 {
			l.conv(fmt.Sprintf("%sdown.%d.downsample.conv", e, n), ch, ch, 3)
		}
	}
	v.layoutMid(l, e+"mid.", ch)
	l.norm(e+"norm_out", ch)
	z := v.ZChannels
	if v.DoubleZ {
		z *= 2
	}
	l.conv(e+"conv_out", ch, z, 3)
	l.conv(p+"quant_conv", 2*v.ZChannels, 2*v.EmbedDim, 1)
}

func (v *VAEConfig) layoutMid(l *layout, p string, c int) {
	v.layoutRes(l, p+"block_1", c, c)
	l.norm(p+"attn_1.norm", c)
	for _, n := range []string{"q", "k", "v", "proj_out"} {
		l.conv(p+"attn_1."+n, c, c, 1)
	}
	v.layoutRes(l, p+"block_2", c, c)
}

func (v *VAEConfig) layoutRes(l *layout, p string, in, out int) {
	l.norm(p+".norm1", in)
	l.conv(p+".conv1", in, out, 3)
	l.norm(p+".norm2", out)
	l.conv(p+".conv2", out, out, 3)
	if in != out {
		l.conv(p+".nin_shortcut", in, out, 1)
	}
}
