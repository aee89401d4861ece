package builtin

import (
	"math"

	"sumi/tensor"
)

// lanczos is ComfyUI's "lanczos" image upscale, which goes through Pillow:
// each plane is quantized to uint8 (clip(255*x), truncated), resized with
// Pillow's 8-bit fixed-point Lanczos-3 (horizontal pass, then vertical,
// each rounded back to uint8) and divided by 255. Reproducing Pillow's
// integer arithmetic gives the same bytes Pillow gives.
func lanczos(t *tensor.Tensor, width, height int) *tensor.Tensor {
	n, c, h, w := t.Shape[0], t.Shape[1], t.Shape[2], t.Shape[3]
	out := tensor.New(n, c, height, width)
	needH, needV := width != w, height != h
	kx := pilCoeffs(w, width)
	ky := pilCoeffs(h, height)
	plane := make([]uint8, h*w)
	for p := 0; p < n*c; p++ {
		for i, v := range t.Data[p*h*w : (p+1)*h*w] {
			plane[i] = toUint8(v)
		}
		img, iw := plane, w
		if needH {
			img, iw = pilPass(img, h, 1, w, kx), width
		}
		if needV {
			img = pilPass(img, iw, iw, 1, ky) // columns are the lines
		}
		dst := out.Data[p*height*width : (p+1)*height*width]
		for i, v := range img {
			dst[i] = float32(v) / 255
		}
	}
	return out
}

// toUint8 is numpy's clip(255*x, 0, 255).astype(uint8) in float32; NaN,
// which numpy leaves undefined, becomes 0.
func toUint8(v float32) uint8 {
	f := 255 * v
	switch {
	case !(f > 0):
		return 0
	case f >= 255:
		return 255
	}
	return uint8(f)
}

// pilPrecision is Pillow's PRECISION_BITS for 8-bit resampling.
const pilPrecision = 32 - 8 - 2

// pilKernel holds, per output sample, the first source index and the
// fixed-point weights.
type pilKernel struct {
	start []int
	k     [][]int32
}

// pilCoeffs is Pillow's precompute_coeffs + normalize_coeffs_8bpc for the
// Lanczos filter (support 3) and a full-size box.
func pilCoeffs(in, out int) pilKernel {
	scale := float64(in) / float64(out)
	filterscale := max(scale, 1)
	support := 3 * filterscale
	pk := pilKernel{start: make([]int, out), k: make([][]int32, out)}
	for o := 0; o < out; o++ {
		center := (float64(o) + 0.5) * scale
		xmin := max(int(center-support+0.5), 0)
		xmax := min(int(center+support+0.5), in) - xmin
		ws := make([]float64, max(xmax, 0))
		var sum float64
		for x := range ws {
			ws[x] = lanczosFilter((float64(x+xmin) - center + 0.5) / filterscale)
			sum += ws[x]
		}
		k := make([]int32, len(ws))
		for x, wv := range ws {
			if sum != 0 {
				wv /= sum
			}
			if wv < 0 {
				k[x] = int32(-0.5 + wv*(1<<pilPrecision))
			} else {
				k[x] = int32(0.5 + wv*(1<<pilPrecision))
			}
		}
		pk.start[o], pk.k[o] = xmin, k
	}
	return pk
}

func lanczosFilter(x float64) float64 {
	if x < -3 || x >= 3 {
		return 0
	}
	return sinc(x) * sinc(x/3)
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	x *= math.Pi
	return math.Sin(x) / x
}

// pilPass resamples along one axis. The image has `lines` lines; step is
// the distance between samples of a line and lineStep the distance between
// lines, so one function serves both passes.
func pilPass(src []uint8, lines, step, lineStep int, pk pilKernel) []uint8 {
	out := len(pk.k)
	dst := make([]uint8, lines*out)
	for l := 0; l < lines; l++ {
		for o, k := range pk.k {
			acc := int32(1 << (pilPrecision - 1))
			base := l*lineStep + pk.start[o]*step
			for i, kv := range k {
				acc += int32(src[base+i*step]) * kv
			}
			dst[pilIndex(l, o, lines, out, step)] = clip8(acc)
		}
	}
	return dst
}

// pilIndex places output sample o of line l: a horizontal pass (step 1)
// writes rows, a vertical pass writes columns of an out x lines image.
func pilIndex(l, o, lines, out, step int) int {
	if step == 1 {
		return l*out + o
	}
	return o*lines + l
}

func clip8(acc int32) uint8 {
	v := acc >> pilPrecision
	switch {
	case v < 0:
		return 0
	case v > 255:
		return 255
	}
	return uint8(v)
}
