package sampling

import (
	"context"

	"sumi/tensor"
)

func init() { samplers["lms"] = sampleLMS }

// lmsOrder is the order of k-diffusion's linear multistep sampler.
const lmsOrder = 4

// gauss5 holds the nodes and weights of 5-point Gauss–Legendre quadrature on
// [-1, 1]; it integrates the degree <= 3 Lagrange polynomials of LMS exactly
// (ComfyUI integrates them numerically with scipy's quad).
var gauss5 = [5][2]float64{
	{0, 0.5688888888888889},
	{-0.5384693101056831, 0.47862867049936647},
	{0.5384693101056831, 0.47862867049936647},
	{-0.9061798459386640, 0.23692688505618908},
	{0.9061798459386640, 0.23692688505618908},
}

// lmsCoeff is ∫_{t[i]}^{t[i+1]} of the Lagrange basis polynomial for node
// t[i−j] over the nodes t[i], …, t[i−order+1].
func lmsCoeff(order int, t []float64, i, j int) float64 {
	a, b := t[i], t[i+1]
	half, mid := (b-a)/2, (a+b)/2
	var sum float64
	for _, nw := range gauss5 {
		tau := mid + half*nw[0]
		prod := 1.0
		for k := 0; k < order; k++ {
			if k == j {
				continue
			}
			prod *= (tau - t[i-k]) / (t[i-j] - t[i-k])
		}
		sum += nw[1] * prod
	}
	return sum * half
}

func sampleLMS(ctx context.Context, x *tensor.Tensor, p *Params) (*tensor.Tensor, error) {
	sig := p.Sigmas
	var ds []*tensor.Tensor // derivatives, newest last
	return newStepper(ctx, p).loop(x, func(i int, x, den *tensor.Tensor) (*tensor.Tensor, error) {
		ds = pushNewest(ds, toD(x, den, sig[i]), lmsOrder)
		if sig[i+1] == 0 {
			return den, nil
		}
		w := make([]float64, min(i+1, lmsOrder))
		for j := range w {
			w[j] = lmsCoeff(len(w), sig, i, j)
		}
		return adams(x, w, ds), nil
	})
}
