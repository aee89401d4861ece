package sampling

import (
	"context"
	"fmt"
	"math"

	"sumi/tensor"
	"sumi/torchrand"
)

// Latent is a LATENT value as the KSampler nodes receive it.
type Latent struct {
	// Samples is the latent as VAEEncode / EmptyLatentImage produce it
	// ([B, C, h, w], not multiplied by the latent scale factor).
	Samples *tensor.Tensor
	// BatchIndex, if set, selects which noise draw each batch item gets
	// (ComfyUI's batch_index, one entry per item).
	BatchIndex []int
	// NoiseMask, if set, limits sampling to where it is 1 (inpainting):
	// [h', w'], [B, h', w'] or [B, 1, h', w'], resized bilinearly.
	NoiseMask *tensor.Tensor
}

// Progress reports sampling progress: step steps of total are done and x0
// is the current denoised estimate in the model's latent space (scaled, as
// a latent preview expects it).
type Progress func(step, total int, x0 *tensor.Tensor)

// SDXLLatentScale is SDXL's latent scale factor.
const SDXLLatentScale = 0.13025

// Option adjusts a KSampler run.
type Option func(*options)

type options struct {
	progress     Progress
	sampling     ModelSampling
	scale        float64
	stepNoiseSDE bool
}

// WithProgress sets the per-step progress callback.
func WithProgress(p Progress) Option { return func(o *options) { o.progress = p } }

// WithModelSampling sets the noise schedule (default: the model's own if it
// is a SamplingProvider, else SDXL's discrete schedule).
func WithModelSampling(ms ModelSampling) Option { return func(o *options) { o.sampling = ms } }

// WithLatentScale sets the latent scale factor (default SDXLLatentScale;
// SD1.5 uses 0.18215).
func WithLatentScale(f float64) Option { return func(o *options) { o.scale = f } }

// KSampler is ComfyUI's KSampler node: full noise from seed, the schedule
// of steps at the given denoise strength, classifier-free guidance with cfg.
func KSampler(ctx context.Context, model Model, seed uint64, steps int, cfg float64,
	samplerName, scheduler string, positive, negative any, latent Latent, denoise float64,
	opts ...Option) (*tensor.Tensor, error) {
	o, err := prepare(model, samplerName, steps, latent, opts)
	if err != nil {
		return nil, err
	}
	sigmas, err := KSamplerSigmas(o.sampling, scheduler, samplerName, steps, denoise)
	if err != nil {
		return nil, err
	}
	return run(ctx, model, o, seed, true, cfg, samplerName, positive, negative, latent, sigmas)
}

// KSamplerAdvanced is ComfyUI's KSamplerAdvanced node: addNoise false starts
// from the latent as it is; only steps startStep..endStep of the full
// schedule run, and leftoverNoise keeps the last sigma instead of 0.
func KSamplerAdvanced(ctx context.Context, model Model, addNoise bool, seed uint64, steps int, cfg float64,
	samplerName, scheduler string, positive, negative any, latent Latent,
	startStep, endStep int, leftoverNoise bool, opts ...Option) (*tensor.Tensor, error) {
	o, err := prepare(model, samplerName, steps, latent, opts)
	if err != nil {
		return nil, err
	}
	if startStep < 0 || endStep < 0 {
		return nil, fmt.Errorf("sampling: negative start or end step (%d, %d)", startStep, endStep)
	}
	full, err := KSamplerSigmas(o.sampling, scheduler, samplerName, steps, 1)
	if err != nil {
		return nil, err
	}
	sigmas, ok := AdvancedSigmas(full, startStep, endStep, leftoverNoise)
	if !ok {
		return latent.Samples.Clone(), nil
	}
	return run(ctx, model, o, seed, addNoise, cfg, samplerName, positive, negative, latent, sigmas)
}

// prepare validates the common inputs and resolves the options.
func prepare(model Model, samplerName string, steps int, latent Latent, opts []Option) (*options, error) {
	if model == nil {
		return nil, fmt.Errorf("sampling: nil model")
	}
	if _, err := Sampler(samplerName); err != nil {
		return nil, err
	}
	if steps < 0 {
		return nil, fmt.Errorf("sampling: negative steps %d", steps)
	}
	if latent.Samples == nil || len(latent.Samples.Shape) != 4 || latent.Samples.Len() == 0 {
		return nil, fmt.Errorf("sampling: latent must be a non-empty [B, C, h, w] tensor")
	}
	o := &options{scale: SDXLLatentScale}
	if sp, ok := model.(SamplingProvider); ok {
		o.sampling = sp.ModelSampling()
	}
	for _, f := range opts {
		f(o)
	}
	if o.sampling == nil {
		o.sampling = sdxlSampling
	}
	if !(o.scale > 0) {
		return nil, fmt.Errorf("sampling: latent scale %g must be positive", o.scale)
	}
	return o, nil
}

// run noises the latent, samples along sigmas and unscales the result.
func run(ctx context.Context, model Model, o *options, seed uint64, addNoise bool, cfg float64,
	samplerName string, positive, negative any, latent Latent, sigmas []float64) (*tensor.Tensor, error) {
	shape := latent.Samples.Shape
	var noise *tensor.Tensor
	if addNoise {
		var err error
		if noise, err = torchrand.PrepareNoise(seed, shape, latent.BatchIndex); err != nil {
			return nil, fmt.Errorf("sampling: %w", err)
		}
	} else {
		noise = tensor.New(shape...)
	}
	if len(sigmas) == 0 {
		return latent.Samples.Clone(), nil
	}
	scaled := scaleLatent(latent.Samples, float32(o.scale))
	var den Denoiser = &CFG{Model: model, Positive: positive, Negative: negative, Scale: cfg}
	if latent.NoiseMask != nil {
		var err error
		if den, err = inpaint(den, latent.NoiseMask, scaled, noise, seed, samplerName); err != nil {
			return nil, err
		}
	}
	x := noiseLatent(noise, scaled, sigmas[0], maxDenoise(o.sampling, sigmas[0]))
	p := Params{Model: den, Sigmas: sigmas, ModelSampling: o.sampling}
	seedNoise(&p, samplerName, shape, seed)
	if o.progress != nil {
		total := len(sigmas) - 1
		p.Callback = func(s Step) { o.progress(s.Index+1, total, s.Denoised) }
	}
	out, err := Sample(ctx, samplerName, x, p)
	if err != nil {
		return nil, err
	}
	inv := float32(o.scale)
	for i, v := range out.Data {
		out.Data[i] = v / inv
	}
	return out, nil
}

// seedNoise gives p the noise streams KSampler derives from seed: torch's
// CPU generator seeded seed+1 for the per-step noise and, for the samplers
// that use one, a Brownian tree seeded seed over the schedule's range.
func seedNoise(p *Params, samplerName string, shape []int, seed uint64) {
	p.Noise = drawAhead(torchrand.New(seed+1), shape)
	if UsesBrownianNoise(samplerName) {
		lo, hi := positiveRange(p.Sigmas)
		p.Brownian = NewBrownianTree(shape, seed, lo, hi).Noise
	}
}

// drawAhead is the default noise stream of gen, one tensor drawn ahead on
// another goroutine: an ancestral step asks for noise right after its model
// call, so drawing the next step's noise while the model runs takes the
// randn (a few ms per step at 1024², several % of a GPU step) off the
// critical path. The first draw starts at once, overlapping the first model
// call. Draws happen one at a time in the original order, so the stream is
// unchanged; the tensor drawn after the last use (or the one draw of a
// sampler that never uses this stream) is discarded.
func drawAhead(gen *torchrand.Generator, shape []int) NoiseSampler {
	draw := func() chan *tensor.Tensor {
		c := make(chan *tensor.Tensor, 1)
		go func() { c <- gen.Randn(shape...) }()
		return c
	}
	next := draw()
	return func(float64, float64) *tensor.Tensor {
		t := <-next
		next = draw()
		return t
	}
}

// scaleLatent multiplies a latent by the scale factor, unless it is all
// zeros (ComfyUI leaves an empty latent alone).
func scaleLatent(l *tensor.Tensor, f float32) *tensor.Tensor {
	out := l.Clone()
	nonzero := false
	for _, v := range l.Data {
		if v != 0 {
			nonzero = true
			break
		}
	}
	if nonzero {
		for i, v := range out.Data {
			out.Data[i] = v * f
		}
	}
	return out
}

// maxDenoise reports whether the schedule starts at (or above) the model's
// largest sigma, in which case the noise is scaled by sqrt(1+σ²).
func maxDenoise(ms ModelSampling, sigma0 float64) bool {
	smax := ms.SigmaMax()
	return math.Abs(smax-sigma0) <= 1e-5*math.Max(math.Abs(smax), math.Abs(sigma0)) || sigma0 > smax
}

// noiseLatent is the EPS noise scaling: noise·σ (or ·sqrt(1+σ²)) + latent.
func noiseLatent(noise, latent *tensor.Tensor, sigma float64, maxDenoise bool) *tensor.Tensor {
	s := float32(sigma)
	k := s
	if maxDenoise {
		k = float32(math.Sqrt(float64(1 + s*s)))
	}
	out := tensor.New(noise.Shape...)
	for i, n := range noise.Data {
		out.Data[i] = float32(n*k) + latent.Data[i]
	}
	return out
}

// positiveRange is the smallest positive and the largest sigma.
func positiveRange(sigmas []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), 0
	for _, s := range sigmas {
		if s > 0 {
			lo = math.Min(lo, s)
		}
		hi = math.Max(hi, s)
	}
	if math.IsInf(lo, 1) {
		lo = 0
	}
	return lo, hi
}
