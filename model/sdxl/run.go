package sdxl

import (
	"context"
	"fmt"

	"sumi/runtime/ort"
	"sumi/tensor"
)

// UNet predicts the model output (eps for epsilon checkpoints) for
// x [B,in,h,w] (already scaled by c_in), per-item timesteps (0..999),
// context [B,L,context_dim] and, for SDXL, the ADM vector y [B,adm].
func (m *Model) UNet(ctx context.Context, x *tensor.Tensor, timesteps []float64, cond, y *tensor.Tensor) (*tensor.Tensor, error) {
	u := m.Config.UNet
	if u == nil {
		return nil, fmt.Errorf("%w: unet", ErrNoNetwork)
	}
	if err := checkUNetInputs(u, x, timesteps, cond, y); err != nil {
		return nil, err
	}
	s, err := m.unetSession()
	if err != nil {
		return nil, err
	}
	ts := make([]float32, len(timesteps))
	for i, t := range timesteps {
		ts[i] = float32(t)
	}
	in := []*ort.Tensor{m.input(x), ort.FromFloat32([]int64{int64(len(ts))}, ts), m.unetInputs.get("context", cond, m.input)}
	if u.ADMInChannels > 0 {
		in = append(in, m.unetInputs.get("y", y, m.input))
	}
	out := m.output(x.Shape[0], u.OutChannels, x.Shape[2], x.Shape[3])
	if err := s.Run(ctx, in, []*ort.Tensor{out}); err != nil {
		return nil, fmt.Errorf("sdxl: unet: %w", err)
	}
	return toTensor(out)
}

func checkUNetInputs(u *UNetConfig, x *tensor.Tensor, ts []float64, cond, y *tensor.Tensor) error {
	if x == nil || len(x.Shape) != 4 || x.Shape[1] != u.InChannels {
		return fmt.Errorf("sdxl: unet: x must be [B,%d,H,W], got %v", u.InChannels, shapeOf(x))
	}
	b := x.Shape[0]
	if len(ts) != b {
		return fmt.Errorf("sdxl: unet: %d timesteps for batch %d", len(ts), b)
	}
	if cond == nil || len(cond.Shape) != 3 || cond.Shape[0] != b || cond.Shape[2] != u.ContextDim {
		return fmt.Errorf("sdxl: unet: context must be [%d,L,%d], got %v", b, u.ContextDim, shapeOf(cond))
	}
	if u.ADMInChannels > 0 && (y == nil || len(y.Shape) != 2 || y.Shape[0] != b || y.Shape[1] != u.ADMInChannels) {
		return fmt.Errorf("sdxl: unet: y must be [%d,%d], got %v", b, u.ADMInChannels, shapeOf(y))
	}
	return nil
}

func shapeOf(t *tensor.Tensor) any {
	if t == nil {
		return "nil"
	}
	return t.Shape
}

// DecodeVAE decodes an unscaled latent [B,z,h,w] to an image [B,H,W,3] in
// [0,1] (ComfyUI's IMAGE layout).
func (m *Model) DecodeVAE(ctx context.Context, latent *tensor.Tensor) (*tensor.Tensor, error) {
	v := m.Config.VAE
	if v == nil {
		return nil, fmt.Errorf("%w: vae", ErrNoNetwork)
	}
	if latent == nil || len(latent.Shape) != 4 || latent.Shape[1] != v.ZChannels {
		return nil, fmt.Errorf("sdxl: vae decode: latent must be [B,%d,h,w], got %v", v.ZChannels, shapeOf(latent))
	}
	s, err := m.vaeDecoderSession()
	if err != nil {
		return nil, err
	}
	f := v.Downscale
	out := m.output(latent.Shape[0], latent.Shape[2]*f, latent.Shape[3]*f, v.OutCh)
	if err := s.Run(ctx, []*ort.Tensor{m.input(latent)}, []*ort.Tensor{out}); err != nil {
		return nil, fmt.Errorf("sdxl: vae decode: %w", err)
	}
	return toTensor(out)
}

// EncodeVAE encodes an image [B,H,W,3] in [0,1] to the unscaled latent mean.
// Like ComfyUI's VAEEncode, sizes that are not multiples of the VAE's
// downscale factor are centre-cropped to the nearest smaller multiple.
func (m *Model) EncodeVAE(ctx context.Context, image *tensor.Tensor) (*tensor.Tensor, error) {
	v := m.Config.VAE
	if v == nil || !v.HasEncoder {
		return nil, fmt.Errorf("%w: vae encoder", ErrNoNetwork)
	}
	if image == nil || len(image.Shape) != 4 || image.Shape[3] != v.InChannels {
		return nil, fmt.Errorf("sdxl: vae encode: image must be [B,H,W,%d], got %v", v.InChannels, shapeOf(image))
	}
	image = cropToMultiple(image, v.Downscale)
	if image.Shape[1] == 0 || image.Shape[2] == 0 {
		return nil, fmt.Errorf("sdxl: vae encode: image smaller than %d pixels", v.Downscale)
	}
	s, err := m.vaeEncoderSession()
	if err != nil {
		return nil, err
	}
	f := v.Downscale
	out := m.output(image.Shape[0], v.EmbedDim, image.Shape[1]/f, image.Shape[2]/f)
	if err := s.Run(ctx, []*ort.Tensor{m.input(image)}, []*ort.Tensor{out}); err != nil {
		return nil, fmt.Errorf("sdxl: vae encode: %w", err)
	}
	return toTensor(out)
}

// cropToMultiple centre-crops [B,H,W,C] so H and W are multiples of f, with
// ComfyUI's offset of (size % f) / 2.
func cropToMultiple(img *tensor.Tensor, f int) *tensor.Tensor {
	b, h, w, c := img.Shape[0], img.Shape[1], img.Shape[2], img.Shape[3]
	nh, nw := h/f*f, w/f*f
	if nh == h && nw == w {
		return img
	}
	oy, ox := (h%f)/2, (w%f)/2
	out := tensor.New(b, nh, nw, c)
	for i := 0; i < b; i++ {
		for y := 0; y < nh; y++ {
			src := ((i*h+y+oy)*w + ox) * c
			dst := (i*nh + y) * nw * c
			copy(out.Data[dst:dst+nw*c], img.Data[src:src+nw*c])
		}
	}
	return out
}
