package sampling

import (
	"context"
	"math"

	"sumi/tensor"
)

// UniPC (bh1 and bh2 variants) in ComfyUI's form: multistep, data
// prediction, the given sigmas as time steps (a final 0 becomes 0.001),
// lower order at the end, corrector on every update but the last. The
// solver works on the variance-preserving latent x/sqrt(1+σ²). Its schedule
// quantities are computed in float32 like ComfyUI, because at σ = 0.001 the
// VP noise level 1 − e^{−σ²} loses most of its digits there and the result
// depends on that rounding.

func init() {
	samplers["uni_pc"] = bind(sampleUniPC, false)
	samplers["uni_pc_bh2"] = bind(sampleUniPC, true)
}

// uniPCFinalSigma replaces a final sigma of 0.
const uniPCFinalSigma = 0.001

// vpLogMean is ln α(σ) = ½·ln(1/(σ²+1)) in float32.
func vpLogMean(sigma float64) float32 {
	s := float32(sigma)
	return 0.5 * f32log(1/(s*s+1))
}

func f32log(v float32) float32 { return float32(math.Log(float64(v))) }
func f32exp(v float32) float32 { return float32(math.Exp(float64(v))) }

func vpAlpha(sigma float64) float32 { return f32exp(vpLogMean(sigma)) }

func vpStd(sigma float64) float32 {
	return float32(math.Sqrt(float64(1 - f32exp(2*vpLogMean(sigma)))))
}

func vpLambda(sigma float64) float32 {
	lm := vpLogMean(sigma)
	return lm - 0.5*f32log(1-f32exp(2*lm))
}

// uniPC holds one run's history of data predictions and their times.
type uniPC struct {
	s      *stepper
	bh2    bool
	models []*tensor.Tensor
	times  []float64
}

// model evaluates the data prediction for the VP state x at time sigma.
func (u *uniPC) model(x *tensor.Tensor, sigma float64) (*tensor.Tensor, error) {
	return u.s.den(lc(t_(math.Sqrt(sigma*sigma+1), x)), sigma)
}

func sampleUniPC(ctx context.Context, x *tensor.Tensor, p *Params, bh2 bool) (*tensor.Tensor, error) {
	ts := append([]float64(nil), p.Sigmas...)
	if len(ts) == 0 {
		return x, nil
	}
	if ts[len(ts)-1] == 0 {
		ts[len(ts)-1] = uniPCFinalSigma
	}
	u := &uniPC{s: newStepper(ctx, p), bh2: bh2}
	x = lc(t_(1/math.Sqrt(1+ts[0]*ts[0]), x))
	steps := len(ts) - 1
	order := min(3, len(ts)-2)
	for idx := 0; idx < steps; idx++ {
		var err error
		switch {
		case idx == 0:
			var m *tensor.Tensor
			if m, err = u.model(x, ts[0]); err != nil {
				return nil, err
			}
			u.models, u.times = []*tensor.Tensor{m}, []float64{ts[0]}
		case idx < order:
			if x, err = u.advance(x, ts[idx], idx, true, false); err != nil {
				return nil, err
			}
		default:
			last := idx
			if idx == steps-1 {
				last = steps
			}
			for st := idx; st <= last; st++ {
				k := min(order, steps+1-st)
				if x, err = u.advance(x, ts[st], k, st != steps, true); err != nil {
					return nil, err
				}
			}
		}
		u.s.callback(idx, x, u.models[len(u.models)-1])
	}
	return lc(t_(1/float64(vpAlpha(ts[len(ts)-1])), x)), nil
}

// advance runs one update to time t of the given order and records the new
// data prediction; shift drops the oldest history entry (full history).
func (u *uniPC) advance(x *tensor.Tensor, t float64, order int, corrector, shift bool) (*tensor.Tensor, error) {
	xt, mt, err := u.update(x, t, order, corrector)
	if err != nil {
		return nil, err
	}
	if mt == nil && corrector {
		if mt, err = u.model(xt, t); err != nil {
			return nil, err
		}
	}
	if shift {
		copy(u.models, u.models[1:])
		copy(u.times, u.times[1:])
		u.times[len(u.times)-1] = t
		if mt != nil {
			u.models[len(u.models)-1] = mt
		}
		return xt, nil
	}
	u.models = append(u.models, mt)
	u.times = append(u.times, t)
	return xt, nil
}

// update is multistep_uni_pc_bh_update with data prediction: the predictor
// from the history and, with corrector, the model at the prediction and the
// corrected state.
func (u *uniPC) update(x *tensor.Tensor, t float64, order int, corrector bool) (*tensor.Tensor, *tensor.Tensor, error) {
	n := len(u.models)
	tp, m0 := u.times[n-1], u.models[n-1]
	lp := vpLambda(tp)
	h := vpLambda(t) - lp
	rks, d1s := u.differences(lp, h, order)
	R, b, hPhi1, bh := bhSystem(h, rks, u.bh2)
	alphaT := vpAlpha(t)
	base := []term{t_(float64(vpStd(t)/vpStd(tp)), x), t_(-float64(alphaT*hPhi1), m0)}
	w := -float64(alphaT) * float64(bh) // weight of every ρ_k·D1_k
	xt := lc(base...)
	if len(d1s) > 0 {
		rhoP := []float64{0.5}
		if order != 2 {
			rhoP = solve(subMatrix(R, order-1), append([]float64(nil), b[:order-1]...))
		}
		xt = lc(withD1s(base, w, rhoP, d1s)...)
	}
	if !corrector {
		return xt, nil, nil
	}
	rhoC := []float64{0.5}
	if order != 1 {
		rhoC = solve(subMatrix(R, order), append([]float64(nil), b...))
	}
	mt, err := u.model(xt, t)
	if err != nil {
		return nil, nil, err
	}
	c := w * rhoC[len(rhoC)-1]
	terms := append(withD1s(base, w, rhoC, d1s), t_(c, mt), t_(-c, m0))
	return lc(terms...), mt, nil
}

// differences returns the history's λ steps relative to h (with a final 1)
// and the scaled differences D1_k = (m_k − m0)/r_k of its predictions.
func (u *uniPC) differences(lp, h float32, order int) ([]float64, []*tensor.Tensor) {
	n := len(u.models)
	m0 := u.models[n-1]
	rks := make([]float64, 0, order)
	d1s := make([]*tensor.Tensor, 0, order)
	for i := 1; i < order; i++ {
		rk := (vpLambda(u.times[n-1-i]) - lp) / h
		rks = append(rks, float64(rk))
		d1s = append(d1s, lc(t_(1/float64(rk), u.models[n-1-i]), t_(-1/float64(rk), m0)))
	}
	return append(rks, 1), d1s
}

// bhSystem builds the system R·ρ = b of the B(h) update for the ratios rks
// and returns it with h·φ1(−h) and B(h) (bh2 selects B(h) = e^{−h} − 1).
func bhSystem(h float32, rks []float64, bh2 bool) (R [][]float64, b []float64, hPhi1, bh float32) {
	order := len(rks)
	hh := -h
	hPhi1 = float32(math.Expm1(float64(hh)))
	hPhiK := hPhi1/hh - 1
	bh = hh
	if bh2 {
		bh = hPhi1
	}
	R = make([][]float64, order)
	b = make([]float64, order)
	fact := float32(1)
	for i := 1; i <= order; i++ {
		R[i-1] = make([]float64, order)
		for j, r := range rks {
			R[i-1][j] = math.Pow(r, float64(i-1))
		}
		b[i-1] = float64(hPhiK * fact / bh)
		fact *= float32(i + 1)
		hPhiK = hPhiK/hh - 1/fact
	}
	return R, b, hPhi1, bh
}

// withD1s returns base followed by w·ρ_k·D1_k for every difference.
func withD1s(base []term, w float64, rho []float64, d1s []*tensor.Tensor) []term {
	terms := append([]term(nil), base...)
	for k, d := range d1s {
		terms = append(terms, t_(w*rho[k], d))
	}
	return terms
}

// subMatrix copies the leading n×n block of A.
func subMatrix(A [][]float64, n int) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		out[i] = append([]float64(nil), A[i][:n]...)
	}
	return out
}
