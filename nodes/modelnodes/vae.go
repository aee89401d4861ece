package modelnodes

import (
	"context"
	"errors"
	"fmt"
	"math"

	"sumi/nodes"
	"sumi/tensor"
)

func vaeSpecs() []nodes.Spec {
	vae := nodes.Socket("vae", nodes.TypeVAE)
	return []nodes.Spec{
		{
			Name: "VAEDecode", DisplayName: "VAE Decode", Category: "latent",
			Description: "Decodes latent images back into pixel space images.",
			Inputs: []nodes.Input{
				nodes.Socket("samples", nodes.TypeLatent).Tooltip("The latent to be decoded."),
				vae.Tooltip("The VAE model used for decoding the latent."),
			},
			Outputs: []nodes.Output{{Type: nodes.TypeImage, Tooltip: "The decoded image."}},
			Run:     decode,
		},
		{
			Name: "VAEEncode", DisplayName: "VAE Encode", Category: "latent",
			Inputs:  []nodes.Input{nodes.Socket("pixels", nodes.TypeImage), vae},
			Outputs: []nodes.Output{{Type: nodes.TypeLatent}},
			Run:     encode,
		},
		{
			Name: "VAEEncodeForInpaint", DisplayName: "VAE Encode (for Inpainting)", Category: "latent/inpaint",
			Inputs: []nodes.Input{
				nodes.Socket("pixels", nodes.TypeImage), vae, nodes.Socket("mask", nodes.TypeMask),
				nodes.Int("grow_mask_by", 6).Range(0, 64).Step(1),
			},
			Outputs: []nodes.Output{{Type: nodes.TypeLatent}},
			Run:     encodeForInpaint,
		},
		{
			Name: "SetLatentNoiseMask", DisplayName: "Set Latent Noise Mask", Category: "latent/inpaint",
			Inputs:  []nodes.Input{nodes.Socket("samples", nodes.TypeLatent), nodes.Socket("mask", nodes.TypeMask)},
			Outputs: []nodes.Output{{Type: nodes.TypeLatent}},
			Run: func(ctx context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
				l, err := in.Latent("samples")
				if err != nil {
					return nil, err
				}
				m, err := in.Mask("mask")
				if err != nil {
					return nil, err
				}
				if m == nil || len(m.Shape) < 2 || m.Len() == 0 {
					return nil, fmt.Errorf("modelnodes: mask must be [B,H,W] or [H,W], got %v", shapeOf(m))
				}
				h, w := m.Shape[len(m.Shape)-2], m.Shape[len(m.Shape)-1]
				l.NoiseMask = tensor.FromData(m.Data, m.Len()/(h*w), 1, h, w)
				return []any{l}, nil
			},
		},
	}
}

func getVAE(in nodes.Args) (*VAE, error) {
	v, err := nodes.Get[*VAE](in, "vae")
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, errors.New("modelnodes: vae input is invalid: None\n\nIf the vae is from a checkpoint loader node your checkpoint does not contain a valid vae")
	}
	return v, nil
}

func decode(ctx context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
	v, err := getVAE(in)
	if err != nil {
		return nil, err
	}
	l, err := in.Latent("samples")
	if err != nil {
		return nil, err
	}
	img, err := v.decode(ctx, l.Samples)
	if err != nil {
		return nil, err
	}
	return []any{img}, nil
}

func encode(ctx context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
	v, err := getVAE(in)
	if err != nil {
		return nil, err
	}
	px, err := in.Image("pixels")
	if err != nil {
		return nil, err
	}
	t, err := v.encode(ctx, rgb(px))
	if err != nil {
		return nil, err
	}
	return []any{nodes.Latent{Samples: t}}, nil
}

// rgb drops channels beyond the third (pixels[:,:,:,:3]).
func rgb(img *tensor.Tensor) *tensor.Tensor {
	if img == nil || len(img.Shape) != 4 || img.Shape[3] <= 3 {
		return img
	}
	b, h, w, c := img.Shape[0], img.Shape[1], img.Shape[2], img.Shape[3]
	out := tensor.New(b, h, w, 3)
	for i := 0; i < b*h*w; i++ {
		copy(out.Data[i*3:i*3+3], img.Data[i*c:i*c+3])
	}
	return out
}

// encodeForInpaint is VAEEncodeForInpaint: the masked pixels are set to
// grey before encoding and the grown mask becomes the noise mask.
func encodeForInpaint(ctx context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
	v, err := getVAE(in)
	if err != nil {
		return nil, err
	}
	px, err := in.Image("pixels")
	if err != nil {
		return nil, err
	}
	mask, err := in.Mask("mask")
	if err != nil {
		return nil, err
	}
	if px == nil || len(px.Shape) != 4 || mask == nil || len(mask.Shape) < 2 || mask.Len() == 0 {
		return nil, fmt.Errorf("modelnodes: want pixels [B,H,W,C] and mask [B,H,W], got %v and %v", shapeOf(px), shapeOf(mask))
	}
	px = rgb(px)
	f := v.downscale()
	b, h, w := px.Shape[0], px.Shape[1], px.Shape[2]
	nh, nw := h/f*f, w/f*f
	oy, ox := (h%f)/2, (w%f)/2
	mh, mw := mask.Shape[len(mask.Shape)-2], mask.Shape[len(mask.Shape)-1]
	mb := mask.Len() / (mh * mw)
	m := resizeMask(mask.Data, mb, mh, mw, h, w) // [mb, h, w]
	pixels := tensor.New(b, nh, nw, 3)
	for i := 0; i < b; i++ {
		mi := (i % mb) * h * w // ComfyUI broadcasts a single mask over the batch
		for y := 0; y < nh; y++ {
			for x := 0; x < nw; x++ {
				keep := 1 - float32(math.RoundToEven(float64(m[mi+(y+oy)*w+x+ox])))
				src := ((i*h+y+oy)*w + x + ox) * 3
				dst := ((i*nh+y)*nw + x) * 3
				for c := 0; c < 3; c++ {
					pixels.Data[dst+c] = (px.Data[src+c]-0.5)*keep + 0.5
				}
			}
		}
	}
	t, err := v.encode(ctx, pixels)
	if err != nil {
		return nil, err
	}
	grown := growMask(m, mb, h, w, oy, ox, nh, nw, int(in.Int("grow_mask_by")))
	return []any{nodes.Latent{Samples: t, NoiseMask: grown}}, nil
}

// resizeMask is torch's bilinear interpolate (align_corners=False) of
// [n, sh, sw] to [n, dh, dw].
func resizeMask(src []float32, n, sh, sw, dh, dw int) []float32 {
	out := make([]float32, n*dh*dw)
	sy, sx := float64(sh)/float64(dh), float64(sw)/float64(dw)
	for k := 0; k < n; k++ {
		s := src[k*sh*sw : (k+1)*sh*sw]
		for y := 0; y < dh; y++ {
			fy := math.Max((float64(y)+0.5)*sy-0.5, 0)
			y0 := min(int(fy), sh-1)
			y1, wy := min(y0+1, sh-1), float32(fy-float64(y0))
			for x := 0; x < dw; x++ {
				fx := math.Max((float64(x)+0.5)*sx-0.5, 0)
				x0 := min(int(fx), sw-1)
				x1, wx := min(x0+1, sw-1), float32(fx-float64(x0))
				top := s[y0*sw+x0]*(1-wx) + s[y0*sw+x1]*wx
				bot := s[y1*sw+x0]*(1-wx) + s[y1*sw+x1]*wx
				out[(k*dh+y)*dw+x] = top*(1-wy) + bot*wy
			}
		}
	}
	return out
}

// growMask dilates the rounded mask with a g×g box (conv2d with padding
// ceil((g-1)/2), clamped to 1), cropped like the pixels; result
// [n, 1, nh, nw].
func growMask(m []float32, n, h, w, oy, ox, nh, nw, g int) *tensor.Tensor {
	out := tensor.New(n, 1, nh, nw)
	pad := g / 2 // ceil((g-1)/2)
	at := func(k, y, x int) float32 {
		if y < 0 || y >= nh || x < 0 || x >= nw {
			return 0
		}
		return float32(math.RoundToEven(float64(m[(k*h+y+oy)*w+x+ox])))
	}
	for k := 0; k < n; k++ {
		for y := 0; y < nh; y++ {
			for x := 0; x < nw; x++ {
				var s float32
				if g == 0 {
					s = at(k, y, x)
				}
				for dy := 0; dy < g; dy++ {
					for dx := 0; dx < g; dx++ {
						s += at(k, y-pad+dy, x-pad+dx)
					}
				}
				out.Data[(k*nh+y)*nw+x] = float32(math.RoundToEven(float64(min(max(s, 0), 1))))
			}
		}
	}
	return out
}
