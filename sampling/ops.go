package sampling

import (
	"math"

	"sumi/tensor"
)

// term is one coefficient·tensor summand of a linear combination.
type term struct {
	c float64
	t *tensor.Tensor
}

// lc returns Σ c_k·t_k elementwise, accumulated in float64 and stored as
// float32. Terms with a nil tensor or a zero coefficient are skipped.
func lc(terms ...term) *tensor.Tensor {
	var like *tensor.Tensor
	live := terms[:0:0]
	for _, tm := range terms {
		if tm.t == nil {
			continue
		}
		like = tm.t
		if tm.c != 0 {
			live = append(live, tm)
		}
	}
	out := tensor.New(like.Shape...)
	switch len(live) {
	case 0:
	case 1:
		a := live[0]
		for i, v := range a.t.Data {
			out.Data[i] = float32(a.c * float64(v))
		}
	case 2:
		a, b := live[0], live[1]
		for i := range out.Data {
			out.Data[i] = float32(a.c*float64(a.t.Data[i]) + b.c*float64(b.t.Data[i]))
		}
	default:
		for i := range out.Data {
			var s float64
			for _, tm := range live {
				s += tm.c * float64(tm.t.Data[i])
			}
			out.Data[i] = float32(s)
		}
	}
	return out
}

// t_ builds a term.
func t_(c float64, t *tensor.Tensor) term { return term{c, t} }

// toD is k-diffusion's to_d: the derivative (x − den)/σ.
func toD(x, den *tensor.Tensor, sigma float64) *tensor.Tensor {
	return lc(t_(1/sigma, x), t_(-1/sigma, den))
}

// eulerTo is an Euler step of the probability-flow ODE from sigma to next.
func eulerTo(x, den *tensor.Tensor, sigma, next float64) *tensor.Tensor {
	return lc(t_(1, x), t_(next-sigma, toD(x, den, sigma)))
}

// cfgppTo is eulerTo of the cfg++ samplers, which step from the guided
// prediction den but keep the unguided u's noise: den + next/σ·(x − u).
func cfgppTo(x, den, u *tensor.Tensor, sigma, next float64) *tensor.Tensor {
	return lc(t_(1, den), t_(next/sigma, x), t_(-next/sigma, u))
}

// pushNewest appends t to a multistep history (oldest first) that keeps
// only the newest n entries.
func pushNewest(hist []*tensor.Tensor, t *tensor.Tensor, n int) []*tensor.Tensor {
	hist = append(hist, t)
	if len(hist) > n {
		hist = hist[len(hist)-n:]
	}
	return hist
}

// adams is the linear multistep update x + Σ_j w[j]·hist[newest−j], summed
// newest first.
func adams(x *tensor.Tensor, w []float64, hist []*tensor.Tensor) *tensor.Tensor {
	terms := make([]term, 0, len(w)+1)
	terms = append(terms, t_(1, x))
	for j, c := range w {
		terms = append(terms, t_(c, hist[len(hist)-1-j]))
	}
	return lc(terms...)
}

// ancestralStep is get_ancestral_step: the deterministic target sigmaDown and
// the amount of fresh noise sigmaUp for a step from sigmaFrom to sigmaTo.
func ancestralStep(sigmaFrom, sigmaTo, eta float64) (down, up float64) {
	if eta == 0 {
		return sigmaTo, 0
	}
	up = math.Min(sigmaTo, eta*math.Sqrt(sigmaTo*sigmaTo*(sigmaFrom*sigmaFrom-sigmaTo*sigmaTo)/(sigmaFrom*sigmaFrom)))
	down = math.Sqrt(sigmaTo*sigmaTo - up*up)
	return down, up
}

// lambda is the half log-SNR −ln σ of the EPS/V models; +Inf at σ = 0.
func lambda(sigma float64) float64 { return -math.Log(sigma) }

// sigmaOf inverts lambda.
func sigmaOf(l float64) float64 { return math.Exp(-l) }

// expStep holds what the exponential integrators in λ (the DPM-Solver++
// SDE family and SEEDS) compute for a step from sigma to next at noise η.
type expStep struct {
	sigma, next, eta float64
	ls, lt, h        float64 // λ(σ), λ(σ'), λ' − λ
	he               float64 // h·(η+1)
	at               float64 // α(σ') = σ'·e^{λ'}
}

func newExpStep(sigma, next, eta float64) expStep {
	e := expStep{sigma: sigma, next: next, eta: eta, ls: lambda(sigma), lt: lambda(next)}
	e.h = e.lt - e.ls
	e.he = e.h * (eta + 1)
	e.at = next * math.Exp(e.lt)
	return e
}

// decay is the weight σ'/σ·e^{−ηh} that x keeps over the step.
func (e expStep) decay() float64 { return e.next / e.sigma * math.Exp(-e.h*e.eta) }

// noiseAmp is the amplitude σ'·sqrt(1 − e^{−2ηh}) of the step's fresh noise.
func (e expStep) noiseAmp() float64 { return e.next * math.Sqrt(-math.Expm1(-2*e.h*e.eta)) }

// lerp is torch.lerp's formula (chosen by weight for rounding symmetry).
func lerp(a, b, w float64) float64 {
	if math.Abs(w) < 0.5 {
		return a + w*(b-a)
	}
	return b - (b-a)*(1-w)
}

// nanToZero maps NaN to 0, as ComfyUI's nan_to_num calls do.
func nanToZero(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}
