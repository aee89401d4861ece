package sampling

import (
	"context"
	"math"

	"sumi/tensor"
)

func init() {
	samplers["seeds_2"] = bind(sampleSEEDS2, seeds2Settings{eta: 1, sNoise: 1, r: 0.5})
	samplers["exp_heun_2_x0"] = bind(sampleSEEDS2, seeds2Settings{r: 1, phi2: true})
	samplers["exp_heun_2_x0_sde"] = bind(sampleSEEDS2, seeds2Settings{eta: 1, sNoise: 1, r: 1, phi2: true})
	samplers["seeds_3"] = sampleSEEDS3
	samplers["er_sde"] = sampleERSDE
}

// e1 and e2 are h·φ1 and h·φ2 of the exponential integrators.
func e1(z float64) float64 { return math.Expm1(z) }
func e2(z float64) float64 { return (math.Expm1(z) - z) / z }

// seeds2Settings selects a member of the two-stage SEEDS family: noise η
// and its scale, the stage's fraction r of the step and whether the final
// update uses φ2 (the exponential Heun form) rather than the midpoint rule.
type seeds2Settings struct {
	eta, sNoise, r float64
	phi2           bool
}

// sampleSEEDS2 is the two-stage SEEDS solver; with r = 1 and the φ2 update
// it is the exponential Heun method (deterministic for η = 0).
func sampleSEEDS2(ctx context.Context, x *tensor.Tensor, p *Params, o seeds2Settings) (*tensor.Tensor, error) {
	s := newStepper(ctx, p)
	sig := p.Sigmas
	eta, r := o.eta, o.r
	inject := eta > 0 && o.sNoise > 0
	return s.loop(x, func(i int, x, den *tensor.Tensor) (*tensor.Tensor, error) {
		if sig[i+1] == 0 {
			return den, nil
		}
		sg, sn := sig[i], sig[i+1]
		st := newExpStep(sg, sn, eta)
		l1 := lerp(st.ls, st.lt, r)
		s1 := sigmaOf(l1)
		a1 := s1 * math.Exp(l1)

		x2 := lc(t_(s1/sg*math.Exp(-r*st.h*eta), x), t_(-a1*e1(-r*st.he), den))
		var n1 *tensor.Tensor
		if inject {
			n1 = lc(t_(math.Sqrt(-math.Expm1(-2*r*st.h*eta)), s.noise(sg, sn)))
			x2 = lc(t_(1, x2), t_(s1*o.sNoise, n1))
		}
		den2, err := s.den(x2, s1)
		if err != nil {
			return nil, err
		}
		if o.phi2 {
			b2 := e2(-st.he) / r
			b1 := e1(-st.he) - b2
			x = lc(t_(st.decay(), x), t_(-st.at*b1, den), t_(-st.at*b2, den2))
		} else {
			w := 1 / (2 * r)
			c := -st.at * e1(-st.he)
			x = lc(t_(st.decay(), x), t_(c*(1-w), den), t_(c*w, den2))
		}
		if !inject {
			return x, nil
		}
		f := (r - 1) * st.h * eta
		n := lc(t_(math.Exp(f), n1), t_(math.Sqrt(-math.Expm1(2*f)), s.noise(sg, sn)))
		return lc(t_(1, x), t_(sn*o.sNoise, n)), nil
	})
}

// sampleSEEDS3 is the three-stage SEEDS solver (η = 1, r1 = 1/3, r2 = 2/3).
func sampleSEEDS3(ctx context.Context, x *tensor.Tensor, p *Params) (*tensor.Tensor, error) {
	const eta, sNoise, r1, r2 = 1.0, 1.0, 1.0 / 3, 2.0 / 3
	s := newStepper(ctx, p)
	sig := p.Sigmas
	return s.loop(x, func(i int, x, den *tensor.Tensor) (*tensor.Tensor, error) {
		if sig[i+1] == 0 {
			return den, nil
		}
		sg, sn := sig[i], sig[i+1]
		st := newExpStep(sg, sn, eta)
		h, he := st.h, st.he
		l1, l2 := lerp(st.ls, st.lt, r1), lerp(st.ls, st.lt, r2)
		s1, s2 := sigmaOf(l1), sigmaOf(l2)
		a1, a2 := s1*math.Exp(l1), s2*math.Exp(l2)

		n1 := lc(t_(math.Sqrt(-math.Expm1(-2*r1*h*eta)), s.noise(sg, sn)))
		x2 := lc(t_(s1/sg*math.Exp(-r1*h*eta), x), t_(-a1*e1(-r1*he), den), t_(s1*sNoise, n1))
		den2, err := s.den(x2, s1)
		if err != nil {
			return nil, err
		}
		a32 := (r2 / r1) * e2(-r2*he)
		a31 := e1(-r2*he) - a32
		f := (r1 - r2) * h * eta
		n2 := lc(t_(math.Exp(f), n1), t_(math.Sqrt(-math.Expm1(2*f)), s.noise(sg, sn)))
		x3 := lc(t_(s2/sg*math.Exp(-r2*h*eta), x), t_(-a2*a31, den), t_(-a2*a32, den2), t_(s2*sNoise, n2))
		den3, err := s.den(x3, s2)
		if err != nil {
			return nil, err
		}
		b3 := e2(-he) / r2
		b1 := e1(-he) - b3
		f = (r2 - 1) * h * eta
		n3 := lc(t_(math.Exp(f), n2), t_(math.Sqrt(-math.Expm1(2*f)), s.noise(sg, sn)))
		return lc(t_(st.decay(), x), t_(-st.at*b1, den), t_(-st.at*b3, den3), t_(sn*sNoise, n3)), nil
	})
}

// erSDE constants: the quadrature resolution of the noise-scaler integrals.
const erSDEPoints = 200

// erNoiseScaler is ER-SDE solver 3's noise scaling function.
func erNoiseScaler(v float64) float64 { return v * (math.Exp(math.Pow(v, 0.3)) + 10) }

// erIntegrals are the left-sum quadratures over [λt, λs] of 1/N and of
// (v − λs)/N, N the noise scaler, that weight ER-SDE's second and third
// stage.
func erIntegrals(ls, lt float64) (sum, sumU float64) {
	delta := -(lt - ls) / erSDEPoints
	for k := 0; k < erSDEPoints; k++ {
		pos := lt + float64(k)*delta
		sum += delta / erNoiseScaler(pos)
		sumU += (pos - ls) / erNoiseScaler(pos) * delta
	}
	return sum, sumU
}

// sampleERSDE is the VP ER-SDE solver (up to stage 3).
func sampleERSDE(ctx context.Context, x *tensor.Tensor, p *Params) (*tensor.Tensor, error) {
	const sNoise, maxStage = 1.0, 3
	s := newStepper(ctx, p)
	sig := p.Sigmas
	ell := make([]float64, len(sig))
	for j, v := range sig {
		if v > 0 {
			ell[j] = sigmaOf(lambda(v))
		}
	}
	var denPrev, ddPrev *tensor.Tensor
	return s.loop(x, func(i int, x, den *tensor.Tensor) (*tensor.Tensor, error) {
		defer func() { denPrev = den }()
		if sig[i+1] == 0 {
			return den, nil
		}
		stage := min(maxStage, i+1)
		ls, lt := ell[i], ell[i+1]
		as, at := sig[i]/ls, sig[i+1]/lt
		r := erNoiseScaler(lt) / erNoiseScaler(ls)
		x = lc(t_(at/as*r, x), t_(at*(1-r), den))
		if stage >= 2 {
			dt := lt - ls
			sum, sumU := erIntegrals(ls, lt)
			dd := lc(t_(1/(ls-ell[i-1]), den), t_(-1/(ls-ell[i-1]), denPrev))
			x = lc(t_(1, x), t_(at*(dt+sum*erNoiseScaler(lt)), dd))
			if stage >= 3 {
				c := at * (dt*dt/2 + sumU*erNoiseScaler(lt)) * (2 / (ls - ell[i-2]))
				x = lc(t_(1, x), t_(c, dd), t_(-c, ddPrev))
			}
			ddPrev = dd
		}
		amp := nanToZero(math.Sqrt(lt*lt - ls*ls*r*r))
		return s.addNoise(x, i, at*sNoise*amp), nil
	})
}
