package sampling

import (
	"context"
	"fmt"
	"math"

	"sumi/tensor"
)

// Network is a raw diffusion network such as SDXL's UNet: given the scaled
// input c_in·x, the timestep and one conditioning per batch chunk (as in
// Model), it predicts the noise ε (or v for v-prediction checkpoints).
type Network interface {
	Predict(ctx context.Context, xIn *tensor.Tensor, timestep float64, conds []any) (*tensor.Tensor, error)
}

// Prediction is what a Network predicts.
type Prediction int

const (
	// PredictEps: the network predicts the added noise (SDXL default).
	PredictEps Prediction = iota
	// PredictV: v-prediction.
	PredictV
)

// NetModel turns a Network into a Model (ComfyUI's model sampling wrapper):
// x_in = x/sqrt(σ²+1), t = timestep(σ), then ε or v to the denoised latent.
type NetModel struct {
	Net        Network
	Sampling   ModelSampling
	Prediction Prediction
}

var (
	_ Model            = (*NetModel)(nil)
	_ SamplingProvider = (*NetModel)(nil)
)

// SamplingProvider is implemented by models that know their noise schedule;
// KSampler uses it instead of the SDXL default.
type SamplingProvider interface {
	ModelSampling() ModelSampling
}

// ModelSampling implements SamplingProvider.
func (m *NetModel) ModelSampling() ModelSampling { return m.Sampling }

// Denoise implements Model.
func (m *NetModel) Denoise(ctx context.Context, x *tensor.Tensor, sigma float64, conds []any) (*tensor.Tensor, error) {
	s := float32(sigma)
	s2 := s*s + 1
	root := float32(math.Sqrt(float64(s2)))
	xIn := tensor.New(x.Shape...)
	for i, v := range x.Data {
		xIn.Data[i] = v / root
	}
	out, err := m.Net.Predict(ctx, xIn, m.Sampling.Timestep(sigma), conds)
	if err != nil {
		return nil, err
	}
	if out == nil || !out.SameShape(x) {
		return nil, fmt.Errorf("sampling: network returned %v for input %v", out, x)
	}
	den := tensor.New(x.Shape...)
	switch m.Prediction {
	case PredictV:
		a := float32(s / root)
		for i, v := range x.Data {
			den.Data[i] = v/s2 - float32(out.Data[i]*a)
		}
	default:
		for i, v := range x.Data {
			den.Data[i] = v - float32(out.Data[i]*s)
		}
	}
	return den, nil
}

// NetworkFunc adapts a function to the Network interface.
type NetworkFunc func(ctx context.Context, xIn *tensor.Tensor, timestep float64, conds []any) (*tensor.Tensor, error)

// Predict implements Network.
func (f NetworkFunc) Predict(ctx context.Context, xIn *tensor.Tensor, timestep float64, conds []any) (*tensor.Tensor, error) {
	return f(ctx, xIn, timestep, conds)
}
