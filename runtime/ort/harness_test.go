package ort_test

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"sumi/runtime/onnx"
	"sumi/runtime/onnx/onnxtest"
	"sumi/runtime/ort"
	"sumi/safetensors"
)

// weights is a safetensors file written by a test, with every tensor at an
// unaligned absolute offset.
type weights struct {
	dir, loc string
	f        *safetensors.File
}

type tensorSpec struct {
	name  string
	shape []int64
}

// writeWeights writes random tensors (in dt: F32, F16 or BF16) after a
// 3-byte filler tensor and an odd header pad, so no offset is aligned.
func writeWeights(t *testing.T, dt safetensors.DType, seed uint64, specs ...tensorSpec) *weights {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	w := &safetensors.Writer{Metadata: map[string]string{"format": "pt"}}
	w.AddRaw("000_filler", safetensors.U8, []int64{3}, []byte{1, 2, 3})
	for _, s := range specs {
		data := make([]float32, numel(s.shape))
		for i := range data {
			data[i] = float32(r.NormFloat64() * 0.5)
		}
		switch dt {
		case safetensors.F32:
			w.AddFloat32(s.name, s.shape, data)
		case safetensors.F16:
			w.AddFloat16(s.name, s.shape, data)
		case safetensors.BF16:
			w.AddBFloat16(s.name, s.shape, data)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "weights.safetensors")
	var f *safetensors.File
	// Pad the header until every weight starts at an odd file offset.
	for pad := 0; f == nil; pad++ {
		w.HeaderPad = pad
		if err := w.WriteFile(path); err != nil {
			t.Fatal(err)
		}
		var err error
		if f, err = safetensors.Open(path); err != nil {
			t.Fatal(err)
		}
		for _, s := range specs {
			if tt, _ := f.Tensor(s.name); tt.Offset%2 == 0 {
				f.Close()
				f = nil
				break
			}
		}
		if pad > 8 {
			t.Fatal("could not unalign the weights")
		}
	}
	t.Cleanup(func() { f.Close() })
	return &weights{dir: dir, loc: "weights.safetensors", f: f}
}

// param declares a weight in g's compute type (Cast when stored otherwise).
func (w *weights) param(t *testing.T, g *onnx.Graph, name string) onnx.Value {
	t.Helper()
	tt, ok := w.f.Tensor(name)
	if !ok {
		t.Fatalf("no tensor %s", name)
	}
	return g.Param(tt, w.loc, nil)
}

// values returns a weight as float64 (after its storage rounding).
func (w *weights) values(t *testing.T, name string) []float64 {
	t.Helper()
	f, err := w.f.Float32(name)
	if err != nil {
		t.Fatal(err)
	}
	return to64(f)
}

func to64(f []float32) []float64 {
	out := make([]float64, len(f))
	for i, v := range f {
		out[i] = float64(v)
	}
	return out
}

func numel(shape []int64) int64 {
	n := int64(1)
	for _, d := range shape {
		n *= d
	}
	return n
}

func randomInput(seed uint64, shape ...int64) []float32 {
	r := rand.New(rand.NewPCG(seed, 11))
	out := make([]float32, numel(shape))
	for i := range out {
		out[i] = float32(r.NormFloat64())
	}
	return out
}

// runModel checks g with ONNX's checker, runs it on the CPU with the given
// float32 inputs and returns the float32 outputs of the given shapes.
func runModel(t *testing.T, g *onnx.Graph, dir string, ins []*ort.Tensor, outShapes ...[]int64) [][]float32 {
	t.Helper()
	s := checkedSession(t, g, dir)
	defer s.Close()
	outs := make([]*ort.Tensor, len(outShapes))
	for i, sh := range outShapes {
		outs[i] = ort.NewTensor(onnx.Float, sh...)
	}
	if err := s.Run(context.Background(), ins, outs); err != nil {
		t.Fatal(err)
	}
	res := make([][]float32, len(outs))
	for i, o := range outs {
		var err error
		if res[i], err = o.Float32(); err != nil {
			t.Fatal(err)
		}
	}
	return res
}

// checkedSession marshals g, runs ONNX's checker on it and opens a
// one-thread CPU session with weights under dir; the caller closes it.
func checkedSession(t *testing.T, g *onnx.Graph, dir string) *ort.Session {
	t.Helper()
	model, err := g.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	onnxtest.Check(t, dir, model)
	s, err := ort.NewSession(model, dir, g.InputNames(), g.OutputNames(), ort.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// relErr is max|got-want| / max|want|: the error relative to the output's
// scale, which stays meaningful for outputs near zero.
func relErr(got []float32, want []float64) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var diff, scale float64
	for i := range want {
		diff = math.Max(diff, math.Abs(float64(got[i])-want[i]))
		scale = math.Max(scale, math.Abs(want[i]))
	}
	if math.IsNaN(diff) {
		return math.Inf(1)
	}
	return diff / math.Max(scale, 1e-30)
}

func assertClose(t *testing.T, got []float32, want []float64, tol float64) {
	t.Helper()
	if e := relErr(got, want); !(e <= tol) {
		t.Fatalf("relative error %.3g > %.3g (len %d vs %d)", e, tol, len(got), len(want))
	}
}
