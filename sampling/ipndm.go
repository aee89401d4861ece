package sampling

import (
	"context"
	"math"

	"sumi/tensor"
)

func init() {
	samplers["ipndm"] = bind(sampleIPNDM, ipndmCoeffs)
	samplers["ipndm_v"] = bind(sampleIPNDM, ipndmVCoeffs)
	samplers["deis"] = sampleDEIS
}

// ipndmMaxOrder is the highest Adams–Bashforth order of ipndm / ipndm_v.
const ipndmMaxOrder = 4

// ipndmCoeffs returns the fixed-step Adams–Bashforth weights of the current
// derivative and the k−1 previous ones (newest first).
func ipndmCoeffs(sig []float64, i, k int) []float64 {
	switch k {
	case 1:
		return []float64{1}
	case 2:
		return []float64{3.0 / 2, -1.0 / 2}
	case 3:
		return []float64{23.0 / 12, -16.0 / 12, 5.0 / 12}
	default:
		return []float64{55.0 / 24, -59.0 / 24, 37.0 / 24, -9.0 / 24}
	}
}

// ipndmVCoeffs returns the variable-step Adams–Bashforth weights in σ.
func ipndmVCoeffs(sig []float64, i, k int) []float64 {
	a := sig[i+1] - sig[i]
	if k == 1 {
		return []float64{1}
	}
	b := sig[i] - sig[i-1]
	if k == 2 {
		return []float64{(2 + a/b) / 2, -(a / b) / 2}
	}
	c := sig[i-1] - sig[i-2]
	t1 := (1 - ((a/(3*(a+b)))*(a*(a+b)))/(b*(b+c))) / 2
	if k == 3 {
		return []float64{(2+a/b)/2 + t1, -(a/b)/2 - (1+b/c)*t1, t1 * b / c}
	}
	e := sig[i-2] - sig[i-3]
	t2 := ((1-a/(3*(a+b)))/2 + (1-a/(2*(a+b)))*a/(6*(a+b+c))) *
		(a * (a + b) * (a + b + c)) / (b * (b + c) * (b + c + e))
	q := b * (b + c) / (c * (c + e))
	return []float64{
		(2+a/b)/2 + t1 + t2,
		-(a/b)/2 - (1+b/c)*t1 - (1+b/c+q)*t2,
		t1*b/c + (b/c+q*(1+c/e))*t2,
		-t2 * q * b / c,
	}
}

// ipndmCoeffsFunc gives the weights of the k newest derivatives at step i.
type ipndmCoeffsFunc func(sig []float64, i, k int) []float64

func sampleIPNDM(ctx context.Context, x *tensor.Tensor, p *Params, coeffs ipndmCoeffsFunc) (*tensor.Tensor, error) {
	sig := p.Sigmas
	var hist []*tensor.Tensor // derivatives, newest last
	return newStepper(ctx, p).loop(x, func(i int, x, den *tensor.Tensor) (*tensor.Tensor, error) {
		hist = pushNewest(hist, toD(x, den, sig[i]), ipndmMaxOrder)
		if sig[i+1] == 0 {
			return den, nil
		}
		dt := sig[i+1] - sig[i]
		w := coeffs(sig, i, min(ipndmMaxOrder, i+1))
		for j := range w {
			w[j] *= dt
		}
		return adams(x, w, hist), nil
	})
}

// DEIS constants: ComfyUI builds its VP curve from EDM's default range, not
// the model's, in float32 (β_min suffers cancellation; these are its values).
const (
	deisBetaD   = 17.537851333618164
	deisBetaMin = -0.004715919494628906
	deisOrder   = 3
	deisPoints  = 10000
)

// deisTau maps σ to the VP time τ of DEIS's curve.
func deisTau(sigma float64) float64 {
	return (math.Sqrt(deisBetaMin*deisBetaMin+2*deisBetaD*math.Log(sigma*sigma+1)) - deisBetaMin) / deisBetaD
}

// deisG is dσ/dτ along the curve.
func deisG(tau float64) float64 {
	b0, b1 := deisBetaMin, deisBetaD+deisBetaMin
	logAB := -tau*tau*(b1-b0)/2 - tau*b0
	ab := math.Exp(logAB)
	dlog := -tau*(b1-b0) - b0
	return -0.5 * dlog / math.Sqrt(ab*(1-ab))
}

// deisCoeffs integrates g times each Lagrange basis polynomial over the step
// with ComfyUI's 10000-point left sum (which is what the goldens hold).
func deisCoeffs(taus []float64, i, k int) []float64 {
	nodes := make([]float64, k)
	for j := range nodes {
		nodes[j] = taus[i-j]
	}
	a, b := taus[i], taus[i+1]
	delta := (b - a) / deisPoints
	out := make([]float64, k)
	for q := 0; q < deisPoints; q++ {
		tau := a + (b-a)*float64(q)/(deisPoints-1)
		g := deisG(tau)
		for j := range out {
			l := 1.0
			for m := range nodes {
				if m != j {
					l *= (tau - nodes[m]) / (nodes[j] - nodes[m])
				}
			}
			out[j] += g * l * delta
		}
	}
	return out
}

func sampleDEIS(ctx context.Context, x *tensor.Tensor, p *Params) (*tensor.Tensor, error) {
	sig := p.Sigmas
	taus := make([]float64, len(sig))
	for i, v := range sig {
		taus[i] = deisTau(v)
	}
	var hist []*tensor.Tensor // derivatives, newest last
	return newStepper(ctx, p).loop(x, func(i int, x, den *tensor.Tensor) (*tensor.Tensor, error) {
		d := toD(x, den, sig[i])
		hist = pushNewest(hist, d, deisOrder)
		k := min(deisOrder, i+1)
		if sig[i+1] <= 0 || k == 1 {
			return lc(t_(1, x), t_(sig[i+1]-sig[i], d)), nil
		}
		return adams(x, deisCoeffs(taus, i, k), hist), nil
	})
}
