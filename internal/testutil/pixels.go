package testutil

import (
	"image"
	"testing"
)

// PixelDiff compares two images of the same bounds: the largest
// per-channel difference in 8-bit levels and the fraction of pixels that
// differ at all. Callers state their own tolerance.
func PixelDiff(t testing.TB, got, want image.Image) (maxDiff int, frac float64) {
	t.Helper()
	if got.Bounds() != want.Bounds() {
		t.Fatalf("image %v, want %v", got.Bounds(), want.Bounds())
	}
	r := got.Bounds()
	off := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			gr, gg, gb, _ := got.At(x, y).RGBA()
			wr, wg, wb, _ := want.At(x, y).RGBA()
			d := int(max(diff16(gr, wr), diff16(gg, wg), diff16(gb, wb)) >> 8)
			maxDiff = max(maxDiff, d)
			if d > 0 {
				off++
			}
		}
	}
	if n := r.Dx() * r.Dy(); n > 0 {
		frac = float64(off) / float64(n)
	}
	return maxDiff, frac
}

func diff16(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}
