package ort_test

import (
	"fmt"
	"testing"

	"sumi/runtime/onnx"
	"sumi/runtime/ort"
	"sumi/safetensors"
)

// opCase is one small graph over weights in a safetensors file, checked
// against a float64 reference.
type opCase struct {
	name    string
	weights []tensorSpec
	in, out []int64
	build   func(g *onnx.Graph, x onnx.Value, p func(string) onnx.Value) onnx.Value
	ref     func(x []float64, w func(string) []float64) []float64
}

func ts(name string, shape ...int64) tensorSpec { return tensorSpec{name, shape} }

var opCases = []opCase{
	{
		name: "matmul", weights: []tensorSpec{ts("w", 24, 16)}, in: []int64{5, 24}, out: []int64{5, 16},
		build: func(g *onnx.Graph, x onnx.Value, p func(string) onnx.Value) onnx.Value { return g.MatMul(x, p("w")) },
		ref:   func(x []float64, w func(string) []float64) []float64 { return matmulRef(x, 5, 24, w("w"), 16) },
	},
	{
		name: "linear_fusedmatmul_transB", weights: []tensorSpec{ts("w", 16, 24), ts("b", 16)}, in: []int64{2, 3, 24}, out: []int64{2, 3, 16},
		build: func(g *onnx.Graph, x onnx.Value, p func(string) onnx.Value) onnx.Value {
			return g.Linear(x, p("w"), p("b"))
		},
		ref: func(x []float64, w func(string) []float64) []float64 { return linearRef(x, 6, 24, w("w"), 16, w("b")) },
	},
	{
		name: "gemm_transB", weights: []tensorSpec{ts("w", 16, 24), ts("b", 16)}, in: []int64{6, 24}, out: []int64{6, 16},
		build: func(g *onnx.Graph, x onnx.Value, p func(string) onnx.Value) onnx.Value {
			return g.Gemm(x, p("w"), p("b"), true)
		},
		ref: func(x []float64, w func(string) []float64) []float64 { return linearRef(x, 6, 24, w("w"), 16, w("b")) },
	},
	{
		name: "conv3x3_pad1", weights: []tensorSpec{ts("w", 6, 4, 3, 3), ts("b", 6)}, in: []int64{2, 4, 7, 9}, out: []int64{2, 6, 7, 9},
		build: func(g *onnx.Graph, x onnx.Value, p func(string) onnx.Value) onnx.Value {
			return g.Conv(x, p("w"), p("b"), onnx.ConvOpts{Pads: []int64{1, 1, 1, 1}})
		},
		ref: func(x []float64, w func(string) []float64) []float64 {
			return convRef(x, convShape{2, 4, 7, 9, 6, 3, 1, 1}, w("w"), w("b"))
		},
	},
	{
		name: "conv3x3_stride2", weights: []tensorSpec{ts("w", 5, 4, 3, 3), ts("b", 5)}, in: []int64{1, 4, 8, 8}, out: []int64{1, 5, 4, 4},
		build: func(g *onnx.Graph, x onnx.Value, p func(string) onnx.Value) onnx.Value {
			return g.Conv(x, p("w"), p("b"), onnx.ConvOpts{Strides: []int64{2, 2}, Pads: []int64{1, 1, 1, 1}})
		},
		ref: func(x []float64, w func(string) []float64) []float64 {
			return convRef(x, convShape{1, 4, 8, 8, 5, 3, 2, 1}, w("w"), w("b"))
		},
	},
	{
		name: "groupnorm_instancenorm", weights: []tensorSpec{ts("gamma", 64), ts("beta", 64)}, in: []int64{2, 64, 3, 5}, out: []int64{2, 64, 3, 5},
		build: func(g *onnx.Graph, x onnx.Value, p func(string) onnx.Value) onnx.Value {
			return g.GroupNorm(x, p("gamma"), p("beta"), 32, 1e-6)
		},
		ref: func(x []float64, w func(string) []float64) []float64 {
			return groupNormRef(x, 2, 64, 15, 32, w("gamma"), w("beta"), 1e-6)
		},
	},
	{
		name: "layernorm", weights: []tensorSpec{ts("gamma", 40), ts("beta", 40)}, in: []int64{2, 3, 40}, out: []int64{2, 3, 40},
		build: func(g *onnx.Graph, x onnx.Value, p func(string) onnx.Value) onnx.Value {
			return g.LayerNorm(x, p("gamma"), p("beta"), 1e-5)
		},
		ref: func(x []float64, w func(string) []float64) []float64 {
			return layerNormRef(x, 40, w("gamma"), w("beta"), 1e-5)
		},
	},
	{
		name: "softmax", weights: []tensorSpec{ts("s", 1, 17)}, in: []int64{3, 17}, out: []int64{3, 17},
		build: func(g *onnx.Graph, x onnx.Value, p func(string) onnx.Value) onnx.Value {
			return g.Softmax(g.Mul(x, p("s")), -1)
		},
		ref: func(x []float64, w func(string) []float64) []float64 {
			s := w("s")
			return softmaxRef(mapIndex(x, func(i int, v float64) float64 { return v * s[i%17] }), 17)
		},
	},
	{
		name: "gelu_exact", weights: []tensorSpec{ts("b", 12)}, in: []int64{4, 12}, out: []int64{4, 12},
		build: func(g *onnx.Graph, x onnx.Value, p func(string) onnx.Value) onnx.Value {
			return g.Gelu(g.Add(x, p("b")))
		},
		ref: func(x []float64, w func(string) []float64) []float64 { return mapRef(addBias(x, w("b")), geluRef) },
	},
	{
		name: "gelu_tanh", weights: []tensorSpec{ts("b", 12)}, in: []int64{4, 12}, out: []int64{4, 12},
		build: func(g *onnx.Graph, x onnx.Value, p func(string) onnx.Value) onnx.Value {
			return g.GeluTanh(g.Add(x, p("b")))
		},
		ref: func(x []float64, w func(string) []float64) []float64 { return mapRef(addBias(x, w("b")), geluTanhRef) },
	},
	{
		name: "biasgelu_contrib", weights: []tensorSpec{ts("b", 12)}, in: []int64{4, 12}, out: []int64{4, 12},
		build: func(g *onnx.Graph, x onnx.Value, p func(string) onnx.Value) onnx.Value { return g.BiasGelu(x, p("b")) },
		ref:   func(x []float64, w func(string) []float64) []float64 { return mapRef(addBias(x, w("b")), geluRef) },
	},
	{
		name: "fastgelu_contrib", weights: []tensorSpec{ts("b", 12)}, in: []int64{4, 12}, out: []int64{4, 12},
		build: func(g *onnx.Graph, x onnx.Value, p func(string) onnx.Value) onnx.Value { return g.FastGelu(x, p("b")) },
		ref:   func(x []float64, w func(string) []float64) []float64 { return mapRef(addBias(x, w("b")), geluTanhRef) },
	},
	{
		name: "quickgelu_contrib", weights: []tensorSpec{ts("b", 12)}, in: []int64{4, 12}, out: []int64{4, 12},
		build: func(g *onnx.Graph, x onnx.Value, p func(string) onnx.Value) onnx.Value {
			return g.QuickGelu(g.Add(x, p("b")), 1.702)
		},
		ref: func(x []float64, w func(string) []float64) []float64 { return mapRef(addBias(x, w("b")), quickGeluRef) },
	},
	{
		name: "resize_nearest_x2", weights: []tensorSpec{ts("s", 3, 1, 1)}, in: []int64{2, 3, 4, 5}, out: []int64{2, 3, 8, 10},
		build: func(g *onnx.Graph, x onnx.Value, p func(string) onnx.Value) onnx.Value {
			return g.ResizeNearest(g.Mul(x, p("s")), 2)
		},
		ref: func(x []float64, w func(string) []float64) []float64 {
			s := w("s")
			return nearestRef(mapIndex(x, func(i int, v float64) float64 { return v * s[i/20%3] }), 6, 4, 5, 2)
		},
	},
	{
		name: "skiplayernorm_contrib", weights: []tensorSpec{ts("gamma", 32), ts("beta", 32), ts("bias", 32)}, in: []int64{2, 3, 32}, out: []int64{2, 3, 32},
		build: func(g *onnx.Graph, x onnx.Value, p func(string) onnx.Value) onnx.Value {
			return g.SkipLayerNorm(x, g.Mul(x, x), p("gamma"), p("beta"), p("bias"), 1e-5)
		},
		ref: func(x []float64, w func(string) []float64) []float64 {
			bias := w("bias")
			h := mapIndex(x, func(i int, v float64) float64 { return v + v*v + bias[i%32] })
			return layerNormRef(h, 32, w("gamma"), w("beta"), 1e-5)
		},
	},
}

func mapIndex(x []float64, f func(int, float64) float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = f(i, v)
	}
	return y
}

func addBias(x, b []float64) []float64 {
	return mapIndex(x, func(i int, v float64) float64 { return v + b[i%len(b)] })
}

// TestOps runs every case with float32, float16 and bfloat16 weights (cast
// to float32 in the graph) against the float64 reference.
func TestOps(t *testing.T) {
	for _, dt := range []safetensors.DType{safetensors.F32, safetensors.F16, safetensors.BF16} {
		for i, tc := range opCases {
			t.Run(fmt.Sprintf("%s/%s", tc.name, dt), func(t *testing.T) {
				w := writeWeights(t, dt, uint64(i), tc.weights...)
				g := onnx.NewGraph(tc.name)
				x := g.Input("x", onnx.Float, dims(tc.in)...)
				g.Output(tc.build(g, x, func(n string) onnx.Value { return w.param(t, g, n) }), "y", dims(tc.out)...)
				xin := randomInput(uint64(100+i), tc.in...)
				got := runModel(t, g, w.dir, []*ort.Tensor{ort.FromFloat32(tc.in, xin)}, tc.out)
				want := tc.ref(to64(xin), func(n string) []float64 { return w.values(t, n) })
				assertClose(t, got[0], want, 1e-5)
			})
		}
	}
}

func dims(shape []int64) []any {
	out := make([]any, len(shape))
	for i, d := range shape {
		out[i] = d
	}
	return out
}
