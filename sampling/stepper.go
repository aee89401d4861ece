package sampling

import (
	"context"
	"fmt"

	"sumi/tensor"
)

// stepper carries the per-run plumbing every sampler loop needs: model
// calls checked for cancellation and shape, the per-step callback and the
// noise streams.
type stepper struct {
	ctx context.Context
	p   *Params
}

func newStepper(ctx context.Context, p *Params) *stepper { return &stepper{ctx: ctx, p: p} }

// stepFunc advances x from Sigmas[i] to Sigmas[i+1], given the model's
// prediction den at (x, Sigmas[i]).
type stepFunc func(i int, x, den *tensor.Tensor) (*tensor.Tensor, error)

// uncondStepFunc is a stepFunc that also gets the unconditional prediction u
// (den itself when the loop does not ask for it).
type uncondStepFunc func(i int, x, den, u *tensor.Tensor) (*tensor.Tensor, error)

// loop is the skeleton of the samplers that start every step with one model
// call at the current sigma: evaluate, report, step.
func (s *stepper) loop(x *tensor.Tensor, step stepFunc) (*tensor.Tensor, error) {
	return s.loopUncond(x, false, func(i int, x, den, _ *tensor.Tensor) (*tensor.Tensor, error) {
		return step(i, x, den)
	})
}

// loopUncond is loop for the cfg++ samplers: with uncond set every step's
// first call also returns the unconditional prediction.
func (s *stepper) loopUncond(x *tensor.Tensor, uncond bool, step uncondStepFunc) (*tensor.Tensor, error) {
	sig := s.p.Sigmas
	for i := 0; i+1 < len(sig); i++ {
		den, u, err := s.eval(x, sig[i], uncond)
		if err != nil {
			return nil, err
		}
		s.callback(i, x, den)
		if x, err = step(i, x, den, u); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// den evaluates the model, checking for cancellation and a shape mismatch.
func (s *stepper) den(x *tensor.Tensor, sigma float64) (*tensor.Tensor, error) {
	if err := s.ctx.Err(); err != nil {
		return nil, err
	}
	d, err := s.p.Model.Denoise(s.ctx, x, sigma)
	if err != nil {
		return nil, err
	}
	if d == nil || !d.SameShape(x) {
		return nil, fmt.Errorf("model returned %v for input %v", d, x)
	}
	return d, nil
}

// slope evaluates the model and returns the derivative (x − D(x, σ))/σ of
// the probability-flow ODE, for the second stages of the ODE solvers.
func (s *stepper) slope(x *tensor.Tensor, sigma float64) (*tensor.Tensor, error) {
	d, err := s.den(x, sigma)
	if err != nil {
		return nil, err
	}
	return toD(x, d, sigma), nil
}

// denUncond evaluates the model and returns the unconditional prediction too;
// a model that cannot give one is treated as unguided (uncond = den).
func (s *stepper) denUncond(x *tensor.Tensor, sigma float64) (den, uncond *tensor.Tensor, err error) {
	u, ok := s.p.Model.(UncondDenoiser)
	if !ok {
		d, err := s.den(x, sigma)
		return d, d, err
	}
	if err := s.ctx.Err(); err != nil {
		return nil, nil, err
	}
	den, uncond, err = u.DenoiseUncond(s.ctx, x, sigma)
	if err != nil {
		return nil, nil, err
	}
	if den == nil || uncond == nil || !den.SameShape(x) || !uncond.SameShape(x) {
		return nil, nil, fmt.Errorf("model returned %v/%v for input %v", den, uncond, x)
	}
	return den, uncond, nil
}

// eval runs the model, with the uncond prediction when uncond is set (else
// u is den), so that a sampler and its cfg++ twin share one body.
func (s *stepper) eval(x *tensor.Tensor, sigma float64, uncond bool) (den, u *tensor.Tensor, err error) {
	if uncond {
		return s.denUncond(x, sigma)
	}
	den, err = s.den(x, sigma)
	return den, den, err
}

func (s *stepper) callback(i int, x, den *tensor.Tensor) {
	if s.p.Callback != nil {
		s.p.Callback(Step{Index: i, X: x, Denoised: den})
	}
}

func (s *stepper) noise(sigma, next float64) *tensor.Tensor { return s.p.Noise(sigma, next) }

func (s *stepper) brownian(sigma, next float64) *tensor.Tensor { return s.p.Brownian(sigma, next) }

// addNoise returns x + amp·ε, ε being step i's draw from the default stream:
// the re-noising that ends an ancestral step.
func (s *stepper) addNoise(x *tensor.Tensor, i int, amp float64) *tensor.Tensor {
	sig := s.p.Sigmas
	return lc(t_(1, x), t_(amp, s.noise(sig[i], sig[i+1])))
}

// bind fixes the settings argument of a sampler family's function, giving
// the SamplerFunc of one named member.
func bind[T any](f func(context.Context, *tensor.Tensor, *Params, T) (*tensor.Tensor, error), v T) SamplerFunc {
	return func(ctx context.Context, x *tensor.Tensor, p *Params) (*tensor.Tensor, error) {
		return f(ctx, x, p, v)
	}
}
