package sampling

import (
	"context"
	"math"

	"sumi/tensor"
)

// dpm_fast and dpm_adaptive run DPM-Solver in ε form between the first and
// the last non-zero sigma only, and return a latent still at that last
// noise level, as ComfyUI does.

func init() {
	samplers["dpm_fast"] = sampleDPMFast
	samplers["dpm_adaptive"] = sampleDPMAdaptive
}

// dpmSolver evaluates ε(x, t) with a per-step cache by role.
type dpmSolver struct {
	s     *stepper
	cache map[string]*tensor.Tensor
}

func (d *dpmSolver) sigma(t float64) float64 { return math.Exp(-t) }

func (d *dpmSolver) eps(key string, x *tensor.Tensor, t float64) (*tensor.Tensor, error) {
	if e, ok := d.cache[key]; ok {
		return e, nil
	}
	sg := d.sigma(t)
	den, err := d.s.den(x, sg)
	if err != nil {
		return nil, err
	}
	e := toD(x, den, sg)
	d.cache[key] = e
	return e, nil
}

func (d *dpmSolver) step1(x *tensor.Tensor, t, tn float64) (*tensor.Tensor, error) {
	eps, err := d.eps("eps", x, t)
	if err != nil {
		return nil, err
	}
	return lc(t_(1, x), t_(-d.sigma(tn)*math.Expm1(tn-t), eps)), nil
}

// firstStages evaluates ε at t and at t + r1·h, reached from x by a
// first-order step: how every higher-order DPM-Solver step begins.
func (d *dpmSolver) firstStages(x *tensor.Tensor, t, h, r1 float64) (eps, epsR1 *tensor.Tensor, err error) {
	if eps, err = d.eps("eps", x, t); err != nil {
		return nil, nil, err
	}
	s1 := t + r1*h
	u1 := lc(t_(1, x), t_(-d.sigma(s1)*math.Expm1(r1*h), eps))
	epsR1, err = d.eps("eps_r1", u1, s1)
	return eps, epsR1, err
}

func (d *dpmSolver) step2(x *tensor.Tensor, t, tn, r1 float64) (*tensor.Tensor, error) {
	h := tn - t
	eps, epsR1, err := d.firstStages(x, t, h, r1)
	if err != nil {
		return nil, err
	}
	a := d.sigma(tn) * math.Expm1(h)
	c := d.sigma(tn) / (2 * r1) * math.Expm1(h)
	return lc(t_(1, x), t_(-a+c, eps), t_(-c, epsR1)), nil
}

func (d *dpmSolver) step3(x *tensor.Tensor, t, tn float64) (*tensor.Tensor, error) {
	const r1, r2 = 1.0 / 3, 2.0 / 3
	h := tn - t
	eps, epsR1, err := d.firstStages(x, t, h, r1)
	if err != nil {
		return nil, err
	}
	s2 := t + r2*h
	c2 := d.sigma(s2) * (r2 / r1) * (math.Expm1(r2*h)/(r2*h) - 1)
	u2 := lc(t_(1, x), t_(-d.sigma(s2)*math.Expm1(r2*h)+c2, eps), t_(-c2, epsR1))
	epsR2, err := d.eps("eps_r2", u2, s2)
	if err != nil {
		return nil, err
	}
	c3 := d.sigma(tn) / r2 * (math.Expm1(h)/h - 1)
	return lc(t_(1, x), t_(-d.sigma(tn)*math.Expm1(h)+c3, eps), t_(-c3, epsR2)), nil
}

// dpmRange returns the λ-times of the first and the last non-zero sigma.
func dpmRange(sig []float64) (t0, t1 float64) {
	lo := sig[len(sig)-1]
	if lo == 0 {
		lo = sig[len(sig)-2]
	}
	return float64(float32(-math.Log(sig[0]))), float64(float32(-math.Log(lo)))
}

func sampleDPMFast(ctx context.Context, x *tensor.Tensor, p *Params) (*tensor.Tensor, error) {
	sig := p.Sigmas
	if len(sig) <= 1 {
		return x, nil
	}
	d := &dpmSolver{s: newStepper(ctx, p)}
	t0, t1 := dpmRange(sig)
	n := len(sig) - 1
	m := n/3 + 1
	ts := linspace32(float32(t0), float32(t1), m+1)
	var orders []int
	if n%3 == 0 {
		for k := 0; k < m-2; k++ {
			orders = append(orders, 3)
		}
		orders = append(orders, 2, 1)
	} else {
		for k := 0; k < m-1; k++ {
			orders = append(orders, 3)
		}
		orders = append(orders, n%3)
	}
	for i, order := range orders {
		d.cache = map[string]*tensor.Tensor{}
		t, tn := float64(ts[i]), float64(ts[i+1])
		eps, err := d.eps("eps", x, t)
		if err != nil {
			return nil, err
		}
		d.s.callback(i, x, lc(t_(1, x), t_(-d.sigma(t), eps)))
		switch order {
		case 1:
			x, err = d.step1(x, t, tn)
		case 2:
			x, err = d.step2(x, t, tn, 0.5)
		default:
			x, err = d.step3(x, t, tn)
		}
		if err != nil {
			return nil, err
		}
	}
	return x, nil
}

// pidController is DPM-Solver's step-size controller with ComfyUI's
// defaults for dpm_adaptive (integral only: p = 0, i = 1, d = 0, order 3).
type pidController struct {
	h, b1, b2, b3, safety float64
	errs                  []float64
}

func (c *pidController) propose(err float64) bool {
	inv := 1 / (err + 1e-8)
	if c.errs == nil {
		c.errs = []float64{inv, inv, inv}
	}
	c.errs[0] = inv
	f := math.Pow(c.errs[0], c.b1) * math.Pow(c.errs[1], c.b2) * math.Pow(c.errs[2], c.b3)
	f = 1 + math.Atan(f-1)
	accept := f >= c.safety
	if accept {
		c.errs[2] = c.errs[1]
		c.errs[1] = c.errs[0]
	}
	c.h *= f
	return accept
}

// dpm_adaptive settings of ComfyUI's KSampler entry.
const (
	adaptiveRTol   = 0.05
	adaptiveATol   = 0.0078
	adaptiveHInit  = 0.05
	adaptiveSafety = 0.81
	adaptiveOrder  = 3
	// adaptiveMaxAttempts bounds the loop if the controller keeps rejecting.
	adaptiveMaxAttempts = 100000
)
