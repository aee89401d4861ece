package sampling

import (
	"context"
	"testing"

	"sumi/tensor"
)

// TestBrownianSamplersSurviveZeroInsideSigmas: a 0 in the middle of
// hand-made sigmas once sent NaN times into the tree and overflowed the stack.
func TestBrownianSamplersSurviveZeroInsideSigmas(t *testing.T) {
	sigmas := []float64{14.6, 7, 3, 0, 1.5, 0.7, 0}
	for _, name := range SamplerNames {
		if !UsesBrownianNoise(name) {
			continue
		}
		t.Run(name, func(t *testing.T) {
			x := tensor.New(1, 4, 2, 2)
			for i := range x.Data {
				x.Data[i] = float32(i%5) - 2
			}
			out, err := Sample(context.Background(), name, x, Params{Model: halfDenoiser{}, Sigmas: sigmas,
				Brownian: NewBrownianTree(x.Shape, 1, 0.7, 14.6).Noise})
			if err != nil {
				return // a clear error is as good as a result
			}
			if !out.SameShape(x) {
				t.Fatalf("shape %v, want %v", out.Shape, x.Shape)
			}
		})
	}
}

// halfDenoiser predicts x/2: enough to drive a sampler without a network.
type halfDenoiser struct{}

func (halfDenoiser) Denoise(_ context.Context, x *tensor.Tensor, _ float64) (*tensor.Tensor, error) {
	out := x.Clone()
	for i := range out.Data {
		out.Data[i] /= 2
	}
	return out, nil
}
