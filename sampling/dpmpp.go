package sampling

import (
	"context"
	"math"

	"sumi/tensor"
)

func init() {
	samplers["dpmpp_2s_ancestral"] = bind(sampleDPMPP2SAncestral, false)
	samplers["dpmpp_2s_ancestral_cfg_pp"] = bind(sampleDPMPP2SAncestral, true)
	samplers["dpmpp_2m"] = sampleDPMPP2M
	samplers["dpmpp_sde"] = sampleDPMPPSDE
	samplers["dpmpp_sde_gpu"] = sampleDPMPPSDE
	samplers["dpmpp_2m_sde"] = bind(sampleDPMPP2MSDE, false)
	samplers["dpmpp_2m_sde_gpu"] = samplers["dpmpp_2m_sde"]
	samplers["dpmpp_2m_sde_heun"] = bind(sampleDPMPP2MSDE, true)
	samplers["dpmpp_2m_sde_heun_gpu"] = samplers["dpmpp_2m_sde_heun"]
	samplers["dpmpp_3m_sde"] = sampleDPMPP3MSDE
	samplers["dpmpp_3m_sde_gpu"] = sampleDPMPP3MSDE
}

// sampleDPMPP2SAncestral is DPM-Solver++(2S) ancestral; its cfg++ variant
// differs only in the two stages' formulas.
func sampleDPMPP2SAncestral(ctx context.Context, x *tensor.Tensor, p *Params, cfgpp bool) (*tensor.Tensor, error) {
	const eta, sNoise = 1.0, 1.0
	s := newStepper(ctx, p)
	sig := p.Sigmas
	return s.loopUncond(x, cfgpp, func(i int, x, den, u *tensor.Tensor) (*tensor.Tensor, error) {
		down, up := ancestralStep(sig[i], sig[i+1], eta)
		var err error
		switch {
		case down == 0 && cfgpp:
			x = cfgppTo(x, den, u, sig[i], down)
		case down == 0:
			x = eulerTo(x, den, sig[i], down)
		case cfgpp:
			x, err = s.dpmpp2sCFGPPTo(x, den, u, sig[i], down)
		default:
			x, err = s.dpmpp2sTo(x, den, sig[i], down)
		}
		if err != nil {
			return nil, err
		}
		if sig[i+1] > 0 {
			x = s.addNoise(x, i, sNoise*up)
		}
		return x, nil
	})
}

// dpmpp2sTo is DPM-Solver++(2S)'s step from sigma to next: a first-order
// stage to the midpoint in λ, whose prediction then carries x the whole way.
func (s *stepper) dpmpp2sTo(x, den *tensor.Tensor, sigma, next float64) (*tensor.Tensor, error) {
	t, tn := lambda(sigma), lambda(next)
	h := tn - t
	sm := t + h/2
	x2 := lc(t_(sigmaOf(sm)/sigmaOf(t), x), t_(-math.Expm1(-h/2), den))
	den2, err := s.den(x2, sigmaOf(sm))
	if err != nil {
		return nil, err
	}
	return lc(t_(sigmaOf(tn)/sigmaOf(t), x), t_(-math.Expm1(-h), den2)), nil
}

// dpmpp2sCFGPPTo is dpmpp2sTo for cfg++: both stages keep the unguided
// prediction's noise.
func (s *stepper) dpmpp2sCFGPPTo(x, den, u *tensor.Tensor, sigma, next float64) (*tensor.Tensor, error) {
	t, tn := lambda(sigma), lambda(next)
	h := tn - t
	sm := t + h/2
	a := sigmaOf(sm) / sigmaOf(t)
	x2 := lc(t_(a, x), t_(a, den), t_(-a, u), t_(-math.Expm1(-h/2), den))
	den2, u2, err := s.denUncond(x2, sigmaOf(sm))
	if err != nil {
		return nil, err
	}
	// ComfyUI pairs the second call's uncond with the first call's den.
	b := sigmaOf(tn) / sigmaOf(t)
	return lc(t_(b, x), t_(b, den), t_(-b, u2), t_(-math.Expm1(-h), den2)), nil
}

func sampleDPMPP2M(ctx context.Context, x *tensor.Tensor, p *Params) (*tensor.Tensor, error) {
	sig := p.Sigmas
	var old *tensor.Tensor
	return newStepper(ctx, p).loop(x, func(i int, x, den *tensor.Tensor) (*tensor.Tensor, error) {
		defer func() { old = den }()
		switch {
		case sig[i+1] == 0:
			return den, nil
		case old == nil:
			h := lambda(sig[i+1]) - lambda(sig[i])
			return lc(t_(sig[i+1]/sig[i], x), t_(-math.Expm1(-h), den)), nil
		}
		t, tn := lambda(sig[i]), lambda(sig[i+1])
		h := tn - t
		r := (t - lambda(sig[i-1])) / h
		e := -math.Expm1(-h)
		return lc(t_(sig[i+1]/sig[i], x), t_(e*(1+1/(2*r)), den), t_(-e/(2*r), old)), nil
	})
}

// sampleDPMPPSDE is DPM-Solver++(2S) SDE with r = 1/2 and η = 1.
func sampleDPMPPSDE(ctx context.Context, x *tensor.Tensor, p *Params) (*tensor.Tensor, error) {
	const eta, sNoise, r = 1.0, 1.0, 0.5
	s := newStepper(ctx, p)
	sig := p.Sigmas
	return s.loop(x, func(i int, x, den *tensor.Tensor) (*tensor.Tensor, error) {
		if sig[i+1] == 0 {
			return den, nil
		}
		st := newExpStep(sig[i], sig[i+1], eta)
		ls1 := st.ls + r*st.h
		s1 := sigmaOf(ls1)
		as := sig[i] * math.Exp(st.ls)
		as1 := s1 * math.Exp(ls1)

		sd, su := ancestralStep(sigmaOf(st.ls), sigmaOf(ls1), eta)
		hh := lambda(sd) - st.ls
		x2 := lc(t_(as1/as*math.Exp(-hh), x), t_(-as1*math.Expm1(-hh), den),
			t_(as1*sNoise*su, s.brownian(sig[i], s1)))
		den2, err := s.den(x2, s1)
		if err != nil {
			return nil, err
		}
		sd, su = ancestralStep(sigmaOf(st.ls), sigmaOf(st.lt), eta)
		hh = lambda(sd) - st.ls
		const fac = 1 / (2 * r)
		e := -st.at * math.Expm1(-hh)
		return lc(t_(st.at/as*math.Exp(-hh), x), t_(e*(1-fac), den), t_(e*fac, den2),
			t_(st.at*sNoise*su, s.brownian(sig[i], sig[i+1]))), nil
	})
}

// sampleDPMPP2MSDE is DPM-Solver++(2M) SDE with η = 1; heun selects the
// Heun-type correction instead of the midpoint one.
func sampleDPMPP2MSDE(ctx context.Context, x *tensor.Tensor, p *Params, heun bool) (*tensor.Tensor, error) {
	const eta, sNoise = 1.0, 1.0
	s := newStepper(ctx, p)
	sig := p.Sigmas
	var old *tensor.Tensor
	var h, hLast float64
	return s.loop(x, func(i int, x, den *tensor.Tensor) (*tensor.Tensor, error) {
		defer func() { old, hLast = den, h }()
		if sig[i+1] == 0 {
			return den, nil
		}
		st := newExpStep(sig[i], sig[i+1], eta)
		h = st.h
		e := -math.Expm1(-st.he)
		terms := []term{t_(st.decay(), x), t_(st.at*e, den)}
		if old != nil {
			r := hLast / h
			c := 0.5 * st.at * e / r
			if heun {
				c = st.at * (e/(-st.he) + 1) / r
			}
			terms = append(terms, t_(c, den), t_(-c, old))
		}
		terms = append(terms, t_(st.noiseAmp()*sNoise, s.brownian(sig[i], sig[i+1])))
		return lc(terms...), nil
	})
}

// sampleDPMPP3MSDE is DPM-Solver++(3M) SDE with η = 1.
func sampleDPMPP3MSDE(ctx context.Context, x *tensor.Tensor, p *Params) (*tensor.Tensor, error) {
	const eta, sNoise = 1.0, 1.0
	s := newStepper(ctx, p)
	sig := p.Sigmas
	var den1, den2 *tensor.Tensor
	var h, h1, h2 float64
	// hSet, have1 and have2 track ComfyUI's None for h, h_1 and h_2.
	hSet, have1, have2 := false, false, false
	return s.loop(x, func(i int, x, den *tensor.Tensor) (*tensor.Tensor, error) {
		defer func() {
			den1, den2 = den, den1
			// ComfyUI shifts h even on the final step, where it keeps its old value.
			h1, h2 = h, h1
			have1, have2 = hSet, have1
		}()
		if sig[i+1] == 0 {
			return den, nil
		}
		st := newExpStep(sig[i], sig[i+1], eta)
		h, hSet = st.h, true
		terms := []term{t_(st.decay(), x), t_(st.at*-math.Expm1(-st.he), den)}
		phi2 := math.Expm1(-st.he)/st.he + 1
		switch {
		case have2:
			r0, r1 := h1/h, h2/h
			phi3 := phi2/st.he - 0.5
			// d1 = d1_0 + (d1_0 − d1_1)·r0/(r0+r1), d2 = (d1_0 − d1_1)/(r0+r1)
			// with d1_0 = (den − den1)/r0 and d1_1 = (den1 − den2)/r1.
			k := r0 / (r0 + r1)
			c10 := st.at * (phi2*(1+k) - phi3/(r0+r1)) // coefficient of d1_0
			c11 := st.at * (-phi2*k + phi3/(r0+r1))    // coefficient of d1_1
			terms = append(terms, t_(c10/r0, den), t_(-c10/r0+c11/r1, den1), t_(-c11/r1, den2))
		case have1:
			c := st.at * phi2 / (h1 / h)
			terms = append(terms, t_(c, den), t_(-c, den1))
		}
		terms = append(terms, t_(st.noiseAmp()*sNoise, s.brownian(sig[i], sig[i+1])))
		return lc(terms...), nil
	})
}
