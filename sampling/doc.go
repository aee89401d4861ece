// Package sampling turns a denoising model into images the way ComfyUI's
// KSampler does: the discrete SD1.5/SDXL noise schedule, every ComfyUI
// scheduler and sampler, classifier-free guidance, and the KSampler /
// KSamplerAdvanced step selection, noising and latent scaling.
//
// Samplers see the network only through the Denoiser interface (x, σ ->
// denoised), so they are pure math on tensors and are tested against
// ComfyUI's own outputs with an analytic stand-in denoiser.
//
// Noise. The initial noise and the per-step noise of ancestral samplers come
// from package torchrand and match ComfyUI on a CPU latent bit for bit (a
// generator seeded with seed+1 for the per-step stream). ComfyUI's GPU runs
// draw that per-step stream from CUDA's Philox generator instead, so its
// ancestral samplers give different images on GPU and on CPU; sumi always
// follows the CPU behaviour. The Brownian-tree samplers (dpmpp_sde,
// dpmpp_2m_sde, dpmpp_2m_sde_heun, dpmpp_3m_sde) reproduce torchsde's
// BrownianTree on the CPU (BrownianTree); their _gpu twins behave the same,
// which equals ComfyUI only when its latent is on the CPU.
package sampling
