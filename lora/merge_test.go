package lora

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"sumi/tensor"
)

func randTensor(r *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	for i := range t.Data {
		t.Data[i] = float32(r.NormFloat64())
	}
	return t
}

// TestMergeEqualsApply: Merge gives Apply's result bit for bit, for whole
// weights, row ranges, 4-D conv weights, ranks that are not multiples of
// four, several patches on one weight and any worker count.
func TestMergeEqualsApply(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	patch := func(out, rank, in int, rows [2]int, scale float32) Patch {
		return Patch{Key: "w", Rows: rows, Up: randTensor(r, out, rank), Down: randTensor(r, rank, in), Scale: scale}
	}
	for _, tc := range []struct {
		name    string
		shape   []int
		patches []Patch
		workers int
	}{
		{"linear rank 16", []int{64, 96}, []Patch{patch(64, 16, 96, [2]int{}, 0.35)}, 0},
		{"linear rank 7, one worker", []int{33, 20}, []Patch{patch(33, 7, 20, [2]int{}, -1.5)}, 1},
		{"conv 3x3", []int{8, 4, 3, 3}, []Patch{patch(8, 3, 36, [2]int{}, 0.7)}, 3},
		{"fused qkv rows", []int{30, 10}, []Patch{
			patch(10, 4, 10, [2]int{0, 10}, 0.5),
			patch(10, 5, 10, [2]int{10, 20}, 0.25),
			patch(10, 2, 10, [2]int{20, 30}, -1)}, 4},
		{"two patches on one weight", []int{300, 50}, []Patch{
			patch(300, 8, 50, [2]int{}, 0.5), patch(300, 3, 50, [2]int{}, 2)}, 7},
		{"more workers than rows", []int{3, 5}, []Patch{patch(3, 1, 5, [2]int{}, 1)}, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := randTensor(r, tc.shape...).Data
			want := slices.Clone(w)
			for _, p := range tc.patches {
				if err := p.Apply(want, tc.shape); err != nil {
					t.Fatal(err)
				}
			}
			changed := false
			for i := range w {
				changed = changed || want[i] != w[i]
			}
			if !changed {
				t.Fatal("the patches change nothing; the test proves nothing")
			}
			if err := Merge(w, tc.shape, tc.patches, tc.workers); err != nil {
				t.Fatal(err)
			}
			for i := range w {
				if math.Float32bits(w[i]) != math.Float32bits(want[i]) {
					t.Fatalf("element %d: Merge %g, Apply %g", i, w[i], want[i])
				}
			}
		})
	}
}

func TestMergeErrors(t *testing.T) {
	up, down := tensor.New(4, 2), tensor.New(2, 3)
	for _, tc := range []struct {
		name  string
		w     []float32
		shape []int
		p     Patch
	}{
		{"shape does not fit", make([]float32, 11), []int{4, 3}, Patch{Up: up, Down: down}},
		{"rows outside", make([]float32, 12), []int{4, 3}, Patch{Rows: [2]int{2, 6}, Up: up, Down: down}},
		{"product does not fit", make([]float32, 15), []int{5, 3}, Patch{Up: up, Down: down}},
		{"empty shape", nil, nil, Patch{Up: up, Down: down}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := Merge(tc.w, tc.shape, []Patch{tc.p}, 0); err == nil {
				t.Error("no error")
			}
		})
	}
}

// BenchmarkMerge is one SDXL 1280-wide attention projection with a
// rank-32 patch.
func BenchmarkMerge(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	p := Patch{Up: randTensor(r, 1280, 32), Down: randTensor(r, 32, 1280), Scale: 0.5}
	w := make([]float32, 1280*1280)
	b.SetBytes(int64(4 * len(w)))
	for b.Loop() {
		if err := Merge(w, []int{1280, 1280}, []Patch{p}, 1); err != nil {
			b.Fatal(err)
		}
	}
}
