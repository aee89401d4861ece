package ort_test

import (
	"testing"

	"sumi/runtime/onnx"
	"sumi/runtime/ort"
	"sumi/safetensors"
)

// TestAttention checks cross-attention as the UNet's transformer blocks use
// it (q from x, k and v from a context of another length and width, heads =
// consecutive 8-channel slices), both fused (MultiHeadAttention) and from
// standard ops, against the float64 reference.
func TestAttention(t *testing.T) {
	const b, lq, lk, c, cc, heads, hd = 2, 7, 5, 24, 16, 3, 8
	variants := []struct {
		name string
		attn func(g *onnx.Graph, q, k, v onnx.Value) onnx.Value
	}{
		{"multiheadattention", func(g *onnx.Graph, q, k, v onnx.Value) onnx.Value { return g.MultiHeadAttention(q, k, v, heads) }},
		{"matmul_softmax", func(g *onnx.Graph, q, k, v onnx.Value) onnx.Value { return g.Attention(q, k, v, heads, hd) }},
	}
	for _, dt := range []safetensors.DType{safetensors.F32, safetensors.F16} {
		for i, vt := range variants {
			t.Run(vt.name+"/"+string(dt), func(t *testing.T) {
				w := writeWeights(t, dt, uint64(40+i), ts("to_q", c, c), ts("to_k", c, cc), ts("to_v", c, cc), ts("out_w", c, c), ts("out_b", c))
				g := onnx.NewGraph("attn")
				x := g.Input("x", onnx.Float, "batch", lq, c)
				ctx := g.Input("context", onnx.Float, "batch", "tokens", cc)
				p := func(n string) onnx.Value { return w.param(t, g, n) }
				q := g.Linear(x, p("to_q"), onnx.Value{})
				k := g.Linear(ctx, p("to_k"), onnx.Value{})
				v := g.Linear(ctx, p("to_v"), onnx.Value{})
				g.Output(g.Linear(vt.attn(g, q, k, v), p("out_w"), p("out_b")), "y", "batch", lq, c)

				xin, cin := randomInput(1, b, lq, c), randomInput(2, b, lk, cc)
				got := runModel(t, g, w.dir, []*ort.Tensor{ort.FromFloat32([]int64{b, lq, c}, xin), ort.FromFloat32([]int64{b, lk, cc}, cin)}, []int64{b, lq, c})

				x64, c64 := to64(xin), to64(cin)
				rq := linearRef(x64, b*lq, c, w.values(t, "to_q"), c, nil)
				rk := linearRef(c64, b*lk, cc, w.values(t, "to_k"), c, nil)
				rv := linearRef(c64, b*lk, cc, w.values(t, "to_v"), c, nil)
				att := attentionRef(rq, rk, rv, b, lq, lk, heads, hd)
				want := linearRef(att, b*lq, c, w.values(t, "out_w"), c, w.values(t, "out_b"))
				assertClose(t, got[0], want, 1e-5)
			})
		}
	}
}
