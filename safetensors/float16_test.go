package safetensors

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFloat16Exhaustive: every half value widens exactly and narrows back
// to itself (NaNs stay NaN).
func TestFloat16Exhaustive(t *testing.T) {
	for h := range 1 << 16 {
		f := Float16ToFloat32(uint16(h))
		back := Float32ToFloat16(f)
		if f != f {
			if back&0x7c00 != 0x7c00 || back&0x3ff == 0 {
				t.Fatalf("NaN %#04x came back as %#04x", h, back)
			}
			continue
		}
		if back != uint16(h) {
			t.Fatalf("%#04x -> %v -> %#04x", h, f, back)
		}
	}
}

// halfRef rounds to the nearest half by brute force over neighbouring
// values (ties to the even significand), in float64.
func halfRef(f float32) uint16 {
	x := float64(f)
	if math.Abs(x) >= 65520 { // beyond max half + half an ulp
		return Float32ToFloat16(float32(math.Copysign(math.Inf(1), x)))
	}
	best, bestErr := uint16(0), math.Inf(1)
	for h := range 0x7c00 {
		v := float64(Float16ToFloat32(uint16(h)))
		err := math.Abs(math.Abs(x) - v)
		if err < bestErr || (err == bestErr && h&1 == 0) {
			best, bestErr = uint16(h), err
		}
	}
	if math.Signbit(x) {
		best |= 0x8000
	}
	return best
}

func TestFloat32ToFloat16Rounding(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	vals := []float32{0, 1, -1, 65504, 65519, 65520, 1e-8, 2.98e-8, 5.96e-8, 6.1e-5, 1.0009765625, 1.00048828125, 1.00146484375}
	for range 300 {
		vals = append(vals, float32(r.NormFloat64()*math.Pow(10, float64(r.IntN(10)-6))))
	}
	for _, v := range vals {
		if got, want := Float32ToFloat16(v), halfRef(v); got != want {
			t.Errorf("Float32ToFloat16(%g) = %#04x, want %#04x", v, got, want)
		}
	}
}

func TestBFloat16(t *testing.T) {
	for _, tc := range []struct {
		in   float32
		want uint16
	}{{1, 0x3f80}, {-2, 0xc000}, {1.00390625, 0x3f80}, {1.01171875, 0x3f82}, {float32(math.Inf(1)), 0x7f80}} {
		if got := Float32ToBFloat16(tc.in); got != tc.want || BFloat16ToFloat32(got) != BFloat16ToFloat32(tc.want) {
			t.Errorf("Float32ToBFloat16(%v) = %#04x, want %#04x", tc.in, got, tc.want)
		}
	}
	if v := BFloat16ToFloat32(Float32ToBFloat16(float32(math.NaN()))); v == v {
		t.Error("NaN lost")
	}
}
