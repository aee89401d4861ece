package sampling

import (
	"context"
	"math"

	"sumi/tensor"
)

func init() {
	samplers["sa_solver"] = bind(sampleSASolver, false)
	samplers["sa_solver_pece"] = bind(sampleSASolver, true)
}

// SA-Solver settings of ComfyUI's KSampler entries: predictor and corrector
// orders and the window (fractions of the process) where noise is injected.
const (
	saPredictorOrder = 3
	saCorrectorOrder = 4
	saTauStart       = 0.2
	saTauEnd         = 0.8
	saSNoise         = 1.0 // scale of the injected noise
)

// saSolver is one SA-Solver run's state.
type saSolver struct {
	s                *stepper
	sigmas, lambdas  []float64
	sigStart, sigEnd float64
	hist             []*tensor.Tensor // denoised values, newest last (<= 4)
	tau, h           float64          // stochasticity and step of the last predictor
	noise            *tensor.Tensor   // noise the last predictor added
	lowerEnd, pece   bool
	steps            int
}

// tauAt is the stochasticity τ(σ): 1 inside the noise window, else 0.
func (a *saSolver) tauAt(sigma float64) float64 {
	if a.sigEnd <= sigma && sigma <= a.sigStart {
		return 1
	}
	return 0
}

func sampleSASolver(ctx context.Context, x *tensor.Tensor, p *Params, pece bool) (*tensor.Tensor, error) {
	s := newStepper(ctx, p)
	sig := p.Sigmas
	if len(sig) <= 1 {
		return x, nil
	}
	a := &saSolver{
		s: s, sigmas: sig, lambdas: make([]float64, len(sig)), pece: pece,
		sigStart: PercentToSigma(p.ModelSampling, saTauStart),
		sigEnd:   PercentToSigma(p.ModelSampling, saTauEnd),
		lowerEnd: sig[len(sig)-1] == 0, steps: len(sig) - 1,
	}
	for j, v := range sig {
		a.lambdas[j] = lambda(v)
	}
	// The loop carries the predicted state; x is the corrected one.
	return s.loop(x, func(i int, xPred, den *tensor.Tensor) (*tensor.Tensor, error) {
		a.hist = pushNewest(a.hist, den, saCorrectorOrder)
		var err error
		if x, den, err = a.correct(x, xPred, den, i); err != nil {
			return nil, err
		}
		if sig[i+1] == 0 {
			return den, nil
		}
		return a.predict(x, i), nil
	})
}

// correct is step i's corrector: the stochastic Adams step that redoes the
// last prediction with den among its nodes. With pece it evaluates the
// model again at the result and returns that prediction as den.
func (a *saSolver) correct(x, xPred, den *tensor.Tensor, i int) (*tensor.Tensor, *tensor.Tensor, error) {
	_, kc := a.orders(i)
	if kc == 0 {
		return xPred, den, nil
	}
	sig := a.sigmas
	x = a.combine(x, sig[i-1], sig[i], a.lambdas[i-1], a.lambdas[i], i, kc)
	if a.tau > 0 && saSNoise > 0 {
		x = lc(t_(1, x), t_(1, a.noise))
	}
	if a.pece {
		var err error
		if den, err = a.s.den(x, sig[i]); err != nil {
			return nil, nil, err
		}
		a.hist[len(a.hist)-1] = den
	}
	return x, den, nil
}

// predict is step i's predictor from the corrected x to sigma i+1, noise
// included; it remembers the noise for the next corrector.
func (a *saSolver) predict(x *tensor.Tensor, i int) *tensor.Tensor {
	sig := a.sigmas
	kp, _ := a.orders(i)
	a.tau = a.tauAt(sig[i+1])
	a.h = a.lambdas[i+1] - a.lambdas[i]
	xPred := a.combine(x, sig[i], sig[i+1], a.lambdas[i], a.lambdas[i+1], i, kp)
	if a.tau > 0 && saSNoise > 0 {
		amp := sig[i+1] * math.Sqrt(-math.Expm1(-2*a.tau*a.tau*a.h)) * saSNoise
		a.noise = lc(t_(amp, a.s.noise(sig[i], sig[i+1])))
		xPred = lc(t_(1, xPred), t_(1, a.noise))
	}
	return xPred
}

// orders returns the predictor and corrector orders of step i.
func (a *saSolver) orders(i int) (kp, kc int) {
	kp = min(saPredictorOrder, len(a.hist))
	if i > 0 && (a.sigmas[i+1] != 0 || a.pece) {
		kc = min(saCorrectorOrder, len(a.hist))
	}
	if a.lowerEnd {
		kp = min(kp, a.steps-1-i)
		kc = min(kc, a.steps-i)
	}
	return kp, kc
}

// combine is the stochastic Adams step from (σa, λa) to (σb, λb) with the k
// newest denoised values as nodes λ[i−k+1..i] and the current τ.
func (a *saSolver) combine(x *tensor.Tensor, sa, sb, la, lb float64, i, k int) *tensor.Tensor {
	terms := []term{t_(sb/sa*math.Exp(-a.tau*a.tau*(lb-la)), x)}
	if k > 0 {
		b := saCoeffs(sb, a.lambdas[i-k+1:i+1], la, lb, a.tau)
		for q := 0; q < k; q++ {
			terms = append(terms, t_(b[q], a.hist[len(a.hist)-k+q]))
		}
	}
	return lc(terms...)
}

// saCoeffs returns the weights ℓ_k·α(σ_next) of the Lagrange polynomials
// through nodes integrated against m·e^{m(v−λt)} over [λs, λt], m = 1+τ².
func saCoeffs(sigmaNext float64, nodes []float64, ls, lt, tau float64) []float64 {
	k := len(nodes)
	m := 1 + tau*tau
	hh := lt - ls
	prod := make([]float64, k)
	for p := range prod {
		prod[p] = math.Pow(lt, float64(p)) - math.Pow(ls, float64(p))*math.Exp(-m*hh)
	}
	e := make([]float64, k)
	for p := 0; p < k; p++ {
		fact := 1.0 // p!/q! for q = p
		for q := p; q >= 0; q-- {
			sign := 1.0
			if (p-q)%2 == 1 {
				sign = -1
			}
			e[p] += fact * math.Pow(m, -float64(p-q)) * sign * prod[q]
			fact *= float64(q)
		}
	}
	v := make([][]float64, k)
	for p := range v {
		v[p] = make([]float64, k)
		for j := range v[p] {
			v[p][j] = math.Pow(nodes[j], float64(p))
		}
	}
	l := solve(v, e)
	alpha := sigmaNext * math.Exp(lt)
	for j := range l {
		l[j] *= alpha
	}
	return l
}

// solve returns the solution of the small dense system A·x = b by Gaussian
// elimination with partial pivoting (A and b are overwritten).
func solve(A [][]float64, b []float64) []float64 {
	n := len(b)
	for c := 0; c < n; c++ {
		piv := c
		for r := c + 1; r < n; r++ {
			if math.Abs(A[r][c]) > math.Abs(A[piv][c]) {
				piv = r
			}
		}
		A[c], A[piv] = A[piv], A[c]
		b[c], b[piv] = b[piv], b[c]
		for r := c + 1; r < n; r++ {
			f := A[r][c] / A[c][c]
			for k := c; k < n; k++ {
				A[r][k] -= f * A[c][k]
			}
			b[r] -= f * b[c]
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := b[r]
		for k := r + 1; k < n; k++ {
			s -= A[r][k] * x[k]
		}
		x[r] = s / A[r][r]
	}
	return x
}
