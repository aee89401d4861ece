package builtin

import (
	"context"
	"fmt"

	"sumi/nodes"
	"sumi/tensor"
)

// imageUpscaleMethods are the methods ImageScale(By) offers.
var imageUpscaleMethods = []string{"nearest-exact", "bilinear", "area", "bicubic", "lanczos"}

func imageSpecs() []nodes.Spec {
	return []nodes.Spec{
		{
			Name: "EmptyImage", Category: "image",
			Inputs: []nodes.Input{
				nodes.Int("width", 512).Range(1, nodes.MaxResolution).Step(1),
				nodes.Int("height", 512).Range(1, nodes.MaxResolution).Step(1),
				nodes.Int("batch_size", 1).Range(1, 4096),
				nodes.Int("color", 0).Range(0, 0xFFFFFF).Step(1).Display("color"),
			},
			Outputs: []nodes.Output{{Type: nodes.TypeImage}},
			Run:     runEmptyImage,
		},
		{
			Name: "ImageScale", DisplayName: "Upscale Image", Category: "image/upscaling",
			Inputs: []nodes.Input{
				nodes.Socket("image", nodes.TypeImage),
				nodes.ComboOf("upscale_method", imageUpscaleMethods...),
				nodes.Int("width", 512).Range(0, nodes.MaxResolution).Step(1),
				nodes.Int("height", 512).Range(0, nodes.MaxResolution).Step(1),
				nodes.ComboOf("crop", "disabled", "center"),
			},
			Outputs: []nodes.Output{{Type: nodes.TypeImage}},
			Run:     runImageScale,
		},
		{
			Name: "ImageScaleBy", DisplayName: "Upscale Image By", Category: "image/upscaling",
			Inputs: []nodes.Input{
				nodes.Socket("image", nodes.TypeImage),
				nodes.ComboOf("upscale_method", imageUpscaleMethods...),
				nodes.Float("scale_by", 1).Range(0.01, 8).Step(0.01),
			},
			Outputs: []nodes.Output{{Type: nodes.TypeImage}},
			Run:     runImageScaleBy,
		},
		{
			Name: "ImageInvert", DisplayName: "Invert Image", Category: "image",
			Inputs:  []nodes.Input{nodes.Socket("image", nodes.TypeImage)},
			Outputs: []nodes.Output{{Type: nodes.TypeImage}},
			Run:     runImageInvert,
		},
	}
}

// runEmptyImage fills a [B,H,W,3] batch with the 0xRRGGBB color, each
// channel byte divided by 255 as ComfyUI does.
func runEmptyImage(_ context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
	w, h, b := int(in.Int("width")), int(in.Int("height")), int(in.Int("batch_size"))
	if w <= 0 || h <= 0 || b <= 0 || b*h*w*3 > maxElements {
		return nil, fmt.Errorf("builtin: EmptyImage: bad size %dx%d x %d", w, h, b)
	}
	c := in.Int("color")
	rgb := [3]float32{
		float32(float64((c>>16)&0xFF) / 0xFF),
		float32(float64((c>>8)&0xFF) / 0xFF),
		float32(float64(c&0xFF) / 0xFF),
	}
	img := tensor.New(b, h, w, 3)
	for i := 0; i < len(img.Data); i += 3 {
		copy(img.Data[i:i+3], rgb[:])
	}
	return []any{img}, nil
}

func runImageInvert(_ context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
	img, err := in.Image("image")
	if err != nil {
		return nil, err
	}
	out := tensor.New(img.Shape...)
	for i, v := range img.Data {
		out.Data[i] = 1 - v
	}
	return []any{out}, nil
}

func runImageScale(_ context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
	img, err := imageArg(in)
	if err != nil {
		return nil, err
	}
	w, h := int(in.Int("width")), int(in.Int("height"))
	if w == 0 && h == 0 {
		return []any{img}, nil
	}
	ih, iw := float64(img.Shape[1]), float64(img.Shape[2])
	if w == 0 {
		w = max(1, pyRound(iw*float64(h)/ih))
	} else if h == 0 {
		h = max(1, pyRound(ih*float64(w)/iw))
	}
	return scaleImage(img, w, h, in.String("upscale_method"), in.String("crop"))
}

func runImageScaleBy(_ context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
	img, err := imageArg(in)
	if err != nil {
		return nil, err
	}
	s := in.Float("scale_by")
	w := pyRound(float64(img.Shape[2]) * s)
	h := pyRound(float64(img.Shape[1]) * s)
	return scaleImage(img, w, h, in.String("upscale_method"), "disabled")
}

func imageArg(in nodes.Args) (*tensor.Tensor, error) {
	img, err := in.Image("image")
	if err != nil {
		return nil, err
	}
	if img == nil || len(img.Shape) != 4 {
		return nil, fmt.Errorf("builtin: image must be [B,H,W,C]")
	}
	return img, nil
}

// scaleImage resizes a [B,H,W,C] image through the [B,C,H,W] resampler.
func scaleImage(img *tensor.Tensor, w, h int, method, crop string) ([]any, error) {
	out, err := upscale(toNCHW(img), w, h, method, crop)
	if err != nil {
		return nil, err
	}
	return []any{toNHWC(out)}, nil
}

// toNCHW moves the channel axis of a [B,H,W,C] tensor to position 1.
func toNCHW(t *tensor.Tensor) *tensor.Tensor {
	b, h, w, c := t.Shape[0], t.Shape[1], t.Shape[2], t.Shape[3]
	out := tensor.New(b, c, h, w)
	for bi := 0; bi < b; bi++ {
		for p := 0; p < h*w; p++ {
			for ch := 0; ch < c; ch++ {
				out.Data[(bi*c+ch)*h*w+p] = t.Data[(bi*h*w+p)*c+ch]
			}
		}
	}
	return out
}

// toNHWC is the inverse of toNCHW.
func toNHWC(t *tensor.Tensor) *tensor.Tensor {
	b, c, h, w := t.Shape[0], t.Shape[1], t.Shape[2], t.Shape[3]
	out := tensor.New(b, h, w, c)
	for bi := 0; bi < b; bi++ {
		for p := 0; p < h*w; p++ {
			for ch := 0; ch < c; ch++ {
				out.Data[(bi*h*w+p)*c+ch] = t.Data[(bi*c+ch)*h*w+p]
			}
		}
	}
	return out
}
