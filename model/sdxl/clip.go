package sdxl

import (
	"fmt"
	"math"

	"sumi/runtime/onnx"
)

// Text encoder graph inputs and outputs.
const (
	clipEmbeds    = "embeds"     // [B,77,D] token embeddings, looked up in Go
	clipPoolIndex = "pool_index" // int64 [B]: row·77 + first EOS position
	clipHidden    = "hidden"     // [B,77,D]
	clipPooled    = "pooled"     // [B,proj]
)

// clipKind tells the two key layouts apart.
type clipKind int

const (
	clipHF       clipKind = iota // Hugging Face CLIPTextModel (CLIP-L)
	clipOpenCLIP                 // OpenCLIP text tower (bigG)
)

// clipGraph emits one text encoder. hiddenLayer is the index of the layer
// whose output is returned as "hidden"; finalNorm applies the final
// LayerNorm to it. With pooled, every layer runs and the projected final
// state at pool_index is returned as "pooled".
func (b *builder) clipGraph(c *CLIPConfig, kind clipKind, prefix string, hiddenLayer int, finalNorm, pooled bool) (*onnx.Graph, error) {
	g := b.g
	seq := c.MaxPositionEmbeddings
	x := g.Input(clipEmbeds, b.dt, "batch", seq, c.HiddenSize)
	pos := prefix + "embeddings.position_embedding.weight"
	if kind == clipOpenCLIP {
		pos = prefix + "positional_embedding"
	}
	x = g.Add(x, b.w(pos))
	mask := b.causalMask(seq)
	last := hiddenLayer
	if pooled {
		last = c.NumHiddenLayers - 1
	}
	var hidden onnx.Value
	for i := 0; i <= last; i++ {
		x = b.clipLayer(c, kind, prefix, i, x, mask)
		if i == hiddenLayer {
			hidden = x
		}
	}
	lnFinal := prefix + "final_layer_norm"
	if kind == clipOpenCLIP {
		lnFinal = prefix + "ln_final"
	}
	if finalNorm {
		hidden = b.layerNorm(hidden, lnFinal, epsLN)
	}
	g.Output(hidden, clipHidden, "batch", seq, c.HiddenSize)
	if pooled {
		idx := g.Input(clipPoolIndex, onnx.Int64, "batch")
		final := b.layerNorm(x, lnFinal, epsLN)
		row := g.Gather(g.Reshape(final, -1, int64(c.HiddenSize)), idx, 0)
		g.Output(g.MatMul(row, b.w(prefix+"text_projection")), clipPooled, "batch", c.ProjectionDim)
	}
	return b.finish()
}

// causalMask is [77,77] with -float32 max above the diagonal, as ComfyUI
// builds it (not -inf). In float16 the most negative finite half is used.
func (b *builder) causalMask(n int) onnx.Value {
	neg := float32(-math.MaxFloat32)
	if b.dt == onnx.Float16 {
		neg = -65504
	}
	m := make([]float32, n*n)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			m[i*n+j] = neg
		}
	}
	return b.g.Const(b.dt, []int64{int64(n), int64(n)}, m)
}

// clipLayer is one pre-norm transformer layer with causal self-attention.
func (b *builder) clipLayer(c *CLIPConfig, kind clipKind, prefix string, i int, x, mask onnx.Value) onnx.Value {
	g := b.g
	d, heads := c.HiddenSize, c.NumAttentionHeads
	var q, k, v, o onnx.Value
	if kind == clipHF {
		p := fmt.Sprintf("%sencoder.layers.%d.", prefix, i)
		h := b.layerNorm(x, p+"layer_norm1", epsLN)
		q, k, v = b.linear(h, p+"self_attn.q_proj"), b.linear(h, p+"self_attn.k_proj"), b.linear(h, p+"self_attn.v_proj")
		x = g.Add(x, b.linear(b.attention(q, k, v, heads, d/heads, mask), p+"self_attn.out_proj"))
		h = b.layerNorm(x, p+"layer_norm2", epsLN)
		m := b.linear(h, p+"mlp.fc1")
		m = g.Mul(m, g.Sigmoid(g.Mul(m, g.ScalarOf(b.dt, 1.702)))) // quick_gelu
		return g.Add(x, b.linear(m, p+"mlp.fc2"))
	}
	p := fmt.Sprintf("%stransformer.resblocks.%d.", prefix, i)
	h := b.layerNorm(x, p+"ln_1", epsLN)
	// q, k and v are stacked rows of one fused in-projection.
	qkv := g.Split(g.Linear(h, b.w(p+"attn.in_proj_weight"), b.w(p+"attn.in_proj_bias")), -1, int64(d), int64(d), int64(d))
	o = b.attention(qkv[0], qkv[1], qkv[2], heads, d/heads, mask)
	x = g.Add(x, b.linear(o, p+"attn.out_proj"))
	h = b.layerNorm(x, p+"ln_2", epsLN)
	m := g.Gelu(b.linear(h, p+"mlp.c_fc"))
	return g.Add(x, b.linear(m, p+"mlp.c_proj"))
}
