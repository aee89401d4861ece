package sampling

import (
	"context"
	"fmt"
	"math"

	"sumi/tensor"
)

// Model is a conditioned denoising model, the seam between the samplers and
// a network such as SDXL's UNet. x holds len(conds) equal chunks along the
// batch axis; chunk k is to be conditioned by conds[k] (an opaque value the
// model understands, e.g. prompt embeddings). All rows share sigma. The
// result is the denoised prediction with x's shape. Batching the positive
// and negative prompt into one call lets the network run them together.
type Model interface {
	Denoise(ctx context.Context, x *tensor.Tensor, sigma float64, conds []any) (*tensor.Tensor, error)
}

// CFG is classifier-free guidance: den = uncond + (cond − uncond)·Scale,
// with the negative prompt skipped entirely when Scale is 1.
type CFG struct {
	Model              Model
	Positive, Negative any
	Scale              float64
}

var _ UncondDenoiser = (*CFG)(nil)

// isClose is Python's math.isclose with its default relative tolerance.
func isClose(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

// Denoise implements Denoiser: one model call, with the batch doubled to
// hold cond and uncond unless the scale is 1.
func (g *CFG) Denoise(ctx context.Context, x *tensor.Tensor, sigma float64) (*tensor.Tensor, error) {
	if isClose(g.Scale, 1) {
		out, err := g.Model.Denoise(ctx, x, sigma, []any{g.Positive})
		if err != nil {
			return nil, err
		}
		if out == nil || !out.SameShape(x) {
			return nil, fmt.Errorf("sampling: cfg: model returned %v for input %v", out, x)
		}
		return out, nil
	}
	den, _, err := g.DenoiseUncond(ctx, x, sigma)
	return den, err
}

// DenoiseUncond implements UncondDenoiser: it always evaluates both prompts
// (ComfyUI's disable_cfg1_optimization) and returns the guided and the
// unconditional prediction.
func (g *CFG) DenoiseUncond(ctx context.Context, x *tensor.Tensor, sigma float64) (den, uncond *tensor.Tensor, err error) {
	if len(x.Shape) == 0 {
		return nil, nil, fmt.Errorf("sampling: cfg: scalar latent")
	}
	both := tensor.New(append([]int{2 * x.Shape[0]}, x.Shape[1:]...)...)
	n := len(x.Data)
	copy(both.Data, x.Data)
	copy(both.Data[n:], x.Data)
	out, err := g.Model.Denoise(ctx, both, sigma, []any{g.Positive, g.Negative})
	if err != nil {
		return nil, nil, err
	}
	if out == nil || !out.SameShape(both) {
		return nil, nil, fmt.Errorf("sampling: cfg: model returned %v for input %v", out, both)
	}
	cond := out.Data[:n]
	un := tensor.FromData(out.Data[n:], x.Shape...)
	return combineCFG(cond, un, g.Scale), un, nil
}

// combineCFG computes uncond + (cond − uncond)·scale in float32, operation by
// operation as torch does.
func combineCFG(cond []float32, uncond *tensor.Tensor, scale float64) *tensor.Tensor {
	out := tensor.New(uncond.Shape...)
	s := float32(scale)
	for i, u := range uncond.Data {
		out.Data[i] = u + float32((cond[i]-u)*s)
	}
	return out
}
