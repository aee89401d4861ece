package builtin

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	"sumi/tensor"
)

// goldenSet is one input tensor and torch's (or Pillow's) outputs for it,
// from testdata/gen_resample.py.
type goldenSet struct {
	Shape []int     `json:"shape"`
	Input []float32 `json:"input"`
	Cases []struct {
		Method string    `json:"method"`
		Height int       `json:"height"`
		Width  int       `json:"width"`
		Output []float32 `json:"output"`
	} `json:"cases"`
}

func loadGoldens(t *testing.T) map[string]goldenSet {
	t.Helper()
	raw, err := os.ReadFile("testdata/resample_goldens.json")
	if err != nil {
		t.Fatal(err)
	}
	var g map[string]goldenSet
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// tolerances per method: nearest and lanczos must be exact (index picks
// and uint8 steps); the weighted ones may differ from torch in the last
// float32 bits because of summation order.
var resampleTol = map[string]float64{"nearest-exact": 0, "lanczos": 0, "bilinear": 2e-6, "bicubic": 4e-6, "area": 2e-6}

func TestResampleMatchesTorch(t *testing.T) {
	for name, set := range loadGoldens(t) {
		in := tensor.FromData(set.Input, set.Shape...)
		for _, c := range set.Cases {
			c := c
			t.Run(fmt.Sprintf("%s/%s_%dx%d", name, c.Method, c.Width, c.Height), func(t *testing.T) {
				out, err := upscale(in, c.Width, c.Height, c.Method, "disabled")
				if err != nil {
					t.Fatal(err)
				}
				if len(out.Data) != len(c.Output) {
					t.Fatalf("got %d values, want %d (shape %v)", len(out.Data), len(c.Output), out.Shape)
				}
				worst := 0.0
				for i := range out.Data {
					worst = math.Max(worst, math.Abs(float64(out.Data[i]-c.Output[i])))
				}
				if worst > resampleTol[c.Method] {
					t.Errorf("max abs diff %g > %g", worst, resampleTol[c.Method])
				}
			})
		}
	}
}

func TestCenterCrop(t *testing.T) {
	in := tensor.New(1, 1, 4, 10)
	for i := range in.Data {
		in.Data[i] = float32(i)
	}
	tests := []struct {
		w, h       int
		wantH      int
		wantW      int
		wantCorner float32 // value at [0,0] of the crop
	}{
		{10, 4, 4, 10, 0},  // same aspect: untouched
		{4, 4, 4, 4, 3},    // x = round((10 - 10*0.4)/2) = 3
		{5, 4, 4, 6, 2},    // x = round((10 - 10*0.5)/2) = round(2.5) = 2, half to even
		{20, 4, 2, 10, 10}, // y = round((4 - 4*0.5)/2) = 1
	}
	for _, tc := range tests {
		out := centerCrop(in, tc.w, tc.h)
		if out.Shape[2] != tc.wantH || out.Shape[3] != tc.wantW || out.Data[0] != tc.wantCorner {
			t.Errorf("crop to %dx%d: shape %v corner %v, want %dx%d corner %v",
				tc.w, tc.h, out.Shape, out.Data[0], tc.wantW, tc.wantH, tc.wantCorner)
		}
	}
}

func TestBislerp(t *testing.T) {
	// A field of parallel vectors: every slerp takes the left sample, so
	// the result only holds input vectors.
	in := tensor.New(1, 4, 2, 3)
	for y := 0; y < 2; y++ {
		for x := 0; x < 3; x++ {
			for c := 0; c < 4; c++ {
				in.Data[(c*2+y)*3+x] = float32(c+1) * float32(1+x+3*y)
			}
		}
	}
	out := bislerp(in, 7, 5)
	if want := []int{1, 4, 5, 7}; fmt.Sprint(out.Shape) != fmt.Sprint(want) {
		t.Fatalf("shape %v", out.Shape)
	}
	for y := 0; y < 5; y++ {
		for x := 0; x < 7; x++ {
			s := out.Data[(0*5+y)*7+x]
			if s != float32(math.Round(float64(s))) || s < 1 || s > 6 {
				t.Fatalf("(%d,%d) = %v is not one of the inputs", x, y, s)
			}
			for c := 1; c < 4; c++ {
				if got := out.Data[(c*5+y)*7+x]; got != s*float32(c+1) {
					t.Fatalf("(%d,%d) channel %d = %v, want %v", x, y, c, got, s*float32(c+1))
				}
			}
		}
	}
	// Orthogonal unit vectors halfway: the slerp midpoint has norm 1 and
	// equal components.
	a, b, r := []float32{1, 0}, []float32{0, 1}, make([]float32, 2)
	slerp(r, a, b, 0.5)
	if d := math.Abs(float64(r[0]) - math.Sqrt(0.5)); d > 1e-6 || math.Abs(float64(r[1]-r[0])) > 1e-6 {
		t.Errorf("slerp midpoint %v", r)
	}
	// Opposite vectors fall back to a plain lerp.
	slerp(r, []float32{2, 0}, []float32{-2, 0}, 0.25)
	if r[0] != 1 || r[1] != 0 {
		t.Errorf("opposite lerp %v, want [1 0]", r)
	}
	// Identity size keeps the tensor.
	same := bislerp(in, 3, 2)
	for i := range in.Data {
		if same.Data[i] != in.Data[i] {
			t.Fatalf("identity changed value %d", i)
		}
	}
}
