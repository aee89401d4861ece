package sampling

import (
	"context"
	"errors"
	"math"
	"testing"

	"sumi/tensor"
	"sumi/torchrand"
)

// recorder is a stand-in Model that remembers the batch layout of each call.
type recorder struct {
	standIn
	batches []int
	conds   [][]any
}

func (r *recorder) Denoise(ctx context.Context, x *tensor.Tensor, sigma float64, conds []any) (*tensor.Tensor, error) {
	r.batches = append(r.batches, x.Shape[0])
	r.conds = append(r.conds, conds)
	return r.standIn.Denoise(ctx, x, sigma, conds)
}

func testLatent(seed uint64, shape ...int) *tensor.Tensor {
	return torchrand.Randn(seed, shape...)
}

func maxDiff(a, b *tensor.Tensor) float64 {
	d := 0.0
	for i := range a.Data {
		d = math.Max(d, math.Abs(float64(a.Data[i]-b.Data[i])))
	}
	return d
}

// TestKSamplerMatchesManual rebuilds a KSampler run by hand: noise from
// prepare_noise scaled by sqrt(1+σ0²), no scaling of the empty latent,
// euler along the karras schedule, result divided by the scale factor.
func TestKSamplerMatchesManual(t *testing.T) {
	ctx := context.Background()
	m := &recorder{}
	empty := tensor.New(1, 4, 8, 8)
	var steps []int
	got, err := KSampler(ctx, m, 42, 6, 3.5, "euler", "karras", condPos, condNeg, Latent{Samples: empty}, 1,
		WithProgress(func(step, total int, x0 *tensor.Tensor) {
			if total != 6 || x0 == nil {
				t.Errorf("progress total %d x0 %v", total, x0)
			}
			steps = append(steps, step)
		}))
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := Schedule(sdxlSampling, "karras", 6)
	noise := torchrand.Randn(42, 1, 4, 8, 8)
	x := noiseLatent(noise, empty, sig[0], true)
	want, err := Sample(ctx, "euler", x, Params{Model: &CFG{Model: &standIn{}, Positive: condPos, Negative: condNeg, Scale: 3.5}, Sigmas: sig})
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.Data {
		want.Data[i] /= float32(SDXLLatentScale)
	}
	if d := maxDiff(got, want); d != 0 {
		t.Errorf("max diff %g", d)
	}
	if len(steps) != 6 || steps[0] != 1 || steps[5] != 6 {
		t.Errorf("progress steps %v", steps)
	}
	for i, b := range m.batches {
		if b != 2 || m.conds[i][0] != condPos || m.conds[i][1] != condNeg {
			t.Fatalf("call %d: batch %d conds %v", i, b, m.conds[i])
		}
	}
}

// TestCFGOneSkipsNegative checks the cfg = 1 shortcut: one single-batch call
// per evaluation with the positive prompt only.
func TestCFGOneSkipsNegative(t *testing.T) {
	m := &recorder{}
	_, err := KSampler(context.Background(), m, 1, 3, 1.0, "heun", "normal", condPos, condNeg, Latent{Samples: tensor.New(1, 4, 4, 4)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.batches) != 5 { // heun: 2 calls per step, 1 on the last
		t.Errorf("%d calls", len(m.batches))
	}
	for i, b := range m.batches {
		if b != 1 || len(m.conds[i]) != 1 || m.conds[i][0] != condPos {
			t.Fatalf("call %d: batch %d conds %v", i, b, m.conds[i])
		}
	}
}

// TestKSamplerUnchanged covers the paths that return the input latent.
func TestKSamplerUnchanged(t *testing.T) {
	ctx := context.Background()
	in := testLatent(3, 1, 4, 4, 4)
	lat := Latent{Samples: in}
	out, err := KSampler(ctx, &standIn{}, 1, 5, 7, "euler", "normal", condPos, condNeg, lat, 0)
	if err != nil || maxDiff(out, in) != 0 {
		t.Errorf("denoise 0: err %v diff %g", err, maxDiff(out, in))
	}
	out, err = KSamplerAdvanced(ctx, &standIn{}, true, 1, 5, 7, "euler", "normal", condPos, condNeg, lat, 5, 10000, false)
	if err != nil || maxDiff(out, in) != 0 {
		t.Errorf("start at end: err %v diff %g", err, maxDiff(out, in))
	}
}

// TestKSamplerAdvancedSplit checks that a deterministic sampler split in two
// KSamplerAdvanced runs (leftover noise, then no added noise) equals one run.
func TestKSamplerAdvancedSplit(t *testing.T) {
	ctx := context.Background()
	lat := Latent{Samples: tensor.New(1, 4, 8, 8)}
	full, err := KSampler(ctx, &standIn{}, 9, 8, 2, "dpmpp_2m", "karras", condPos, condNeg, lat, 1)
	if err != nil {
		t.Fatal(err)
	}
	half, err := KSamplerAdvanced(ctx, &standIn{}, true, 9, 8, 2, "euler", "karras", condPos, condNeg, lat, 0, 3, true)
	if err != nil {
		t.Fatal(err)
	}
	full2, err := KSamplerAdvanced(ctx, &standIn{}, true, 9, 8, 2, "euler", "karras", condPos, condNeg, lat, 0, 10000, false)
	if err != nil {
		t.Fatal(err)
	}
	rest, err := KSamplerAdvanced(ctx, &standIn{}, false, 9, 8, 2, "euler", "karras", condPos, condNeg, Latent{Samples: half}, 3, 10000, false)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxDiff(rest, full2); d > 1e-4 {
		t.Errorf("split differs from full run by %g", d)
	}
	if d := maxDiff(full, full2); d == 0 {
		t.Errorf("dpmpp_2m and euler gave identical results")
	}
}

// TestDenoiseTrim checks that denoise < 1 samples the tail of a longer
// schedule starting from the scaled input latent.
func TestDenoiseTrim(t *testing.T) {
	sig, err := KSamplerSigmas(sdxlSampling, "normal", "euler", 4, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	long, _ := Schedule(sdxlSampling, "normal", 8)
	if len(sig) != 5 || sig[0] != long[4] {
		t.Errorf("sigmas %v, want tail of %v", sig, long)
	}
	if maxDenoise(sdxlSampling, sig[0]) {
		t.Error("max denoise on a trimmed schedule")
	}
	dis, _ := KSamplerSigmas(sdxlSampling, "normal", "dpm_2", 4, 1)
	five, _ := Schedule(sdxlSampling, "normal", 5)
	if len(dis) != 5 || dis[3] != five[3] || dis[4] != 0 {
		t.Errorf("discard rule: %v from %v", dis, five)
	}
}

// TestInpaintMask checks the noise mask: all ones equals no mask, all zeros
// gives back the input latent.
func TestInpaintMask(t *testing.T) {
	ctx := context.Background()
	in := testLatent(5, 1, 4, 8, 8)
	run := func(mask *tensor.Tensor) *tensor.Tensor {
		out, err := KSampler(ctx, &standIn{}, 2, 6, 4, "euler_ancestral", "normal", condPos, condNeg,
			Latent{Samples: in, NoiseMask: mask}, 0.7)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	ones := tensor.New(1, 1, 64, 64)
	for i := range ones.Data {
		ones.Data[i] = 1
	}
	if d := maxDiff(run(nil), run(ones)); d != 0 {
		t.Errorf("mask of ones differs by %g", d)
	}
	if d := maxDiff(run(tensor.New(64, 64)), in); d > 1e-5 {
		t.Errorf("mask of zeros changed the latent by %g", d)
	}
}

// TestKSamplerErrors covers bad input and cancellation.
func TestKSamplerErrors(t *testing.T) {
	ctx := context.Background()
	lat := Latent{Samples: tensor.New(1, 4, 4, 4)}
	if _, err := KSampler(ctx, &standIn{}, 1, 4, 7, "nope", "normal", condPos, condNeg, lat, 1); !errors.Is(err, ErrUnknownSampler) {
		t.Errorf("unknown sampler: %v", err)
	}
	if _, err := KSampler(ctx, &standIn{}, 1, 4, 7, "euler", "nope", condPos, condNeg, lat, 1); !errors.Is(err, ErrUnknownScheduler) {
		t.Errorf("unknown scheduler: %v", err)
	}
	if _, err := KSampler(ctx, &standIn{}, 1, 4, 7, "euler", "normal", condPos, condNeg, Latent{}, 1); err == nil {
		t.Error("nil latent accepted")
	}
	if _, err := KSampler(ctx, &standIn{}, 1, 4, 7, "euler", "normal", condPos, condNeg,
		Latent{Samples: lat.Samples, NoiseMask: tensor.New(1, 2, 3, 4)}, 1); err == nil {
		t.Error("bad mask accepted")
	}
	if _, err := KSampler(ctx, &standIn{}, 1, 4, 7, "euler", "normal", condPos, condNeg,
		Latent{Samples: lat.Samples, BatchIndex: []int{-1}}, 1); err == nil {
		t.Error("negative batch index accepted")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := KSampler(cctx, &standIn{}, 1, 4, 7, "euler", "normal", condPos, condNeg, lat, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestEverySamplerRuns runs every sampler name through KSampler with the
// discard rule, cfg 2 and a batch of two, and checks the output is finite.
func TestEverySamplerRuns(t *testing.T) {
	for _, name := range SamplerNames {
		t.Run(name, func(t *testing.T) {
			for _, steps := range []int{1, 2, 7} {
				out, err := KSampler(context.Background(), &standIn{}, 11, steps, 2, name, "karras", condPos, condNeg,
					Latent{Samples: tensor.New(2, 4, 4, 4)}, 1)
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range out.Data {
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
						t.Fatalf("steps %d: non-finite output", steps)
					}
				}
			}
		})
	}
}

// TestDrawAheadKeepsTheStream: drawing noise ahead on another goroutine must
// give exactly the tensors, in order, that drawing on demand gives.
func TestDrawAheadKeepsTheStream(t *testing.T) {
	shape := []int{2, 4, 5, 7}
	ahead := drawAhead(torchrand.New(43), shape)
	want := torchrand.New(43)
	for step := range 6 {
		got, exp := ahead(0, 0), want.Randn(shape...)
		for i := range exp.Data {
			if got.Data[i] != exp.Data[i] {
				t.Fatalf("step %d, element %d: %v, want %v", step, i, got.Data[i], exp.Data[i])
			}
		}
	}
}
