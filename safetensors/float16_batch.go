package safetensors

import (
	"encoding/binary"
	"math"
	"runtime"
	"sync"
)

// Batch conversions for the per-step tensors of a float16 model (SDXL's
// latents and text contexts, 0.1–0.3 M values per step). The scalar
// functions branch on how each value rounds, which random data mispredicts
// about every other value; these take a branch-free path for the common
// case (normal binary16 range) and split large slices across cores. They
// give exactly the scalar functions' results (tested exhaustively).

// parallelMin is the slice length from which a conversion is split across
// cores: below it goroutine hand-offs cost more than they save.
const parallelMin = 1 << 16

// EncodeFloat16 writes src into dst as little-endian binary16, rounding as
// Float32ToFloat16. dst must hold 2·len(src) bytes.
func EncodeFloat16(dst []byte, src []float32) {
	dst = dst[:2*len(src)]
	inParallel(len(src), func(lo, hi int) { encodeHalves(dst[2*lo:2*hi], src[lo:hi]) })
}

func encodeHalves(dst []byte, src []float32) {
	dst = dst[:2*len(src)]
	for i, f := range src {
		b := math.Float32bits(f)
		abs := b & 0x7fffffff
		var h uint16
		// |f| in [2^-14, 2^16): a normal binary16 (or Inf after rounding up).
		if abs-0x38800000 < 0x47800000-0x38800000 {
			v := abs - 0x38000000 // rebias the exponent from 127 to 15
			// Round to nearest, ties to even: add just under half an ulp,
			// plus one when the kept part is odd; a carry moves into the
			// exponent, as it should.
			h = uint16(b>>16)&0x8000 | uint16((v+0x0fff+(v>>13)&1)>>13)
		} else {
			h = Float32ToFloat16(f)
		}
		binary.LittleEndian.PutUint16(dst[2*i:], h)
	}
}

// DecodeFloat16 widens little-endian binary16 src into dst exactly, as
// Float16ToFloat32. dst must hold len(src)/2 values.
func DecodeFloat16(dst []float32, src []byte) {
	n := len(src) / 2
	dst = dst[:n]
	inParallel(n, func(lo, hi int) { decodeHalves(dst[lo:hi], src[2*lo:2*hi]) })
}

func decodeHalves(dst []float32, src []byte) {
	src = src[:2*len(dst)]
	for i := range dst {
		h := uint32(binary.LittleEndian.Uint16(src[2*i:]))
		exp := h & 0x7c00
		if exp != 0 && exp != 0x7c00 {
			// Normal: move sign, rebias the exponent from 15 to 127.
			dst[i] = math.Float32frombits((h&0x8000)<<16 | ((h&0x7fff)<<13 + 0x38000000))
			continue
		}
		dst[i] = Float16ToFloat32(uint16(h))
	}
}

// inParallel calls f over [0,n) in contiguous pieces, one per core when n
// is large enough to be worth it.
func inParallel(n int, f func(lo, hi int)) {
	parts := min(runtime.GOMAXPROCS(0), n/(parallelMin/2))
	if n < parallelMin || parts < 2 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	step := (n + parts - 1) / parts
	for lo := 0; lo < n; lo += step {
		hi := min(lo+step, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}
