package bench

import (
	"context"
	"fmt"
	"slices"
	"time"

	"sumi/model/sdxl"
	"sumi/sampling"
	"sumi/tensor"
	"sumi/tokenizer"
)

// Pipeline is ComfyUI's default text-to-image graph (CLIPTextEncode ×2,
// EmptyLatentImage, KSampler, VAEDecode) over sdxl Models, with both CFG
// branches in one batch-2 UNet call per step.
type Pipeline struct {
	// Model runs the text encoders and the UNet.
	Model *sdxl.Model
	// VAE decodes; nil means Model. A separate model lets the VAE run in
	// another precision (SDXL's VAE overflows in float16).
	VAE *sdxl.Model
	// UNetSpent accumulates the wall time of the UNet calls Sample makes
	// (input conversion, Run, output conversion): the rest of a sampling
	// run is host work. Not safe for concurrent Samples.
	UNetSpent time.Duration
}

// Request is one generation. Width and Height are EmptyLatentImage's
// (the latent is Width/8 × Height/8); the image is the latent times the
// VAE's downscale factor.
type Request struct {
	Positive, Negative string
	Width, Height      int
	Steps              int
	CFG                float64
	Seed               uint64
	Sampler, Scheduler string
}

// Cond is one encoded prompt: cond [1,L,context] and the ADM vector y [1,adm].
type Cond struct {
	Context, Y *tensor.Tensor
}

// Encode runs CLIPTextEncode on prompt, with the ADM vector for a
// width×height image (ComfyUI's default: the latent size × 8).
func (p *Pipeline) Encode(ctx context.Context, prompt string, width, height int) (Cond, error) {
	toks, err := tokenizer.New().SDXL(prompt, tokenizer.Options{})
	if err != nil {
		return Cond{}, fmt.Errorf("bench: %w", err)
	}
	cond, pooled, err := p.Model.EncodeText(ctx, toks, sdxl.TextOptions{})
	if err != nil {
		return Cond{}, err
	}
	y, err := sdxl.ADM(pooled, width, height, 0, 0, width, height)
	if err != nil {
		return Cond{}, err
	}
	return Cond{Context: cond, Y: y}, nil
}

// Sample runs KSampler from an empty latent with already encoded prompts
// and returns the unscaled latent.
func (p *Pipeline) Sample(ctx context.Context, r Request, pos, neg Cond) (*tensor.Tensor, error) {
	if r.Width < 8 || r.Height < 8 {
		return nil, fmt.Errorf("bench: image size %dx%d below 8 pixels", r.Width, r.Height)
	}
	model := &sampling.NetModel{Net: unetNet{p.Model, &p.UNetSpent}, Sampling: sampling.NewDiscrete(false), Prediction: sampling.PredictEps}
	latent := sampling.Latent{Samples: tensor.New(1, p.Model.Config.UNet.InChannels, r.Height/8, r.Width/8)}
	return sampling.KSampler(ctx, model, r.Seed, r.Steps, r.CFG, r.Sampler, r.Scheduler, pos, neg, latent, 1)
}

// Decode runs VAEDecode: [B,H,W,3] in [0,1].
func (p *Pipeline) Decode(ctx context.Context, latent *tensor.Tensor) (*tensor.Tensor, error) {
	v := p.VAE
	if v == nil {
		v = p.Model
	}
	return v.DecodeVAE(ctx, latent)
}

// Generate is Encode (both prompts), Sample and Decode.
func (p *Pipeline) Generate(ctx context.Context, r Request) (*tensor.Tensor, error) {
	pos, err := p.Encode(ctx, r.Positive, r.Width, r.Height)
	if err != nil {
		return nil, err
	}
	neg, err := p.Encode(ctx, r.Negative, r.Width, r.Height)
	if err != nil {
		return nil, err
	}
	latent, err := p.Sample(ctx, r, pos, neg)
	if err != nil {
		return nil, err
	}
	return p.Decode(ctx, latent)
}

// unetNet adapts the UNet to sampling.Network: x holds one equal chunk per
// conditioning, and all chunks go through the UNet in one call when their
// contexts have the same length (the usual CFG pair: batch 2).
type unetNet struct {
	m     *sdxl.Model
	spent *time.Duration // nil: not timed
}

func (n unetNet) Predict(ctx context.Context, xIn *tensor.Tensor, t float64, conds []any) (*tensor.Tensor, error) {
	cs := make([]Cond, len(conds))
	for i, c := range conds {
		cc, ok := c.(Cond)
		if !ok {
			return nil, fmt.Errorf("bench: conditioning %d is %T, want bench.Cond", i, c)
		}
		cs[i] = cc
	}
	if len(cs) == 0 || len(xIn.Shape) != 4 || xIn.Shape[0]%len(cs) != 0 {
		return nil, fmt.Errorf("bench: latent %v does not split into %d chunks", xIn.Shape, len(cs))
	}
	if sameLength(cs) {
		return n.run(ctx, xIn, t, cs)
	}
	// Prompts of different chunk counts: one call per conditioning.
	per := xIn.Len() / len(cs)
	b := xIn.Shape[0] / len(cs)
	out := tensor.New(xIn.Shape...)
	for i, c := range cs {
		x := tensor.FromData(xIn.Data[i*per:(i+1)*per], append([]int{b}, xIn.Shape[1:]...)...)
		eps, err := n.run(ctx, x, t, []Cond{c})
		if err != nil {
			return nil, err
		}
		copy(out.Data[i*per:], eps.Data)
	}
	return out, nil
}

func sameLength(cs []Cond) bool {
	for _, c := range cs[1:] {
		if !slices.Equal(c.Context.Shape, cs[0].Context.Shape) {
			return false
		}
	}
	return true
}

// run is one UNet call; each conditioning is repeated for its chunk's rows.
func (n unetNet) run(ctx context.Context, x *tensor.Tensor, t float64, cs []Cond) (*tensor.Tensor, error) {
	rows := x.Shape[0] / len(cs)
	ctxs := make([]*tensor.Tensor, 0, x.Shape[0])
	ys := make([]*tensor.Tensor, 0, x.Shape[0])
	for _, c := range cs {
		for r := 0; r < rows; r++ {
			ctxs, ys = append(ctxs, c.Context), append(ys, c.Y)
		}
	}
	ts := make([]float64, x.Shape[0])
	for i := range ts {
		ts[i] = t
	}
	start := time.Now()
	eps, err := n.m.UNet(ctx, x, ts, stack(ctxs), stack(ys))
	if n.spent != nil {
		*n.spent += time.Since(start)
	}
	return eps, err
}

// stack concatenates tensors of shape [1,...] along the first axis.
func stack(ts []*tensor.Tensor) *tensor.Tensor {
	out := tensor.New(append([]int{len(ts)}, ts[0].Shape[1:]...)...)
	n := ts[0].Len()
	for i, t := range ts {
		copy(out.Data[i*n:], t.Data)
	}
	return out
}
