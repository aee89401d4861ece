package sampling

import (
	"context"
	"syscall"
	"testing"

	"sumi/tensor"
	"sumi/torchrand"
)

// benchSampler measures one sampler's cost per step, network excluded: the
// denoiser hands back a precomputed tensor. Noise comes from the real
// torch-compatible stream, so ancestral samplers include one randn per step.
func benchSampler(b *testing.B, name string) {
	shape := []int{1, 4, 128, 128}
	x := torchrand.Randn(1, shape...)
	fixed := torchrand.Randn(2, shape...)
	model := DenoiserFunc(func(context.Context, *tensor.Tensor, float64) (*tensor.Tensor, error) { return fixed, nil })
	sig, _ := Schedule(sdxlSampling, "karras", 20)
	steps := len(sig) - 1
	b.ResetTimer()
	start := cpuTime()
	for b.Loop() {
		gen := torchrand.New(3)
		p := Params{Model: model, Sigmas: sig, Noise: func(float64, float64) *tensor.Tensor { return gen.Randn(shape...) }}
		if UsesBrownianNoise(name) {
			lo, hi := positiveRange(sig)
			p.Brownian = NewBrownianTree(shape, 3, lo, hi).Noise
		}
		if _, err := Sample(context.Background(), name, x, p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*steps)/1e6, "ms/step")
	b.ReportMetric((cpuTime()-start)/float64(b.N*steps)*1e3, "cpu-ms/step")
}

// BenchmarkStepEulerAncestral is euler_ancestral's per-step overhead at a
// 128×128 latent (a 1024×1024 SDXL image).
func BenchmarkStepEulerAncestral(b *testing.B) { benchSampler(b, "euler_ancestral") }

// BenchmarkStepDPMPP2M is dpmpp_2m's per-step overhead at a 128×128 latent.
func BenchmarkStepDPMPP2M(b *testing.B) { benchSampler(b, "dpmpp_2m") }

// BenchmarkStepDPMPPSDE is dpmpp_sde's per-step overhead at a 128×128
// latent, including torchsde-compatible Brownian-tree noise.
func BenchmarkStepDPMPPSDE(b *testing.B) { benchSampler(b, "dpmpp_sde") }

// BenchmarkStepEuler is euler's per-step overhead at a 128×128 latent.
func BenchmarkStepEuler(b *testing.B) { benchSampler(b, "euler") }

// BenchmarkCFG measures combining cond and uncond for a 128×128 latent.
func BenchmarkCFG(b *testing.B) {
	x := torchrand.Randn(1, 1, 4, 128, 128)
	m := &standIn{}
	g := &CFG{Model: m, Positive: condPos, Negative: condNeg, Scale: 7}
	for b.Loop() {
		if _, err := g.Denoise(context.Background(), x, 3); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuTime is the process's user+system CPU time in seconds; on a shared,
// overloaded machine it is steadier than wall time.
func cpuTime() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
