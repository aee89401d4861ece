// Package preview renders ComfyUI's cheap "latent2rgb" preview of a latent
// during sampling: each latent pixel is mapped linearly to RGB and the
// picture is encoded as a small JPEG for the websocket's binary frames.
package preview

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"

	"golang.org/x/image/draw"

	"sumi/tensor"
)

// Factors is a linear latent-to-RGB map: rgb = Σ_c latent_c·RGB[c] + Bias.
type Factors struct {
	RGB  [][3]float32
	Bias [3]float32
}

// SDXL holds ComfyUI's latent2rgb factors for SDXL latents (in the model's
// scaled latent space, as the sampler's denoised estimate is).
var SDXL = Factors{
	RGB: [][3]float32{
		{0.3651, 0.4232, 0.4341},
		{-0.2533, -0.0042, 0.1068},
		{0.1076, 0.1111, -0.0362},
		{-0.3165, -0.2492, -0.2188},
	},
	Bias: [3]float32{0.1084, -0.0175, -0.0011},
}

// Defaults of ComfyUI's previews.
const (
	MaxSide = 512
	Quality = 95
)

// Image maps the first batch item of a [B, C, h, w] latent to an h×w RGB
// image: ((rgb + 1)/2) clamped to [0, 1], times 255, truncated.
func Image(x0 *tensor.Tensor, f Factors) (*image.RGBA, error) {
	if x0 == nil || len(x0.Shape) != 4 || x0.Shape[0] < 1 {
		return nil, fmt.Errorf("preview: latent must be [B, C, h, w], got %v", x0)
	}
	c, h, w := x0.Shape[1], x0.Shape[2], x0.Shape[3]
	if c != len(f.RGB) || h <= 0 || w <= 0 {
		return nil, fmt.Errorf("preview: latent %v does not fit %d-channel factors", x0.Shape, len(f.RGB))
	}
	if len(x0.Data) < c*h*w {
		return nil, fmt.Errorf("preview: latent %v has %d values", x0.Shape, len(x0.Data))
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	plane := h * w
	for p := 0; p < plane; p++ {
		rgb := f.Bias
		for ch := 0; ch < c; ch++ {
			v := x0.Data[ch*plane+p]
			for k := 0; k < 3; k++ {
				rgb[k] += v * f.RGB[ch][k]
			}
		}
		o := img.PixOffset(p%w, p/w)
		for k := 0; k < 3; k++ {
			img.Pix[o+k] = toByte(rgb[k])
		}
		img.Pix[o+3] = 0xff
	}
	return img, nil
}

// toByte maps [-1, 1] to 0..255 as ComfyUI's preview_to_image does.
func toByte(v float32) uint8 {
	u := (v + 1) / 2
	if !(u > 0) { // also NaN
		u = 0
	}
	if u > 1 {
		u = 1
	}
	return uint8(u * 255)
}

// JPEG renders the preview, shrunk to fit maxSide×maxSide keeping the
// aspect ratio (never enlarged), as a JPEG of the given quality.
func JPEG(x0 *tensor.Tensor, f Factors, maxSide, quality int) ([]byte, error) {
	img, err := Image(x0, f)
	if err != nil {
		return nil, err
	}
	var out image.Image = img
	if w, h := img.Bounds().Dx(), img.Bounds().Dy(); maxSide > 0 && (w > maxSide || h > maxSide) {
		nw, nh := maxSide, maxSide
		if w > h {
			nh = max(1, h*maxSide/w)
		} else {
			nw = max(1, w*maxSide/h)
		}
		dst := image.NewRGBA(image.Rect(0, 0, nw, nh))
		draw.CatmullRom.Scale(dst, dst.Bounds(), img, img.Bounds(), draw.Src, nil)
		out = dst
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	return buf.Bytes(), nil
}

// SDXLJPEG is JPEG with ComfyUI's defaults for SDXL latents.
func SDXLJPEG(x0 *tensor.Tensor) ([]byte, error) { return JPEG(x0, SDXL, MaxSide, Quality) }
