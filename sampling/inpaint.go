package sampling

import (
	"context"
	"fmt"
	"math"

	"sumi/tensor"
	"sumi/torchrand"
)

// inpaintDenoiser is ComfyUI's KSamplerX0Inpaint: outside the mask the model
// sees the original latent noised to the current sigma, and its prediction
// there is replaced by the original latent.
type inpaintDenoiser struct {
	inner         Denoiser
	mask          *tensor.Tensor // latent-shaped, 1 = sample
	latent, noise *tensor.Tensor
}

var _ UncondDenoiser = (*inpaintDenoiser)(nil)

// inpaint wraps den so that only the masked region is sampled; the rest is
// the scaled latent, noised to each step's level with noise.
func inpaint(den Denoiser, noiseMask, scaled, noise *tensor.Tensor, seed uint64, samplerName string) (Denoiser, error) {
	mask, err := prepareMask(noiseMask, scaled.Shape)
	if err != nil {
		return nil, err
	}
	if samplerName == "ddim" {
		// ComfyUI's ddim entry noises the kept region with a fresh draw.
		noise = torchrand.New(seed + 1).Randn(scaled.Shape...)
	}
	return &inpaintDenoiser{inner: den, mask: mask, latent: scaled, noise: noise}, nil
}

// blendInput mixes x with the noised original latent outside the mask.
func (d *inpaintDenoiser) blendInput(x *tensor.Tensor, sigma float64) *tensor.Tensor {
	out := tensor.New(x.Shape...)
	s := float32(sigma)
	for i, m := range d.mask.Data {
		keep := float32(d.noise.Data[i]*s) + d.latent.Data[i]
		out.Data[i] = x.Data[i]*m + keep*(1-m)
	}
	return out
}

// blendOutput puts the original latent back outside the mask.
func (d *inpaintDenoiser) blendOutput(den *tensor.Tensor) *tensor.Tensor {
	out := tensor.New(den.Shape...)
	for i, m := range d.mask.Data {
		out.Data[i] = den.Data[i]*m + d.latent.Data[i]*(1-m)
	}
	return out
}

// Denoise implements Denoiser.
func (d *inpaintDenoiser) Denoise(ctx context.Context, x *tensor.Tensor, sigma float64) (*tensor.Tensor, error) {
	den, err := d.inner.Denoise(ctx, d.blendInput(x, sigma), sigma)
	if err != nil {
		return nil, err
	}
	if !den.SameShape(x) {
		return nil, fmt.Errorf("sampling: model returned %v for input %v", den, x)
	}
	return d.blendOutput(den), nil
}

// DenoiseUncond implements UncondDenoiser; the uncond prediction is passed
// on unblended, as ComfyUI's post-CFG hook sees it.
func (d *inpaintDenoiser) DenoiseUncond(ctx context.Context, x *tensor.Tensor, sigma float64) (den, uncond *tensor.Tensor, err error) {
	u, ok := d.inner.(UncondDenoiser)
	if !ok {
		den, err := d.Denoise(ctx, x, sigma)
		return den, den, err
	}
	den, uncond, err = u.DenoiseUncond(ctx, d.blendInput(x, sigma), sigma)
	if err != nil {
		return nil, nil, err
	}
	if !den.SameShape(x) || !uncond.SameShape(x) {
		return nil, nil, fmt.Errorf("sampling: model returned %v for input %v", den, x)
	}
	return d.blendOutput(den), uncond, nil
}

// prepareMask resizes a noise mask to the latent's h×w (bilinear, corners
// not aligned, like torch's interpolate), repeats it over the channels and
// repeats or cuts it to the batch size.
func prepareMask(m *tensor.Tensor, shape []int) (*tensor.Tensor, error) {
	var mb, mh, mw int
	switch len(m.Shape) {
	case 2:
		mb, mh, mw = 1, m.Shape[0], m.Shape[1]
	case 3:
		mb, mh, mw = m.Shape[0], m.Shape[1], m.Shape[2]
	case 4:
		if m.Shape[1] != 1 {
			return nil, fmt.Errorf("sampling: noise mask %v must have one channel", m.Shape)
		}
		mb, mh, mw = m.Shape[0], m.Shape[2], m.Shape[3]
	default:
		return nil, fmt.Errorf("sampling: noise mask %v: want [h,w], [B,h,w] or [B,1,h,w]", m.Shape)
	}
	if mb <= 0 || mh <= 0 || mw <= 0 || m.Len() != mb*mh*mw {
		return nil, fmt.Errorf("sampling: noise mask %v is empty or inconsistent", m.Shape)
	}
	b, c, h, w := shape[0], shape[1], shape[2], shape[3]
	out := tensor.New(shape...)
	plane := make([]float32, h*w)
	for bi := 0; bi < b; bi++ {
		src := m.Data[(bi%mb)*mh*mw : (bi%mb+1)*mh*mw]
		resizeBilinear(src, mh, mw, plane, h, w)
		for ci := 0; ci < c; ci++ {
			copy(out.Data[(bi*c+ci)*h*w:], plane)
		}
	}
	return out, nil
}

// resizeBilinear is torch's bilinear interpolation with align_corners=False.
func resizeBilinear(src []float32, sh, sw int, dst []float32, dh, dw int) {
	sy, sx := float64(sh)/float64(dh), float64(sw)/float64(dw)
	for y := 0; y < dh; y++ {
		fy := math.Max((float64(y)+0.5)*sy-0.5, 0)
		y0 := min(int(fy), sh-1)
		y1 := min(y0+1, sh-1)
		wy := fy - float64(y0)
		for x := 0; x < dw; x++ {
			fx := math.Max((float64(x)+0.5)*sx-0.5, 0)
			x0 := min(int(fx), sw-1)
			x1 := min(x0+1, sw-1)
			wx := fx - float64(x0)
			top := float64(src[y0*sw+x0])*(1-wx) + float64(src[y0*sw+x1])*wx
			bot := float64(src[y1*sw+x0])*(1-wx) + float64(src[y1*sw+x1])*wx
			dst[y*dw+x] = float32(top*(1-wy) + bot*wy)
		}
	}
}
