package sampling

import (
	"context"
	"math"

	"sumi/tensor"
)

// The cfg++ samplers step from the guided prediction but re-noise along the
// unguided one, so they need the unconditional prediction of each model
// call (UncondDenoiser). dpmpp_2s_ancestral_cfg_pp shares its loop with
// dpmpp_2s_ancestral (dpmpp.go), res_multistep_cfg_pp and
// gradient_estimation_cfg_pp theirs with their plain twins.

func init() {
	samplers["euler_cfg_pp"] = bind(sampleEulerAncestralCFGPP, 0.0)
	samplers["euler_ancestral_cfg_pp"] = bind(sampleEulerAncestralCFGPP, 1.0)
	samplers["dpmpp_2m_cfg_pp"] = sampleDPMPP2MCFGPP
}

// sampleEulerAncestralCFGPP is euler_cfg_pp for η = 0 and
// euler_ancestral_cfg_pp for η = 1.
func sampleEulerAncestralCFGPP(ctx context.Context, x *tensor.Tensor, p *Params, eta float64) (*tensor.Tensor, error) {
	const sNoise = 1.0
	s := newStepper(ctx, p)
	sig := p.Sigmas
	return s.loopUncond(x, true, func(i int, x, den, u *tensor.Tensor) (*tensor.Tensor, error) {
		if sig[i+1] == 0 {
			return den, nil
		}
		down, up := ancestralStep(sig[i], sig[i+1], eta)
		x = cfgppTo(x, den, u, sig[i], down)
		if eta > 0 && sNoise > 0 {
			x = s.addNoise(x, i, sNoise*up)
		}
		return x, nil
	})
}

func sampleDPMPP2MCFGPP(ctx context.Context, x *tensor.Tensor, p *Params) (*tensor.Tensor, error) {
	sig := p.Sigmas
	var uOld *tensor.Tensor
	return newStepper(ctx, p).loopUncond(x, true, func(i int, x, den, u *tensor.Tensor) (*tensor.Tensor, error) {
		defer func() { uOld = u }()
		if sig[i+1] == 0 {
			return den, nil
		}
		t, tn := lambda(sig[i]), lambda(sig[i+1])
		h := tn - t
		eh := math.Exp(-h)
		terms := []term{t_(1, den), t_(eh, x), t_(-eh, u)}
		if uOld != nil {
			r := (t - lambda(sig[i-1])) / h
			c := -math.Expm1(-h) / (2 * r)
			terms = append(terms, t_(c, den), t_(-c, uOld))
		}
		return lc(terms...), nil
	})
}
