package ort_test

import (
	"context"
	"sync"
	"testing"

	"sumi/runtime/onnx"
	"sumi/runtime/ort"
)

// TestBoundInputs: a weight fed by the session (not part of the model
// bytes) is used as given, on every Run, from concurrent Runs, and is
// hidden from Inputs; bad bound values fail at creation.
func TestBoundInputs(t *testing.T) {
	g := onnx.NewGraph("bound")
	x := g.Input("x", onnx.Float, 2, 3)
	w := g.Input("w", onnx.Float, 4, 3) // declared before and after a caller input
	b := g.Input("b", onnx.Float, 4)
	g.Output(g.Add(g.Linear(x, w, onnx.Value{}), b), "y", 2, 4)
	wv := []float32{1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1}
	s, err := ort.NewSessionFromGraph(g, "", ort.Options{Threads: 1},
		ort.Bound{Name: "w", Value: ort.FromFloat32([]int64{4, 3}, wv)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.Inputs(); len(got) != 2 || got[0] != "x" || got[1] != "b" {
		t.Fatalf("Inputs = %v, want [x b]", got)
	}
	xv := []float32{1, 2, 3, 4, 5, 6}
	want := []float32{1.5, 2.5, 3.5, 6.5, 4.5, 5.5, 6.5, 15.5}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := ort.NewTensor(onnx.Float, 2, 4)
			in := []*ort.Tensor{ort.FromFloat32([]int64{2, 3}, xv), ort.FromFloat32([]int64{4}, []float32{0.5, 0.5, 0.5, 0.5})}
			if err := s.Run(context.Background(), in, []*ort.Tensor{out}); err != nil {
				t.Error(err)
				return
			}
			got, _ := out.Float32()
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("y = %v, want %v", got, want)
					return
				}
			}
		}()
	}
	wg.Wait()

	for _, tc := range []struct {
		name  string
		bound ort.Bound
	}{
		{"unknown input", ort.Bound{Name: "nope", Value: ort.FromFloat32([]int64{4, 3}, wv)}},
		{"nil value", ort.Bound{Name: "w"}},
		{"scalar", ort.Bound{Name: "w", Value: ort.FromFloat32([]int64{}, []float32{1})}},
		{"short data", ort.Bound{Name: "w", Value: &ort.Tensor{DType: onnx.Float, Shape: []int64{4, 3}, Data: make([]byte, 7)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if s, err := ort.NewSessionFromGraph(g, "", ort.Options{Threads: 1}, tc.bound); err == nil {
				s.Close()
				t.Error("no error")
			}
		})
	}
}
