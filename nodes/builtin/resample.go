package builtin

import (
	"fmt"
	"math"

	"sumi/tensor"
)

// maxElements bounds the tensors these nodes allocate (8 GiB of float32),
// so an absurd size fails the node instead of killing the process.
const maxElements = 1 << 31

// upscale is ComfyUI's comfy.utils.common_upscale on an [N,C,H,W] tensor:
// optional center crop to the target aspect, then resampling to
// width x height with one of the upscale methods.
func upscale(t *tensor.Tensor, width, height int, method, crop string) (*tensor.Tensor, error) {
	if len(t.Shape) != 4 {
		return nil, fmt.Errorf("builtin: upscale: want a 4-d tensor, got shape %v", t.Shape)
	}
	n, c := t.Shape[0], t.Shape[1]
	if width <= 0 || height <= 0 || t.Shape[2] <= 0 || t.Shape[3] <= 0 {
		return nil, fmt.Errorf("builtin: upscale: input and output sizes should be greater than 0, got %dx%d -> %dx%d",
			t.Shape[3], t.Shape[2], width, height)
	}
	if n*c*width*height > maxElements || n*c*width*height < 0 {
		return nil, fmt.Errorf("builtin: upscale: %dx%d x %d x %d is too large", width, height, c, n)
	}
	if crop == "center" {
		t = centerCrop(t, width, height)
	}
	switch method {
	case "nearest-exact":
		return separable(t, height, width, nearestExactWeights), nil
	case "bilinear":
		return separable(t, height, width, bilinearWeights), nil
	case "bicubic":
		return separable(t, height, width, bicubicWeights), nil
	case "area":
		return area(t, height, width), nil
	case "bislerp":
		return bislerp(t, width, height), nil
	case "lanczos":
		return lanczos(t, width, height), nil
	}
	return nil, fmt.Errorf("builtin: unknown upscale method %q", method)
}

// centerCrop narrows t to the target aspect ratio as ComfyUI does (Python
// round, i.e. half to even, on the margins).
func centerCrop(t *tensor.Tensor, width, height int) *tensor.Tensor {
	oh, ow := t.Shape[2], t.Shape[3]
	oldAspect := float64(ow) / float64(oh)
	newAspect := float64(width) / float64(height)
	x, y := 0, 0
	if oldAspect > newAspect {
		x = int(math.RoundToEven((float64(ow) - float64(ow)*(newAspect/oldAspect)) / 2))
	} else if oldAspect < newAspect {
		y = int(math.RoundToEven((float64(oh) - float64(oh)*(oldAspect/newAspect)) / 2))
	}
	if x == 0 && y == 0 {
		return t
	}
	nh, nw := oh-2*y, ow-2*x
	out := tensor.New(t.Shape[0], t.Shape[1], nh, nw)
	planes := t.Shape[0] * t.Shape[1]
	for p := 0; p < planes; p++ {
		for r := 0; r < nh; r++ {
			src := t.Data[p*oh*ow+(r+y)*ow+x:]
			copy(out.Data[p*nh*nw+r*nw:p*nh*nw+(r+1)*nw], src[:nw])
		}
	}
	return out
}

// taps are the source indices and weights of one output sample along an axis.
type taps struct {
	idx []int
	w   []float32
}

type weightFunc func(in, out int) []taps

// separable resamples every [H,W] plane, along W first and then along H,
// which is the order in which torch's CPU kernels accumulate.
func separable(t *tensor.Tensor, outH, outW int, wf weightFunc) *tensor.Tensor {
	n, c, h, w := t.Shape[0], t.Shape[1], t.Shape[2], t.Shape[3]
	wx, wy := wf(w, outW), wf(h, outH)
	out := tensor.New(n, c, outH, outW)
	rows := make([]float32, h*outW)
	for p := 0; p < n*c; p++ {
		src := t.Data[p*h*w : (p+1)*h*w]
		for r := 0; r < h; r++ {
			applyTaps(rows[r*outW:(r+1)*outW], src[r*w:(r+1)*w], 1, wx)
		}
		dst := out.Data[p*outH*outW : (p+1)*outH*outW]
		for col := 0; col < outW; col++ {
			for o, tp := range wy {
				var s float32
				for k, i := range tp.idx {
					s += float32(rows[i*outW+col] * tp.w[k])
				}
				dst[o*outW+col] = s
			}
		}
	}
	return out
}

func applyTaps(dst, src []float32, stride int, ws []taps) {
	for o, tp := range ws {
		var s float32
		for k, i := range tp.idx {
			s += float32(src[i*stride] * tp.w[k])
		}
		dst[o] = s
	}
}

// nearestExactWeights is torch's "nearest-exact": source index
// floor((o + 0.5) * in/out), clamped.
func nearestExactWeights(in, out int) []taps {
	scale := float32(in) / float32(out)
	ts := make([]taps, out)
	for o := range ts {
		f := float32((float64(o) + 0.5) * float64(scale))
		i := min(int(math.Floor(float64(f))), in-1)
		ts[o] = taps{idx: []int{i}, w: []float32{1}}
	}
	return ts
}

// bilinearWeights is torch's bilinear with align_corners=False: source
// position (o + 0.5) * in/out - 0.5 clamped at 0, two taps.
func bilinearWeights(in, out int) []taps {
	scale := float32(in) / float32(out)
	ts := make([]taps, out)
	for o := range ts {
		src := max(scale*(float32(o)+0.5)-0.5, 0)
		i0 := min(int(src), in-1)
		l1 := min(max(src-float32(i0), 0), 1)
		i1 := i0
		if i0 < in-1 {
			i1 = i0 + 1
		}
		ts[o] = taps{idx: []int{i0, i1}, w: []float32{1 - l1, l1}}
	}
	return ts
}

// bicubicWeights is torch's bicubic (A = -0.75, align_corners=False):
// four taps around floor(src), indices clamped to the edge.
func bicubicWeights(in, out int) []taps {
	const a = -0.75
	scale := float32(in) / float32(out)
	ts := make([]taps, out)
	for o := range ts {
		src := scale*(float32(o)+0.5) - 0.5
		fl := float32(math.Floor(float64(src)))
		i0 := min(int(fl), in-1)
		t := min(max(src-float32(i0), 0), 1)
		x2 := 1 - t
		w := []float32{cubic2(t+1, a), cubic1(t, a), cubic1(x2, a), cubic2(x2+1, a)}
		idx := make([]int, 4)
		for k := range idx {
			idx[k] = min(max(i0-1+k, 0), in-1)
		}
		ts[o] = taps{idx: idx, w: w}
	}
	return ts
}

func cubic1(x, a float32) float32 { return ((a+2)*x-(a+3))*x*x + 1 }

func cubic2(x, a float32) float32 { return ((a*x-5*a)*x+8*a)*x - 4*a }

// area is torch's "area" mode, adaptive average pooling: output cell o
// averages source cells floor(o*in/out) to ceil((o+1)*in/out). The 2-d
// window is summed row by row and divided by its height, then its width,
// as torch does.
func area(t *tensor.Tensor, outH, outW int) *tensor.Tensor {
	n, c, h, w := t.Shape[0], t.Shape[1], t.Shape[2], t.Shape[3]
	out := tensor.New(n, c, outH, outW)
	for p := 0; p < n*c; p++ {
		src := t.Data[p*h*w : (p+1)*h*w]
		dst := out.Data[p*outH*outW : (p+1)*outH*outW]
		for oy := 0; oy < outH; oy++ {
			y0, y1 := oy*h/outH, ((oy+1)*h+outH-1)/outH
			for ox := 0; ox < outW; ox++ {
				x0, x1 := ox*w/outW, ((ox+1)*w+outW-1)/outW
				var s float32
				for y := y0; y < y1; y++ {
					for x := x0; x < x1; x++ {
						s += src[y*w+x]
					}
				}
				dst[oy*outW+ox] = s / float32(y1-y0) / float32(x1-x0)
			}
		}
	}
	return out
}
