package modelnodes

import (
	"context"
	"flag"
	"testing"
	"time"

	"sumi/sampling"
	"sumi/tensor"
)

var hostSampler = flag.String("host-sampler", "euler_ancestral", "sampler of BenchmarkHostStepSDXL")

// BenchmarkHostStepSDXL times what a 25-step KSampler run does on the
// host besides the UNet calls, at SDXL's shapes (1024², CFG pair, 77-token
// contexts of 2048, ADM 2816): initial noise, ComfyUI's cond batching, CFG,
// the sampler's update and its noise (-host-sampler picks the sampler,
// default euler_ancestral). The UNet is a stand-in that sleeps as a GPU
// step would, so work that overlaps it (noise drawn ahead) is free, as on a
// GPU; host-ms/step is the wall time outside those calls: what each step
// adds to the device's time. (The conversions to float16 inside the real
// UNet call are measured by safetensors' BenchmarkFloat16.)
func BenchmarkHostStepSDXL(b *testing.B) {
	const steps = 25
	const gpuStep = 20 * time.Millisecond
	sampler := *hostSampler
	var inUNet time.Duration
	unet := func(_ context.Context, x *tensor.Tensor, _ []float64, _, _ *tensor.Tensor) (*tensor.Tensor, error) {
		start := time.Now()
		time.Sleep(gpuStep)
		out := tensor.New(x.Shape...)
		inUNet += time.Since(start)
		return out, nil
	}
	d := &denoiser{unet: unet, ms: sampling.NewDiscrete(false)}
	cond := func() []prepared {
		return []prepared{{cross: tensor.New(1, 77, 2048), y: tensor.New(1, 2816), strength: 1}}
	}
	pos, neg := cond(), cond()
	latent := sampling.Latent{Samples: tensor.New(1, 4, 128, 128)}
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		if _, err := sampling.KSampler(ctx, d, 1, steps, 6, sampler, "normal", pos, neg, latent, 1); err != nil {
			b.Fatal(err)
		}
	}
	host := b.Elapsed() - inUNet
	b.ReportMetric(float64(host.Microseconds())/1000/float64(b.N*steps), "host-ms/step")
}
