package ort_test

import (
	"context"
	"math"
	"testing"

	"sumi/runtime/onnx"
	"sumi/runtime/ort"
)

// TestShapeAndIndexOps runs the remaining helpers (the ones the timestep
// embedding, token pooling and masks need) and checks each output against a
// direct Go computation.
func TestShapeAndIndexOps(t *testing.T) {
	g := onnx.NewGraph("shapeops")
	x := g.Input("x", onnx.Float, 2, 6)
	tsteps := g.Input("t", onnx.Float, 2)
	freqs := []float32{1, 0.1, 0.01}
	arg := g.Mul(g.Unsqueeze(tsteps, 1), g.Floats(freqs...))   // [2,3]
	g.Output(g.Concat(1, g.Cos(arg), g.Sin(arg)), "emb", 2, 6) // timestep embedding
	parts := g.Split(x, 1, 2, 4)                               // [2,2] [2,4]
	g.Output(g.Slice(parts[1], []int64{1}, []int64{4}, []int64{1}, []int64{2}), "slice", 2, 2)
	g.Output(g.Gather(x, g.Ints(5, 0), 1), "gather", 2, 2)
	g.Output(g.ArgMax(x, 1, false), "argmax", 2)
	g.Output(g.Where(g.Equal(g.ArgMax(x, 1, true), g.ConstInt64([]int64{1, 1}, []int64{2})), g.Neg(x), x), "where", 2, 6)
	g.Output(g.Clip(g.Sqrt(g.Pow(x, g.Scalar(2))), onnx.Value{}, g.Scalar(1.5)), "clip", 2, 6)
	g.Output(g.ReduceMean(x, false, 1), "mean", 2)
	g.Output(g.Expand(g.Squeeze(g.Slice(x, []int64{0}, []int64{1}, []int64{0}, nil), 0), g.Shape(x)), "expand", 2, 6)
	g.Output(g.Add(g.ConstantOfShape(g.Shape(x), onnx.Float, 0.25), g.Exp(g.Sub(x, g.Div(x, g.Scalar(2))))), "cos_exp", 2, 6)
	s := checkedSession(t, g, t.TempDir())
	defer s.Close()

	xv := []float32{0.5, -2, 3, 1, -0.25, 2, -1, 4, 0, 2.5, -3, 1.5}
	tv := []float32{999, 1}
	shapes := map[string][]int64{"emb": {2, 6}, "slice": {2, 2}, "gather": {2, 2}, "where": {2, 6}, "clip": {2, 6}, "mean": {2}, "expand": {2, 6}, "cos_exp": {2, 6}}
	outs := make([]*ort.Tensor, len(g.OutputNames()))
	for i, n := range g.OutputNames() {
		if n == "argmax" {
			outs[i] = ort.NewTensor(onnx.Int64, 2)
		} else {
			outs[i] = ort.NewTensor(onnx.Float, shapes[n]...)
		}
	}
	if err := s.Run(context.Background(), []*ort.Tensor{ort.FromFloat32([]int64{2, 6}, xv), ort.FromFloat32([]int64{2}, tv)}, outs); err != nil {
		t.Fatal(err)
	}
	at := func(r, c int) float64 { return float64(xv[r*6+c]) }
	want := map[string][]float64{}
	for r := range 2 {
		for _, f := range freqs {
			want["emb"] = append(want["emb"], math.Cos(float64(tv[r]*f)))
		}
		for _, f := range freqs {
			want["emb"] = append(want["emb"], math.Sin(float64(tv[r]*f)))
		}
		want["slice"] = append(want["slice"], at(r, 3), at(r, 5))
		want["gather"] = append(want["gather"], at(r, 5), at(r, 0))
		sum := 0.0
		for c := range 6 {
			v := at(r, c)
			if r == 0 { // row 0 peaks at column 2 (the Equal), row 1 at column 1
				want["where"] = append(want["where"], -v)
			} else {
				want["where"] = append(want["where"], v)
			}
			want["clip"] = append(want["clip"], math.Min(math.Abs(v), 1.5))
			want["expand"] = append(want["expand"], at(0, c))
			want["cos_exp"] = append(want["cos_exp"], 0.25+math.Exp(v-v/2))
			sum += v
		}
		want["mean"] = append(want["mean"], sum/6)
	}
	for i, n := range g.OutputNames() {
		if n == "argmax" {
			got, _ := outs[i].Int64()
			if len(got) != 2 || got[0] != 2 || got[1] != 1 {
				t.Errorf("argmax = %v, want [2 1]", got)
			}
			continue
		}
		got, _ := outs[i].Float32()
		if e := relErr(got, want[n]); !(e <= 1e-5) {
			t.Errorf("%s: relative error %.3g\n got %v\nwant %v", n, e, got, want[n])
		}
	}
}

// TestNewerOpsets: helpers whose form changed across opsets (ReduceMean axes
// as an input from 18, Split, Squeeze) load and compute in ORT at opsets
// newer than the checker's 17.
func TestNewerOpsets(t *testing.T) {
	for _, opset := range []int64{18, 21, 23} {
		g := onnx.NewGraph("newer")
		g.Opset = opset
		x := g.Input("x", onnx.Float, 2, 4)
		parts := g.Split(x, 1, 1, 3)
		y := g.Add(g.ReduceMean(parts[1], true, 1), g.Squeeze(g.Unsqueeze(parts[0], 0), 0))
		g.Output(y, "y", 2, 1)
		s, err := ort.NewSessionFromGraph(g, t.TempDir(), ort.Options{Threads: 1})
		if err != nil {
			t.Fatalf("opset %d: %v", opset, err)
		}
		out := []*ort.Tensor{ort.NewTensor(onnx.Float, 2, 1)}
		err = s.Run(context.Background(), []*ort.Tensor{ort.FromFloat32([]int64{2, 4}, []float32{1, 2, 3, 4, 5, 6, 7, 8})}, out)
		s.Close()
		if err != nil {
			t.Fatalf("opset %d: %v", opset, err)
		}
		got, _ := out[0].Float32()
		if e := relErr(got, []float64{1 + 3, 5 + 7}); e > 1e-6 {
			t.Errorf("opset %d: got %v", opset, got)
		}
	}
}
