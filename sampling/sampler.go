package sampling

import (
	"context"
	"errors"
	"fmt"

	"sumi/tensor"
)

// Denoiser is the model a sampler steps with: D(x, σ) returns the denoised
// (clean latent) prediction for x at noise level sigma, guidance included.
type Denoiser interface {
	Denoise(ctx context.Context, x *tensor.Tensor, sigma float64) (*tensor.Tensor, error)
}

// UncondDenoiser is a Denoiser that can also hand out the unconditional
// (negative prompt) prediction of the same evaluation, before guidance
// mixes it in. The cfg++ samplers need it; CFG implements it. It must
// evaluate the negative prompt even when the guidance scale is 1.
type UncondDenoiser interface {
	Denoiser
	DenoiseUncond(ctx context.Context, x *tensor.Tensor, sigma float64) (den, uncond *tensor.Tensor, err error)
}

// DenoiserFunc adapts a function to the Denoiser interface.
type DenoiserFunc func(ctx context.Context, x *tensor.Tensor, sigma float64) (*tensor.Tensor, error)

// Denoise implements Denoiser.
func (f DenoiserFunc) Denoise(ctx context.Context, x *tensor.Tensor, sigma float64) (*tensor.Tensor, error) {
	return f(ctx, x, sigma)
}

// NoiseSampler returns standard normal noise shaped like the latent for the
// step from sigma to sigmaNext. The default stream ignores the arguments;
// Brownian noise uses them.
type NoiseSampler func(sigma, sigmaNext float64) *tensor.Tensor

// Step is what a sampler reports once per step: the step index, the state x
// the step started from and the denoised prediction it computed.
type Step struct {
	Index       int
	X, Denoised *tensor.Tensor
}

// Params is everything one sampler run needs besides the starting latent.
type Params struct {
	// Model is the guided denoiser.
	Model Denoiser
	// Sigmas is the schedule, float32 values held in float64.
	Sigmas []float64
	// Noise is the default per-step noise stream (ancestral samplers); nil
	// draws zeros. KSampler uses ComfyUI's: torch CPU randn seeded seed+1.
	Noise NoiseSampler
	// Brownian is the noise of the Brownian-tree SDE samplers; nil uses
	// Noise. KSampler uses NewBrownianTree(shape, seed, …).Noise.
	Brownian NoiseSampler
	// ModelSampling is the model's schedule (sa_solver's noise window);
	// nil means the SDXL discrete schedule.
	ModelSampling ModelSampling
	// Callback, if set, is called once per step (dpm_adaptive: per attempt).
	Callback func(Step)
}

// SamplerFunc runs one sampler from the noisy latent x along p.Sigmas and
// returns the final latent. It does not modify x.
type SamplerFunc func(ctx context.Context, x *tensor.Tensor, p *Params) (*tensor.Tensor, error)

// ErrUnknownSampler is returned for a sampler name ComfyUI does not know.
var ErrUnknownSampler = errors.New("sampling: unknown sampler")

// SamplerNames lists every sampler of ComfyUI's KSampler in its UI order;
// the first is the UI default.
var SamplerNames = []string{
	"euler", "euler_cfg_pp", "euler_ancestral", "euler_ancestral_cfg_pp", "heun", "heunpp2",
	"exp_heun_2_x0", "exp_heun_2_x0_sde", "dpm_2", "dpm_2_ancestral", "lms", "dpm_fast",
	"dpm_adaptive", "dpmpp_2s_ancestral", "dpmpp_2s_ancestral_cfg_pp", "dpmpp_sde",
	"dpmpp_sde_gpu", "dpmpp_2m", "dpmpp_2m_cfg_pp", "dpmpp_2m_sde", "dpmpp_2m_sde_gpu",
	"dpmpp_2m_sde_heun", "dpmpp_2m_sde_heun_gpu", "dpmpp_3m_sde", "dpmpp_3m_sde_gpu", "ddpm",
	"lcm", "ipndm", "ipndm_v", "deis", "res_multistep", "res_multistep_cfg_pp",
	"res_multistep_ancestral", "res_multistep_ancestral_cfg_pp", "gradient_estimation",
	"gradient_estimation_cfg_pp", "er_sde", "seeds_2", "seeds_3", "sa_solver", "sa_solver_pece",
	"ddim", "uni_pc", "uni_pc_bh2",
}

// samplers maps each name to its implementation; filled by the files that
// define them.
var samplers = map[string]SamplerFunc{}

// brownianSamplers use Params.Brownian for their noise.
var brownianSamplers = map[string]bool{
	"dpmpp_sde": true, "dpmpp_sde_gpu": true, "dpmpp_2m_sde": true, "dpmpp_2m_sde_gpu": true,
	"dpmpp_2m_sde_heun": true, "dpmpp_2m_sde_heun_gpu": true, "dpmpp_3m_sde": true, "dpmpp_3m_sde_gpu": true,
}

// UsesBrownianNoise reports whether the named sampler draws Brownian-tree
// noise (Params.Brownian) rather than the default stream.
func UsesBrownianNoise(name string) bool { return brownianSamplers[name] }

// Sampler returns the implementation of a ComfyUI sampler name.
func Sampler(name string) (SamplerFunc, error) {
	f, ok := samplers[name]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownSampler, name)
	}
	return f, nil
}

// Sample runs the named sampler (see SamplerFunc).
func Sample(ctx context.Context, name string, x *tensor.Tensor, p Params) (*tensor.Tensor, error) {
	f, err := Sampler(name)
	if err != nil {
		return nil, err
	}
	if x == nil {
		return nil, fmt.Errorf("sampling: %s: nil latent", name)
	}
	if p.Model == nil {
		return nil, fmt.Errorf("sampling: %s: nil model", name)
	}
	if p.Noise == nil {
		p.Noise = zeroNoise(x)
	}
	if p.Brownian == nil {
		p.Brownian = p.Noise
	}
	if p.ModelSampling == nil {
		p.ModelSampling = sdxlSampling
	}
	out, err := f(ctx, x, &p)
	if err != nil {
		return nil, fmt.Errorf("sampling: %s: %w", name, err)
	}
	return out, nil
}

// sdxlSampling is the default model schedule.
var sdxlSampling = NewDiscrete(false)

// zeroNoise is the stand-in when no noise stream is given: stochastic
// samplers then run deterministically.
func zeroNoise(x *tensor.Tensor) NoiseSampler {
	return func(float64, float64) *tensor.Tensor { return tensor.New(x.Shape...) }
}
