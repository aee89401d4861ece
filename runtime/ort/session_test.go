package ort_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"sumi/runtime/onnx"
	"sumi/runtime/onnx/onnxtest"
	"sumi/runtime/ort"
	"sumi/safetensors"
)

// TestFloat16Graph builds the same kind of block in float16 end to end (the
// CUDA form: fp16 weights used as stored, no Cast node anywhere) and checks
// it on the CPU provider against the float64 reference at half precision.
func TestFloat16Graph(t *testing.T) {
	w := writeWeights(t, safetensors.F16, 9, ts("conv.w", 8, 4, 3, 3), ts("conv.b", 8), ts("gn.w", 8), ts("gn.b", 8), ts("lin.w", 6, 8), ts("lin.b", 6))
	g := onnx.NewGraph("fp16")
	g.Compute = onnx.Float16
	x := g.Input("x", onnx.Float16, 1, 4, 6, 6)
	p := func(n string) onnx.Value { return w.param(t, g, n) }
	h := g.Conv(x, p("conv.w"), p("conv.b"), onnx.ConvOpts{Pads: []int64{1, 1, 1, 1}})
	h = g.Gelu(g.GroupNorm(h, p("gn.w"), p("gn.b"), 4, 1e-5))
	h = g.Transpose(g.Reshape(h, 0, 8, -1), 0, 2, 1) // [1, 36, 8]
	g.Output(g.Linear(h, p("lin.w"), p("lin.b")), "y", 1, 36, 6)
	model, err := g.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(model, []byte("Cast")) {
		t.Fatal("an fp16 graph over fp16 weights must not cast anything")
	}
	onnxtest.Check(t, w.dir, model)
	s, err := ort.NewSession(model, w.dir, g.InputNames(), g.OutputNames(), ort.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	xin := randomInput(3, 1, 4, 6, 6)
	in := ort.FromFloat16([]int64{1, 4, 6, 6}, xin)
	out := ort.NewTensor(onnx.Float16, 1, 36, 6)
	if err := s.Run(context.Background(), []*ort.Tensor{in}, []*ort.Tensor{out}); err != nil {
		t.Fatal(err)
	}
	got, _ := out.Float32()
	x16, _ := in.Float32() // the input after rounding to half
	c := convRef(to64(x16), convShape{1, 4, 6, 6, 8, 3, 1, 1}, w.values(t, "conv.w"), w.values(t, "conv.b"))
	c = mapRef(groupNormRef(c, 1, 8, 36, 4, w.values(t, "gn.w"), w.values(t, "gn.b"), 1e-5), geluRef)
	tr := make([]float64, len(c))
	for ch := range 8 {
		for i := range 36 {
			tr[i*8+ch] = c[ch*36+i]
		}
	}
	want := linearRef(tr, 36, 8, w.values(t, "lin.w"), 6, w.values(t, "lin.b"))
	assertClose(t, got, want, 5e-3) // half precision: 11-bit significand
}

// TestScalarAndAutoOutputs covers rank-0 inputs and outputs (which the Go
// binding only handles preallocated) and ORT-allocated float32 outputs.
func TestScalarAndAutoOutputs(t *testing.T) {
	g2 := onnx.NewGraph("scalar")
	x := g2.Input("x", onnx.Float, 2, 3)
	k := g2.Input("k", onnx.Float)
	y := g2.Mul(x, k)
	g2.OutputScalar(g2.ReduceSum(y, false), "sum")
	g2.Output(y, "scaled", 2, 3)
	dir := t.TempDir()
	model, err := g2.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	onnxtest.Check(t, dir, model)
	sess, err := ort.NewSession(model, dir, g2.InputNames(), g2.OutputNames(), ort.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	in := []*ort.Tensor{ort.FromFloat32([]int64{2, 3}, []float32{1, 2, 3, 4, 5, 6}), ort.FromFloat32(nil, []float32{0.5})}
	outs := []*ort.Tensor{ort.NewTensor(onnx.Float), nil}
	if err := sess.Run(context.Background(), in, outs); err != nil {
		t.Fatal(err)
	}
	sum, _ := outs[0].Float32()
	scaled, err := outs[1].Float32()
	if err != nil {
		t.Fatal(err)
	}
	if len(sum) != 1 || sum[0] != 10.5 {
		t.Errorf("sum = %v, want [10.5]", sum)
	}
	if len(scaled) != 6 || scaled[5] != 3 || len(outs[1].Shape) != 2 {
		t.Errorf("scaled = %v shape %v", scaled, outs[1].Shape)
	}
}

// linearSession is a small valid session over a weights file.
func linearSession(t *testing.T) (*ort.Session, *weights) {
	t.Helper()
	w := writeWeights(t, safetensors.F32, 5, ts("w", 4, 3))
	g := onnx.NewGraph("lin")
	x := g.Input("x", onnx.Float, "n", 3)
	g.Output(g.Linear(x, w.param(t, g, "w"), onnx.Value{}), "y", "n", 4)
	s, err := ort.NewSessionFromGraph(g, w.dir, ort.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	return s, w
}

func TestRunErrors(t *testing.T) {
	s, _ := linearSession(t)
	ctx := context.Background()
	x := ort.FromFloat32([]int64{2, 3}, make([]float32, 6))
	cases := []struct {
		name    string
		ctx     context.Context
		in, out []*ort.Tensor
		want    error
	}{
		{"too many inputs", ctx, []*ort.Tensor{x, x}, []*ort.Tensor{nil}, nil},
		{"data shorter than shape", ctx, []*ort.Tensor{{DType: onnx.Float, Shape: []int64{2, 3}, Data: make([]byte, 5)}}, []*ort.Tensor{nil}, nil},
		{"wrong output shape", ctx, []*ort.Tensor{x}, []*ort.Tensor{ort.NewTensor(onnx.Float, 3, 4)}, nil},
		{"fp16 output not preallocated is fine only for fp32", ctx, []*ort.Tensor{ort.FromFloat16([]int64{2, 3}, make([]float32, 6))}, []*ort.Tensor{nil}, nil},
		{"cancelled", cancelled(), []*ort.Tensor{x}, []*ort.Tensor{nil}, context.Canceled},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Run(tc.ctx, tc.in, tc.out)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("Run = %v, want an error (%v)", err, tc.want)
			}
		})
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Run(ctx, []*ort.Tensor{x}, []*ort.Tensor{nil}); !errors.Is(err, ort.ErrClosed) {
		t.Fatalf("Run after Close = %v, want ErrClosed", err)
	}
}

func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// TestExternalDataErrors: a session whose weights file is missing, or whose
// data folder is wrong, fails to load instead of running on garbage.
func TestExternalDataErrors(t *testing.T) {
	w := writeWeights(t, safetensors.F32, 6, ts("w", 4, 3))
	build := func(loc string) []byte {
		g := onnx.NewGraph("lin")
		x := g.Input("x", onnx.Float, 2, 3)
		tt, _ := w.f.Tensor("w")
		g.Output(g.Linear(x, g.Param(tt, loc, nil), onnx.Value{}), "y", 2, 4)
		m, err := g.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, tc := range []struct{ name, loc, dir string }{
		{"missing file", "nope.safetensors", w.dir},
		{"wrong folder", w.loc, t.TempDir()},
		{"no folder", w.loc, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ort.NewSession(build(tc.loc), tc.dir, []string{"x"}, []string{"y"}, ort.Options{})
			if err == nil {
				s.Close()
				t.Fatal("session created over a missing weights file")
			}
		})
	}
	// Truncating the file after the graph was built must also be caught.
	if err := os.Truncate(filepath.Join(w.dir, w.loc), 40); err != nil {
		t.Fatal(err)
	}
	if s, err := ort.NewSession(build(w.loc), w.dir, []string{"x"}, []string{"y"}, ort.Options{}); err == nil {
		s.Close()
		t.Fatal("session created over a truncated weights file")
	}
}

// TestCacheConcurrent: many goroutines asking for one key build it once and
// run it concurrently; FreeAll closes it under them.
func TestCacheConcurrent(t *testing.T) {
	c := ort.NewCache()
	key := ort.Key{Checkpoint: "a.safetensors", Network: "lin", DType: "float32", Device: "cpu"}
	var builds atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := c.Get(key, func() (*ort.Session, error) {
				builds.Add(1)
				s, _ := linearSession(t)
				return s, nil
			})
			if err != nil {
				errs <- err
				return
			}
			out := []*ort.Tensor{ort.NewTensor(onnx.Float, 2, 4)}
			errs <- s.Run(context.Background(), []*ort.Tensor{ort.FromFloat32([]int64{2, 3}, make([]float32, 6))}, out)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := builds.Load(); n != 1 {
		t.Fatalf("built %d sessions for one key, want 1", n)
	}
	s, _ := c.Get(key, func() (*ort.Session, error) { t.Fatal("rebuilt a cached session"); return nil, nil })
	other := ort.Key{Checkpoint: "b.safetensors", Network: "lin"}
	if _, err := c.Get(other, func() (*ort.Session, error) { return nil, errors.New("boom") }); err == nil {
		t.Fatal("build error not returned")
	}
	if got := c.Keys(); len(got) != 1 || got[0] != key {
		t.Fatalf("Keys = %v, failed builds must not stay cached", got)
	}
	if err := c.FreeAll(); err != nil {
		t.Fatal(err)
	}
	err := s.Run(context.Background(), []*ort.Tensor{ort.FromFloat32([]int64{2, 3}, make([]float32, 6))}, []*ort.Tensor{nil})
	if !errors.Is(err, ort.ErrClosed) || len(c.Keys()) != 0 {
		t.Fatalf("after FreeAll: Run = %v, keys %v", err, c.Keys())
	}
}

func TestLibraryPath(t *testing.T) {
	t.Setenv(ort.EnvLibrary, "/env/lib.so")
	if got := ort.LibraryPath("/flag/lib.so"); got != "/flag/lib.so" {
		t.Errorf("flag not preferred: %s", got)
	}
	if got := ort.LibraryPath(""); got != "/env/lib.so" {
		t.Errorf("env not used: %s", got)
	}
	t.Setenv(ort.EnvLibrary, "")
	// Tests run in runtime/ort, so the repository's .ort/ is found upwards.
	want, _ := filepath.Abs(filepath.Join("..", "..", ".ort", "libonnxruntime.so.1"))
	if got := ort.LibraryPath(""); got != want {
		t.Errorf("default = %s, want %s", got, want)
	}
}

func TestInit(t *testing.T) {
	if v := ort.Version(); !strings.HasPrefix(v, ort.RequiredVersion+".") {
		t.Fatalf("Version = %q", v)
	}
	if err := ort.Init(ort.Path()); err != nil {
		t.Fatalf("re-Init with the same path: %v", err)
	}
	missing := filepath.Join(t.TempDir(), "libonnxruntime.so.1")
	err := ort.Init(missing)
	if !errors.Is(err, ort.ErrLibrary) || !strings.Contains(err.Error(), "make ort") || !strings.Contains(err.Error(), missing) {
		t.Fatalf("Init(missing) = %v", err)
	}
	other := filepath.Join(t.TempDir(), "other.so")
	os.WriteFile(other, []byte("not a library"), 0o644)
	if err := ort.Init(other); !errors.Is(err, ort.ErrLibrary) {
		t.Fatalf("Init(other) after a successful Init = %v", err)
	}
}

// TestCUDAProvider runs a graph on the CUDA provider where one is installed
// (make ort-cuda on a GPU host); elsewhere session creation must fail with
// an error that says what is missing.
func TestCUDAProvider(t *testing.T) {
	w := writeWeights(t, safetensors.F16, 8, ts("w", 4, 3))
	g := onnx.NewGraph("cuda")
	g.Compute = onnx.Float16
	x := g.Input("x", onnx.Float16, 2, 3)
	g.Output(g.Linear(x, w.param(t, g, "w"), onnx.Value{}), "y", 2, 4)
	s, err := ort.NewSessionFromGraph(g, w.dir, ort.Options{Provider: ort.CUDA, CUDNNConvAlgoSearch: "HEURISTIC"})
	if err != nil {
		if !strings.Contains(err.Error(), "make ort-cuda") {
			t.Fatalf("CUDA failure without an install hint: %v", err)
		}
		t.Skipf("no CUDA provider here: %v", err)
	}
	defer s.Close()
	xin := randomInput(4, 2, 3)
	in := ort.FromFloat16([]int64{2, 3}, xin)
	out := ort.NewTensor(onnx.Float16, 2, 4)
	if err := s.Run(context.Background(), []*ort.Tensor{in}, []*ort.Tensor{out}); err != nil {
		t.Fatal(err)
	}
	got, _ := out.Float32()
	x16, _ := in.Float32()
	assertClose(t, got, linearRef(to64(x16), 2, 3, w.values(t, "w"), 4, nil), 5e-3)
}
