package sampling

import (
	"context"
	"math"

	"sumi/tensor"
)

// dpm_adaptive accepts or rejects steps on an error estimate, so rounding
// differences can change its path. It therefore follows ComfyUI's float32
// arithmetic operation by operation (torch's order, a rounding after each
// operation), which brings it from ~3e-5 to ~1e-6 of ComfyUI's output.

// f32 helpers: one rounded float32 operation each. The explicit conversions
// keep a compiler from fusing a product into a following addition.
func f32mul(a, b float32) float32 { return float32(a * b) }
func f32expm1(v float32) float32  { return float32(math.Expm1(float64(v))) }

// adaptive32 is one dpm_adaptive run in float32.
type adaptive32 struct {
	s     *stepper
	cache map[string][]float32
	shape []int
}

func sigma32(t float32) float32 { return f32exp(-t) }

// eps is (x − D(x, σ(t)))/σ(t) in float32, cached by role.
func (a *adaptive32) eps(key string, x []float32, t float32) ([]float32, error) {
	if e, ok := a.cache[key]; ok {
		return e, nil
	}
	sg := sigma32(t)
	den, err := a.s.den(tensor.FromData(x, a.shape...), float64(sg))
	if err != nil {
		return nil, err
	}
	e := make([]float32, len(x))
	for i, v := range x {
		e[i] = (v - den.Data[i]) / sg
	}
	a.cache[key] = e
	return e, nil
}

// axpy32 returns x − c·y, and with z set x − c·y − k·(z − y).
func axpy32(x []float32, c float32, y []float32, k float32, z []float32) []float32 {
	out := make([]float32, len(x))
	for i := range x {
		v := x[i] - f32mul(c, y[i])
		if z != nil {
			v -= f32mul(k, z[i]-y[i])
		}
		out[i] = v
	}
	return out
}

// firstStages evaluates ε at t and at t + h/3, reached from x by a
// first-order step: how both estimates begin.
func (a *adaptive32) firstStages(x []float32, t, h float32) (eps, epsR1 []float32, err error) {
	const r1 = float32(1.0 / 3)
	if eps, err = a.eps("eps", x, t); err != nil {
		return nil, nil, err
	}
	s1 := t + f32mul(r1, h)
	u1 := axpy32(x, f32mul(sigma32(s1), f32expm1(f32mul(r1, h))), eps, 0, nil)
	epsR1, err = a.eps("eps_r1", u1, s1)
	return eps, epsR1, err
}

// step2 is the order-2 DPM-Solver step with r1 = 1/3 (the low-order estimate).
func (a *adaptive32) step2(x []float32, t, tn float32) ([]float32, error) {
	h := tn - t
	eps, epsR1, err := a.firstStages(x, t, h)
	if err != nil {
		return nil, err
	}
	c := f32mul(sigma32(tn), f32expm1(h))
	k := f32mul(sigma32(tn)/float32(2*(1.0/3)), f32expm1(h))
	return axpy32(x, c, eps, k, epsR1), nil
}

// step3 is the order-3 DPM-Solver step (r1 = 1/3, r2 = 2/3).
func (a *adaptive32) step3(x []float32, t, tn float32) ([]float32, error) {
	const r2 = float32(2.0 / 3)
	h := tn - t
	eps, epsR1, err := a.firstStages(x, t, h)
	if err != nil {
		return nil, err
	}
	r2h := f32mul(r2, h)
	s2 := t + r2h
	k2 := f32mul(f32mul(sigma32(s2), float32(2.0/3/(1.0/3))), f32expm1(r2h)/r2h-1)
	u2 := axpy32(x, f32mul(sigma32(s2), f32expm1(r2h)), eps, k2, epsR1)
	epsR2, err := a.eps("eps_r2", u2, s2)
	if err != nil {
		return nil, err
	}
	k3 := f32mul(sigma32(tn)/r2, f32expm1(h)/h-1)
	return axpy32(x, f32mul(sigma32(tn), f32expm1(h)), eps, k3, epsR2), nil
}

// error32 is the scaled RMS difference of the two estimates in float32.
func error32(low, high, prev []float32) float64 {
	var sum float64
	for i := range low {
		l := low[i]
		delta := max(float32(adaptiveATol), f32mul(adaptiveRTol, max(abs32(l), abs32(prev[i]))))
		e := float64((l - high[i]) / delta)
		sum += e * e
	}
	return float64(float32(math.Sqrt(sum))) / math.Sqrt(float64(len(low)))
}

func sampleDPMAdaptive(ctx context.Context, x *tensor.Tensor, p *Params) (*tensor.Tensor, error) {
	sig := p.Sigmas
	if len(sig) <= 1 {
		return x, nil
	}
	a := &adaptive32{s: newStepper(ctx, p), shape: x.Shape}
	t0, t1 := dpmRange(sig)
	s, end := float32(t0), float32(t1)
	pid := &pidController{h: adaptiveHInit, b1: 1.0 / adaptiveOrder, safety: adaptiveSafety}
	cur, prev := x.Data, x.Data
	for attempt := 0; s < end-float32(1e-5) && attempt < adaptiveMaxAttempts; attempt++ {
		a.cache = map[string][]float32{}
		t := min(end, s+float32(pid.h))
		eps, err := a.eps("eps", cur, s)
		if err != nil {
			return nil, err
		}
		den := axpy32(cur, sigma32(s), eps, 0, nil)
		low, err := a.step2(cur, s, t)
		if err != nil {
			return nil, err
		}
		high, err := a.step3(cur, s, t)
		if err != nil {
			return nil, err
		}
		if pid.propose(error32(low, high, prev)) {
			prev, cur, s = low, high, t
		}
		a.s.callback(attempt, tensor.FromData(cur, x.Shape...), tensor.FromData(den, x.Shape...))
	}
	return tensor.FromData(append([]float32(nil), cur...), x.Shape...), nil
}
