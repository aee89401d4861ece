package builtin

import (
	"context"
	"fmt"
	"math"

	"sumi/nodes"
	"sumi/tensor"
)

// latentUpscaleMethods are the methods LatentUpscale(By) offers.
var latentUpscaleMethods = []string{"nearest-exact", "bilinear", "area", "bicubic", "bislerp"}

func latentSpecs() []nodes.Spec {
	return []nodes.Spec{
		{
			Name: "EmptyLatentImage", DisplayName: "Empty Latent Image", Category: "latent",
			Description: "Create a new batch of empty latent images to be denoised via sampling.",
			Inputs: []nodes.Input{
				nodes.Int("width", 512).Range(16, nodes.MaxResolution).Step(8).Tooltip("The width of the latent images in pixels."),
				nodes.Int("height", 512).Range(16, nodes.MaxResolution).Step(8).Tooltip("The height of the latent images in pixels."),
				nodes.Int("batch_size", 1).Range(1, 4096).Tooltip("The number of latent images in the batch."),
			},
			Outputs: []nodes.Output{{Type: nodes.TypeLatent, Tooltip: "The empty latent image batch."}},
			Run:     runEmptyLatent,
		},
		{
			Name: "LatentUpscale", DisplayName: "Upscale Latent", Category: "latent",
			Inputs: []nodes.Input{
				nodes.Socket("samples", nodes.TypeLatent),
				nodes.ComboOf("upscale_method", latentUpscaleMethods...),
				nodes.Int("width", 512).Range(0, nodes.MaxResolution).Step(8),
				nodes.Int("height", 512).Range(0, nodes.MaxResolution).Step(8),
				nodes.ComboOf("crop", "disabled", "center"),
			},
			Outputs: []nodes.Output{{Type: nodes.TypeLatent}},
			Run:     runLatentUpscale,
		},
		{
			Name: "LatentUpscaleBy", DisplayName: "Upscale Latent By", Category: "latent",
			Inputs: []nodes.Input{
				nodes.Socket("samples", nodes.TypeLatent),
				nodes.ComboOf("upscale_method", latentUpscaleMethods...),
				nodes.Float("scale_by", 1.5).Range(0.01, 8).Step(0.01),
			},
			Outputs: []nodes.Output{{Type: nodes.TypeLatent}},
			Run:     runLatentUpscaleBy,
		},
	}
}

func runEmptyLatent(_ context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
	w, h, b := int(in.Int("width")), int(in.Int("height")), int(in.Int("batch_size"))
	if w < 0 || h < 0 || b < 0 || b*4*(h/8)*(w/8) > maxElements {
		return nil, fmt.Errorf("builtin: EmptyLatentImage: bad size %dx%d x %d", w, h, b)
	}
	return []any{nodes.Latent{Samples: tensor.New(b, 4, h/8, w/8)}}, nil
}

func runLatentUpscale(_ context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
	lat, err := in.Latent("samples")
	if err != nil {
		return nil, err
	}
	w, h := int(in.Int("width")), int(in.Int("height"))
	if w == 0 && h == 0 {
		return []any{lat}, nil
	}
	if err := checkLatent(lat); err != nil {
		return nil, err
	}
	lh, lw := float64(lat.Samples.Shape[2]), float64(lat.Samples.Shape[3])
	switch {
	case w == 0:
		h = max(64, h)
		w = max(64, pyRound(lw*float64(h)/lh))
	case h == 0:
		w = max(64, w)
		h = max(64, pyRound(lh*float64(w)/lw))
	default:
		w, h = max(64, w), max(64, h)
	}
	return upscaleLatent(lat, w/8, h/8, in.String("upscale_method"), in.String("crop"))
}

func runLatentUpscaleBy(_ context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
	lat, err := in.Latent("samples")
	if err != nil {
		return nil, err
	}
	if err := checkLatent(lat); err != nil {
		return nil, err
	}
	s := in.Float("scale_by")
	w := pyRound(float64(lat.Samples.Shape[3]) * s)
	h := pyRound(float64(lat.Samples.Shape[2]) * s)
	return upscaleLatent(lat, w, h, in.String("upscale_method"), "disabled")
}

// upscaleLatent resizes the samples and keeps the other latent fields, as
// ComfyUI's samples.copy() does.
func upscaleLatent(lat nodes.Latent, w, h int, method, crop string) ([]any, error) {
	s, err := upscale(lat.Samples, w, h, method, crop)
	if err != nil {
		return nil, err
	}
	lat.Samples = s
	return []any{lat}, nil
}

func checkLatent(lat nodes.Latent) error {
	if lat.Samples == nil || len(lat.Samples.Shape) != 4 {
		return fmt.Errorf("builtin: latent samples must be [B,C,H,W]")
	}
	return nil
}

// pyRound is Python's round() of a float to an int: half to even. Values
// outside the int range (NaN, huge scales) map to 0, which the size checks
// then reject.
func pyRound(f float64) int {
	r := math.RoundToEven(f)
	if math.IsNaN(r) || math.Abs(r) > 1<<40 {
		return 0
	}
	return int(r)
}
