package safetensors

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// TestEncodeFloat16MatchesScalar checks the batch encoder against the
// scalar reference: every float32 bit pattern in full mode, the boundaries
// and a random sample under -short.
func TestEncodeFloat16MatchesScalar(t *testing.T) {
	var src []float32
	if testing.Short() {
		src = boundaryFloats()
		r := rand.New(rand.NewPCG(1, 2))
		for range 1 << 20 {
			src = append(src, math.Float32frombits(r.Uint32()))
		}
		checkEncode(t, src)
		return
	}
	const chunk = 1 << 24
	src = make([]float32, chunk)
	for base := uint64(0); base < 1<<32; base += chunk {
		for i := range src {
			src[i] = math.Float32frombits(uint32(base + uint64(i)))
		}
		checkEncode(t, src)
		if t.Failed() {
			return
		}
	}
}

func checkEncode(t *testing.T, src []float32) {
	t.Helper()
	dst := make([]byte, 2*len(src))
	EncodeFloat16(dst, src)
	for i, f := range src {
		got, want := binary.LittleEndian.Uint16(dst[2*i:]), Float32ToFloat16(f)
		if got != want {
			t.Fatalf("%#08x (%g): got %#04x, want %#04x", math.Float32bits(f), f, got, want)
		}
	}
}

// boundaryFloats are values around every edge of the fast path: the
// smallest normal half, subnormals, the largest finite half and the
// rounding-to-Inf point, exact ties, zeros, Inf and NaN.
func boundaryFloats() []float32 {
	var out []float32
	for _, b := range []uint32{0x38800000, 0x38000000, 0x33000000, 0x477fe000, 0x477fefff, 0x477ff000, 0x47800000,
		0x3f801000, 0x3f803000, 0x7f800000, 0x7fc00000, 0x7f800001, 0, 1} {
		for d := uint32(0); d < 3; d++ {
			for _, s := range []uint32{0, 0x80000000} {
				out = append(out, math.Float32frombits((b+d)|s), math.Float32frombits((b-d)|s))
			}
		}
	}
	return out
}

// TestDecodeFloat16MatchesScalar checks all 65,536 binary16 values.
func TestDecodeFloat16MatchesScalar(t *testing.T) {
	src := make([]byte, 2<<16)
	for h := range 1 << 16 {
		binary.LittleEndian.PutUint16(src[2*h:], uint16(h))
	}
	dst := make([]float32, 1<<16)
	DecodeFloat16(dst, src)
	for h := range 1 << 16 {
		got, want := math.Float32bits(dst[h]), math.Float32bits(Float16ToFloat32(uint16(h)))
		if got != want {
			t.Fatalf("%#04x: got %#08x, want %#08x", h, got, want)
		}
	}
}

// TestBatchConversionsSplitEvenly covers the parallel split: lengths
// around the threshold and not divisible by the core count.
func TestBatchConversionsSplitEvenly(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, parallelMin - 1, parallelMin, parallelMin + 7, 5*parallelMin + 3} {
		src := make([]float32, n)
		for i := range src {
			src[i] = float32(r.NormFloat64())
		}
		checkEncode(t, src)
		enc := make([]byte, 2*n)
		EncodeFloat16(enc, src)
		dec := make([]float32, n)
		DecodeFloat16(dec, enc)
		for i := range dec {
			if dec[i] != Float16ToFloat32(binary.LittleEndian.Uint16(enc[2*i:])) {
				t.Fatalf("n=%d: value %d decoded wrong", n, i)
			}
		}
	}
}

// BenchmarkFloat16 compares the batch conversions with the scalar loop
// they replace, on an SDXL text context (2×77×2048 values, N(0,1)).
func BenchmarkFloat16(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	src := make([]float32, 2*77*2048)
	for i := range src {
		src[i] = float32(r.NormFloat64())
	}
	enc := make([]byte, 2*len(src))
	dec := make([]float32, len(src))
	b.Run("encode/scalar", func(b *testing.B) {
		for range b.N {
			for i, v := range src {
				binary.LittleEndian.PutUint16(enc[2*i:], Float32ToFloat16(v))
			}
		}
	})
	b.Run("encode/batch", func(b *testing.B) {
		for range b.N {
			EncodeFloat16(enc, src)
		}
	})
	b.Run("decode/scalar", func(b *testing.B) {
		for range b.N {
			for i := range dec {
				dec[i] = Float16ToFloat32(binary.LittleEndian.Uint16(enc[2*i:]))
			}
		}
	})
	b.Run("decode/batch", func(b *testing.B) {
		for range b.N {
			DecodeFloat16(dec, enc)
		}
	})
}
