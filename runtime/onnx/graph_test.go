package onnx_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"sumi/runtime/onnx"
	"sumi/runtime/onnx/onnxtest"
	"sumi/safetensors"
)

// kitchenSink uses every helper once, in float32 or float16, over weights
// in a real safetensors file.
func kitchenSink(t *testing.T, compute onnx.DataType, opset int64, cudaOnly bool) (*onnx.Graph, string) {
	t.Helper()
	dir := t.TempDir()
	w := &safetensors.Writer{HeaderPad: 1}
	w.AddFloat16("conv.w", []int64{8, 4, 3, 3}, make([]float32, 288))
	w.AddFloat16("conv.b", []int64{8}, make([]float32, 8))
	w.AddFloat16("norm.w", []int64{8}, make([]float32, 8))
	w.AddFloat16("lin.w", []int64{8, 8}, make([]float32, 64))
	path := filepath.Join(dir, "w.safetensors")
	if err := w.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g := onnx.NewGraph("sink")
	g.Opset, g.Compute = opset, compute
	param := func(name string, shape []int64) onnx.Value {
		tt, _ := f.Tensor(name)
		return g.Param(tt, "w.safetensors", shape)
	}
	x := g.Input("x", compute, "batch", 4, "h", "w")
	ts := g.Input("t", onnx.Float, "batch")
	h := g.Conv(x, param("conv.w", nil), param("conv.b", nil), onnx.ConvOpts{Pads: []int64{1, 1, 1, 1}, Strides: []int64{1, 1}, Dilations: []int64{1, 1}})
	h = g.GroupNorm(h, param("norm.w", nil), param("norm.w", []int64{8, 1, 1}).As(compute), 4, 1e-5)
	h = g.Silu(g.ResizeNearest(h, 2))
	seq := g.Transpose(g.Reshape(h, 0, 8, -1), 0, 2, 1)
	seq = g.LayerNorm(g.Linear(seq, param("lin.w", nil), onnx.Value{}), g.Const(compute, []int64{8}, make([]float32, 8)), g.Const(compute, []int64{8}, make([]float32, 8)), 1e-5)
	a := g.Attention(seq, seq, seq, 2, 4)
	m := g.MultiHeadAttention(seq, seq, seq, 2)
	seq = g.Add(g.Gelu(a), g.GeluTanh(m))
	seq = g.SkipLayerNorm(seq, g.QuickGelu(seq, 1.702), g.Const(compute, []int64{8}, make([]float32, 8)), onnx.Value{}, onnx.Value{}, 1e-5)
	seq = g.BiasGelu(seq, g.Const(compute, []int64{8}, make([]float32, 8)))
	seq = g.FastGelu(seq, onnx.Value{})
	parts := g.Split(seq, 2, 4, 4)
	seq = g.Concat(2, g.Sub(parts[0], parts[1]), g.Div(parts[1], g.Sqrt(g.Pow(g.Exp(parts[0]), g.Scalar(2)))))
	seq = g.Slice(seq, []int64{0}, []int64{6}, []int64{2}, []int64{1})
	seq = g.Where(g.Equal(seq, g.Scalar(0)), g.Neg(seq), g.Tanh(seq))
	seq = g.Clip(seq, g.Scalar(-3), g.Scalar(3))
	g.Output(g.ReduceMean(seq, true, -1), "mean", "batch", "n", 1)
	g.Output(g.ArgMax(seq, -1, false), "argmax", "batch", "n")
	// A timestep embedding: cos/sin of t times frequencies, Gather, Expand.
	emb := g.Mul(g.Unsqueeze(ts, 1), g.Floats(1, 0.1, 0.01))
	emb = g.Cast(g.Concat(1, g.Cos(emb), g.Sin(emb)), compute)
	emb = g.Gather(emb, g.Ints(0, 2), 1)
	emb = g.Expand(g.Squeeze(g.Unsqueeze(emb, 0), 0), g.Shape(emb))
	g.Output(g.Add(emb, g.ConstantOfShape(g.Shape(emb), compute, 0.5)), "emb", "batch", 2)
	g.Output(g.Erf(g.Sigmoid(emb)), "emb2", "batch", 2)
	if cudaOnly {
		nhwc := g.Transpose(h, 0, 2, 3, 1)
		gn := g.GroupNormNHWC(nhwc, g.Floats(1, 1, 1, 1, 1, 1, 1, 1), g.Floats(0, 0, 0, 0, 0, 0, 0, 0), 4, 1e-5, true)
		gn = g.BiasSplitGelu(gn, g.Const(compute, []int64{8}, make([]float32, 8)))
		cw := g.Const(compute, []int64{4, 1, 1, 4}, make([]float32, 16))
		g.Output(g.NhwcConv(gn, cw, onnx.Value{}, onnx.ConvOpts{}), "nhwc", "batch", "h2", "w2", 4)
	}
	return g, dir
}

// TestCheckerAcceptsEveryHelper: ONNX's checker (full_check, i.e. strict
// shape inference) accepts a graph using every helper, in float32 and
// float16, and with the CUDA-only contrib operators.
func TestCheckerAcceptsEveryHelper(t *testing.T) {
	for _, tc := range []struct {
		name     string
		compute  onnx.DataType
		cudaOnly bool
	}{{"float32", onnx.Float, false}, {"float16", onnx.Float16, false}, {"float16+cuda-only", onnx.Float16, true}} {
		t.Run(tc.name, func(t *testing.T) {
			g, dir := kitchenSink(t, tc.compute, onnx.DefaultOpset, tc.cudaOnly)
			model, err := g.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			onnxtest.Check(t, dir, model)
		})
	}
}

func TestBuilderErrors(t *testing.T) {
	other := onnx.NewGraph("other").Input("y", onnx.Float, 1)
	cases := []struct {
		name, want string
		build      func(g *onnx.Graph)
	}{
		{"absolute location", "relative", func(g *onnx.Graph) { g.External("w", onnx.Float, []int64{1}, "/abs/w.safetensors", 8, 4) }},
		{"dotdot location", "must not leave", func(g *onnx.Graph) { g.External("w", onnx.Float, []int64{1}, "../w.safetensors", 8, 4) }},
		{"length mismatch", "needs 8 bytes", func(g *onnx.Graph) { g.External("w", onnx.Float, []int64{2}, "w.safetensors", 8, 4) }},
		{"duplicate name", "already used", func(g *onnx.Graph) { g.Input("x", onnx.Float, 1) }},
		{"foreign value", "another graph", func(g *onnx.Graph) { g.Add(g.Input("a", onnx.Float, 1), other) }},
		{"missing input", "missing", func(g *onnx.Graph) { g.Sigmoid(onnx.Value{}) }},
		{"bad dim", "int or a string", func(g *onnx.Graph) { g.Input("z", onnx.Float, 1.5) }},
		{"unknown domain", "domain", func(g *onnx.Graph) { g.Op("Foo", "org.example", nil, nil, 1) }},
		{"output without dims", "dims", func(g *onnx.Graph) { g.Output(g.Sigmoid(g.Input("q", onnx.Float, "n")), "o") }},
		{"const size", "needs 2 values", func(g *onnx.Graph) { g.Const(onnx.Float, []int64{2}, []float32{1}) }},
		{"no outputs", "no outputs", func(g *onnx.Graph) {}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := onnx.NewGraph("bad")
			x := g.Input("x", onnx.Float, 1)
			tc.build(g)
			if tc.name != "no outputs" {
				g.Output(x, "out")
			}
			_, err := g.Marshal()
			if !errors.Is(err, onnx.ErrBuild) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Marshal = %v, want ErrBuild mentioning %q", err, tc.want)
			}
		})
	}
}

// TestWeightView: Weight with a shape reinterprets the same bytes (no node)
// and Param adds a Cast only when the stored type differs from Compute.
func TestWeightView(t *testing.T) {
	tt := safetensors.Tensor{Name: "gn.weight", DType: safetensors.F16, Shape: []int64{8}, Offset: 1001, Length: 16}
	for _, tc := range []struct {
		compute onnx.DataType
		nodes   int
	}{{onnx.Float16, 0}, {onnx.Float, 1}} {
		g := onnx.NewGraph("w")
		g.Compute = tc.compute
		v := g.Param(tt, "ckpt.safetensors", []int64{8, 1, 1})
		if s, ok := v.Shape(); !ok || len(s) != 3 || v.DType() != tc.compute || g.NumNodes() != tc.nodes {
			t.Errorf("compute %v: shape %v %v dtype %v nodes %d", tc.compute, s, ok, v.DType(), g.NumNodes())
		}
	}
	g := onnx.NewGraph("w")
	g.Weight(tt, "ckpt.safetensors", []int64{3, 3})
	if g.Err() == nil {
		t.Error("a view of another size was accepted")
	}
}
