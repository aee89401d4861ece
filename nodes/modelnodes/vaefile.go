package modelnodes

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"sumi/model/sdxl"
	"sumi/tensor"
)

// pixelSpace is VAELoader's identity VAE: images and "latents" are the
// same pixels, the latent in [-1,1] channels first (ComfyUI's
// PixelspaceConversionVAE, used by pixel-space diffusion models).
const pixelSpace = "pixel_space"

// ErrPickle is returned for model files that are not safetensors: ComfyUI
// reads .ckpt/.pt/.pth/.bin with torch.load (a Python pickle), which sumi
// never runs.
var ErrPickle = errors.New("modelnodes: pickle model files (.ckpt, .pt, .pth, .bin) are not supported; use the .safetensors version")

// safetensorsName rejects names that ComfyUI would open with torch.load
// rather than as safetensors (it decides by the extension, as here).
func safetensorsName(name string) error {
	switch strings.ToLower(path.Ext(name)) {
	case ".safetensors", ".sft":
		return nil
	}
	return ErrPickle
}

// loadVAE is VAELoader: pixel_space, or a file of models/vae holding a VAE
// with or without the checkpoint's key prefix (a full checkpoint works too).
func (env Env) loadVAE(name string) ([]any, error) {
	if name == pixelSpace {
		return []any{&VAE{pixel: true}}, nil
	}
	if err := safetensorsName(name); err != nil {
		return nil, fmt.Errorf("modelnodes: vae %q: %w", name, err)
	}
	p, err := env.Folders.ModelPath("vae", name)
	if err != nil {
		return nil, fmt.Errorf("modelnodes: vae %q: %w", name, err)
	}
	m, err := env.Cache.OpenVAE(p)
	if nv := (*sdxl.NotVAEError)(nil); errors.As(err, &nv) {
		return nil, fmt.Errorf("modelnodes: vae %q: %w", name, nv) // the path adds nothing here
	}
	if err != nil {
		return nil, fmt.Errorf("modelnodes: vae %q: %w", name, err)
	}
	return []any{&VAE{m: m}}, nil
}

// decode turns an unscaled latent into an IMAGE [B,H,W,C] in [0,1].
func (v *VAE) decode(ctx context.Context, latent *tensor.Tensor) (*tensor.Tensor, error) {
	if v.pixel {
		return pixelDecode(latent)
	}
	return v.m.DecodeVAE(ctx, latent)
}

// encode turns an IMAGE [B,H,W,3] into an unscaled latent.
func (v *VAE) encode(ctx context.Context, img *tensor.Tensor) (*tensor.Tensor, error) {
	if v.pixel {
		return pixelEncode(img)
	}
	return v.m.EncodeVAE(ctx, img)
}

// downscale is the pixel-to-latent size ratio.
func (v *VAE) downscale() int {
	if v.pixel {
		return 1
	}
	return v.m.Config.VAE.Downscale
}

// pixelDecode maps a pixel-space latent [B,3,H,W] in [-1,1] to an image
// [B,H,W,3]: clamp((x+1)/2, 0, 1), ComfyUI's VAE output mapping around an
// identity decoder. Like ComfyUI, which decodes into a 3-channel buffer,
// other channel counts are an error.
func pixelDecode(l *tensor.Tensor) (*tensor.Tensor, error) {
	if l == nil || len(l.Shape) != 4 || l.Shape[1] != 3 {
		return nil, fmt.Errorf("modelnodes: pixel_space vae decode: latent must be [B,3,H,W], got %v", shapeOf(l))
	}
	b, h, w := l.Shape[0], l.Shape[2], l.Shape[3]
	out := tensor.New(b, h, w, 3)
	for i := 0; i < b; i++ {
		for c := 0; c < 3; c++ {
			plane := l.Data[(i*3+c)*h*w : (i*3+c+1)*h*w]
			for j, x := range plane {
				out.Data[(i*h*w+j)*3+c] = min(max((x+1)/2, 0), 1)
			}
		}
	}
	return out, nil
}

// pixelEncode maps an image [B,H,W,3] in [0,1] to the pixel-space latent
// [B,3,H,W] = 2x-1 (no crop: the downscale factor is 1).
func pixelEncode(img *tensor.Tensor) (*tensor.Tensor, error) {
	if img == nil || len(img.Shape) != 4 || img.Shape[3] != 3 {
		return nil, fmt.Errorf("modelnodes: pixel_space vae encode: image must be [B,H,W,3], got %v", shapeOf(img))
	}
	b, h, w := img.Shape[0], img.Shape[1], img.Shape[2]
	out := tensor.New(b, 3, h, w)
	for i := 0; i < b; i++ {
		for j := 0; j < h*w; j++ {
			for c := 0; c < 3; c++ {
				out.Data[(i*3+c)*h*w+j] = img.Data[(i*h*w+j)*3+c]*2 - 1
			}
		}
	}
	return out, nil
}
