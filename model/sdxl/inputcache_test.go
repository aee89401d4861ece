package sdxl

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"sumi/runtime/ort"
	"sumi/tensor"
)

func TestInputCacheMatchesExactBits(t *testing.T) {
	var c inputCache
	conversions := 0
	conv := func(t *tensor.Tensor) *ort.Tensor {
		conversions++
		return ort.FromFloat32([]int64{int64(len(t.Data))}, t.Data)
	}
	a := tensor.FromData([]float32{1, 0, 3, 4}, 1, 4)
	steps := []struct {
		name string
		t    *tensor.Tensor
		hit  bool
	}{
		{"first use", a, false},
		{"same tensor", a, true},
		{"equal copy", a.Clone(), true},
		{"one value changed", tensor.FromData([]float32{1, 0, 3, 5}, 1, 4), false},
		{"back to the first", a, false},
		{"negative zero", tensor.FromData([]float32{1, float32(math.Copysign(0, -1)), 3, 4}, 1, 4), false},
		{"same values, other shape", tensor.FromData([]float32{1, float32(math.Copysign(0, -1)), 3, 4}, 2, 2), false},
	}
	for _, s := range steps {
		before := conversions
		got := c.get("context", s.t, conv)
		if hit := conversions == before; hit != s.hit {
			t.Errorf("%s: hit %v, want %v", s.name, hit, s.hit)
		}
		if v, _ := got.Float32(); !slices.Equal(floatBytes(v), floatBytes(s.t.Data)) {
			t.Errorf("%s: converted %v, want %v", s.name, v, s.t.Data)
		}
	}
	c.get("y", a, conv)
	if before := conversions; c.get("y", a, conv) != nil && conversions != before {
		t.Error("slots are not kept apart")
	}
}

// TestUNetConditioningIsNeverStale: a model that has seen one context
// must give, for another, exactly what a fresh model gives.
func TestUNetConditioningIsNeverStale(t *testing.T) {
	warm := loadModel(t, tinyCkpt, Options{})
	fresh := loadModel(t, tinyCkpt, Options{})
	u := warm.Config.UNet
	x := randomTensor(1, 1, u.InChannels, 8, 8)
	condA, y := randomTensor(2, 1, 77, u.ContextDim), randomTensor(3, 1, u.ADMInChannels)
	condB := condA.Clone()
	condB.Data[17] = -condB.Data[17]
	ctx := context.Background()
	run := func(m *Model, cond *tensor.Tensor) *tensor.Tensor {
		out, err := m.UNet(ctx, x, []float64{500}, cond, y)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	outA := run(warm, condA)
	outB := run(warm, condB)
	if slices.Equal(outA.Data, outB.Data) {
		t.Fatal("the two contexts give the same output: the test cannot tell stale inputs")
	}
	if want := run(fresh, condB); !slices.Equal(outB.Data, want.Data) {
		t.Error("second context: output differs from a fresh model's")
	}
	if again := run(warm, condA); !slices.Equal(again.Data, outA.Data) {
		t.Error("first context again: output changed")
	}
}

// randomTensor is a deterministic N(0,1) tensor.
func randomTensor(seed uint64, shape ...int) *tensor.Tensor {
	r := rand.New(rand.NewPCG(seed, 99))
	t := tensor.New(shape...)
	for i := range t.Data {
		t.Data[i] = float32(r.NormFloat64())
	}
	return t
}
