package torchrand

import (
	"encoding/json"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"sumi/safetensors"
)

// TestPrepareNoiseGoldens compares PrepareNoise with ComfyUI's prepare_noise
// for every seed and shape of the tiny-sdxl noise goldens, bit for bit.
func TestPrepareNoiseGoldens(t *testing.T) {
	gold, err := safetensors.Open("../testdata/tiny-sdxl/goldens/noise.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	defer gold.Close()
	raw, err := os.ReadFile("../testdata/tiny-sdxl/goldens/noise.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases map[string]struct {
		Seed  json.Number `json:"seed"`
		Shape []int       `json:"shape"`
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&cases); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(cases))
	for k := range cases {
		names = append(names, k)
	}
	sort.Strings(names)
	if len(names) < 21 {
		t.Fatalf("only %d noise cases", len(names))
	}
	for _, name := range names {
		c := cases[name]
		t.Run(name, func(t *testing.T) {
			seed, err := strconv.ParseUint(c.Seed.String(), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			want, err := gold.Float32(name)
			if err != nil {
				t.Fatal(err)
			}
			got, err := PrepareNoise(seed, c.Shape, nil)
			if err != nil {
				t.Fatal(err)
			}
			compareBits(t, got.Data, want)
		})
	}
	t.Run("ancestral_seed_42", func(t *testing.T) {
		g := New(42 + 1)
		for i := 0; i < 3; i++ {
			want, err := gold.Float32("ancestral_seed_42.draw" + strconv.Itoa(i))
			if err != nil {
				t.Fatal(err)
			}
			compareBits(t, g.Randn(1, 4, 8, 8).Data, want)
		}
	})
}

func compareBits(t *testing.T, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("len %d, want %d", len(got), len(want))
	}
	bad := 0
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			if bad < 3 {
				t.Errorf("[%d] = %.9g, want %.9g", i, got[i], want[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d values differ", bad, len(got))
	}
}

// TestPrepareNoiseBatchIndex checks the batch_index rule: one single-item draw
// per index in order, item b taking the draw of batchIndex[b].
func TestPrepareNoiseBatchIndex(t *testing.T) {
	shape := []int{3, 4, 4, 4}
	got, err := PrepareNoise(9, shape, []int{2, 0, 2})
	if err != nil {
		t.Fatal(err)
	}
	g := New(9)
	d0 := g.Randn(1, 4, 4, 4).Data
	_ = g.Randn(1, 4, 4, 4)
	d2 := g.Randn(1, 4, 4, 4).Data
	per := 64
	compareBits(t, got.Data[0:per], d2)
	compareBits(t, got.Data[per:2*per], d0)
	compareBits(t, got.Data[2*per:], d2)

	for _, tc := range []struct {
		name  string
		shape []int
		idx   []int
	}{
		{"negative index", []int{1, 4, 2, 2}, []int{-1}},
		{"count mismatch", []int{2, 4, 2, 2}, []int{0}},
		{"empty shape", nil, nil},
		{"negative dim", []int{1, -4}, nil},
		{"huge index", []int{1, 4, 2, 2}, []int{1 << 40}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := PrepareNoise(1, tc.shape, tc.idx); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

// TestSeedLow32 checks that only the low 32 bits of the seed matter.
func TestSeedLow32(t *testing.T) {
	a := Randn(42, 64)
	b := Randn(1<<32+42, 64)
	compareBits(t, a.Data, b.Data)
}

// TestSmallCache checks that the < 16 path's cached value survives between
// calls: 3+3 values equal one call of 6.
func TestSmallCache(t *testing.T) {
	g := New(3)
	a := append(g.Randn(3).Data, g.Randn(3).Data...)
	b := New(3).Randn(6).Data
	compareBits(t, a, b)
	g.Seed(3)
	compareBits(t, g.Randn(6).Data, b)
}
