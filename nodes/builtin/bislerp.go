package builtin

import (
	"math"

	"sumi/tensor"
)

// bislerp is ComfyUI's "bislerp" latent upscale: a bilinear resize where
// each pair of channel vectors is blended by spherical linear interpolation
// (direction slerped, length lerped), first along the width, then along the
// height. Sample positions come from torch's bilinear interpolation of the
// index ramp, as in comfy.utils.bislerp.
func bislerp(t *tensor.Tensor, width, height int) *tensor.Tensor {
	n, c, h, w := t.Shape[0], t.Shape[1], t.Shape[2], t.Shape[3]
	mid := tensor.New(n, c, h, width)
	ratios, c1, c2 := bilinearCoords(w, width)
	a, b, r := make([]float32, c), make([]float32, c), make([]float32, c)
	for bi := 0; bi < n; bi++ {
		for y := 0; y < h; y++ {
			for x := 0; x < width; x++ {
				gather(a, t.Data, bi, c, h, w, y, c1[x])
				gather(b, t.Data, bi, c, h, w, y, c2[x])
				slerp(r, a, b, ratios[x])
				scatter(mid.Data, r, bi, c, h, width, y, x)
			}
		}
	}
	out := tensor.New(n, c, height, width)
	ratios, c1, c2 = bilinearCoords(h, height)
	for bi := 0; bi < n; bi++ {
		for y := 0; y < height; y++ {
			for x := 0; x < width; x++ {
				gather(a, mid.Data, bi, c, h, width, c1[y], x)
				gather(b, mid.Data, bi, c, h, width, c2[y], x)
				slerp(r, a, b, ratios[y])
				scatter(out.Data, r, bi, c, height, width, y, x)
			}
		}
	}
	return out
}

// gather copies the channel vector at (bi, y, x) of an [n,c,h,w] array.
func gather(dst, data []float32, bi, c, h, w, y, x int) {
	for ch := 0; ch < c; ch++ {
		dst[ch] = data[((bi*c+ch)*h+y)*w+x]
	}
}

func scatter(data, src []float32, bi, c, h, w, y, x int) {
	for ch := 0; ch < c; ch++ {
		data[((bi*c+ch)*h+y)*w+x] = src[ch]
	}
}

// bilinearCoords is generate_bilinear_data: the bilinear resize of the
// ramp 0..old-1 gives the left index and the blend ratio of every output
// position, the resize of 1..old-1,old-1 the right index.
func bilinearCoords(old, size int) (ratios []float32, c1, c2 []int) {
	ws := bilinearWeights(old, size)
	ratios, c1, c2 = make([]float32, size), make([]int, size), make([]int, size)
	for o, tp := range ws {
		v1 := lerpRamp(tp, func(i int) float32 { return float32(i) })
		v2 := lerpRamp(tp, func(i int) float32 { return float32(min(i+1, old-1)) })
		ratios[o] = v1 - float32(math.Floor(float64(v1)))
		c1[o], c2[o] = int(v1), int(v2)
	}
	return ratios, c1, c2
}

func lerpRamp(tp taps, val func(int) float32) float32 {
	var s float32
	for k, i := range tp.idx {
		s += float32(val(i) * tp.w[k])
	}
	return s
}

// slerp blends vectors a and b by ratio r into dst, as ComfyUI's bislerp
// helper: unit directions are slerped, norms lerped; nearly equal
// directions take a, nearly opposite ones a plain lerp.
func slerp(dst, a, b []float32, r float32) {
	na, nb := norm(a), norm(b)
	var dot float32
	for i := range a {
		dot += float32(unit(a[i], na) * unit(b[i], nb))
	}
	switch {
	case dot > float32(1-1e-5):
		copy(dst, a)
		return
	case dot < float32(1e-5-1):
		for i := range a {
			dst[i] = float32(a[i]*(1-r)) + float32(b[i]*r)
		}
		return
	}
	omega := math.Acos(float64(dot))
	so := float32(math.Sin(omega))
	fa := float32(math.Sin(float64((1-r)*float32(omega)))) / so
	fb := float32(math.Sin(float64(r*float32(omega)))) / so
	scale := float32(na*(1-r)) + float32(nb*r)
	for i := range a {
		v := float32(fa*unit(a[i], na)) + float32(fb*unit(b[i], nb))
		dst[i] = v * scale
	}
}

func unit(v, n float32) float32 {
	if n == 0 {
		return 0
	}
	return v / n
}

func norm(v []float32) float32 {
	var s float32
	for _, x := range v {
		s += float32(x * x)
	}
	return float32(math.Sqrt(float64(s)))
}
