package sampling

import (
	"context"
	"math"

	"sumi/tensor"
)

func init() {
	samplers["res_multistep"] = bind(sampleResMultistep, resSettings{})
	samplers["res_multistep_cfg_pp"] = bind(sampleResMultistep, resSettings{cfgpp: true})
	samplers["res_multistep_ancestral"] = bind(sampleResMultistep, resSettings{eta: 1})
	samplers["res_multistep_ancestral_cfg_pp"] = bind(sampleResMultistep, resSettings{eta: 1, cfgpp: true})
	samplers["gradient_estimation"] = bind(sampleGradientEstimation, false)
	samplers["gradient_estimation_cfg_pp"] = bind(sampleGradientEstimation, true)
}

// phi1 and phi2 are the exponential-integrator weights expm1(z)/z and
// (phi1(z) − 1)/z.
func phi1(z float64) float64 { return math.Expm1(z) / z }
func phi2(z float64) float64 { return (phi1(z) - 1) / z }

// resSettings selects a res_multistep variant: ancestral noise η and cfg++.
type resSettings struct {
	eta   float64
	cfgpp bool
}

// sampleResMultistep is the second-order exponential multistep (RES) solver.
func sampleResMultistep(ctx context.Context, x *tensor.Tensor, p *Params, o resSettings) (*tensor.Tensor, error) {
	const sNoise = 1.0
	s := newStepper(ctx, p)
	sig := p.Sigmas
	var oldDen *tensor.Tensor
	var oldDown float64
	return s.loopUncond(x, o.cfgpp, func(i int, x, den, u *tensor.Tensor) (*tensor.Tensor, error) {
		down, up := ancestralStep(sig[i], sig[i+1], o.eta)
		switch {
		case (down == 0 || oldDen == nil) && o.cfgpp:
			x = cfgppTo(x, den, u, sig[i], down)
		case down == 0 || oldDen == nil:
			x = eulerTo(x, den, sig[i], down)
		default:
			t, tOld, tn, tPrev := lambda(sig[i]), lambda(oldDown), lambda(down), lambda(sig[i-1])
			h := tn - t
			c2 := (tPrev - tOld) / h
			b1 := nanToZero(phi1(-h) - phi2(-h)/c2)
			b2 := nanToZero(phi2(-h) / c2)
			eh := math.Exp(-h)
			if o.cfgpp {
				x = lc(t_(eh, x), t_(eh, den), t_(-eh, u), t_(h*b1, u), t_(h*b2, oldDen))
			} else {
				x = lc(t_(eh, x), t_(h*b1, den), t_(h*b2, oldDen))
			}
		}
		if sig[i+1] > 0 && up > 0 {
			x = s.addNoise(x, i, sNoise*up)
		}
		// u is den itself unless cfg++, which extrapolates the unguided one.
		oldDen, oldDown = u, down
		return x, nil
	})
}

// gradientEstimationGamma is the γ of the gradient-estimation sampler.
const gradientEstimationGamma = 2.0

func sampleGradientEstimation(ctx context.Context, x *tensor.Tensor, p *Params, cfgpp bool) (*tensor.Tensor, error) {
	sig := p.Sigmas
	var oldD *tensor.Tensor
	return newStepper(ctx, p).loopUncond(x, cfgpp, func(i int, x, den, u *tensor.Tensor) (*tensor.Tensor, error) {
		d := toD(x, u, sig[i])
		defer func() { oldD = d }()
		if sig[i+1] == 0 {
			return den, nil
		}
		dt := sig[i+1] - sig[i]
		if cfgpp {
			x = lc(t_(1, den), t_(sig[i+1], d))
		} else {
			x = lc(t_(1, x), t_(dt, d))
		}
		if i >= 1 {
			g := (gradientEstimationGamma - 1) * dt
			x = lc(t_(1, x), t_(g, d), t_(-g, oldD))
		}
		return x, nil
	})
}
