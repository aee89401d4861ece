package sampling

import (
	"math"
	"sort"
)

// ModelSampling is the noise schedule of a model: the discrete sigma table
// and the conversions between sigma and the network's timestep.
type ModelSampling interface {
	// SigmaMin and SigmaMax are the smallest and largest sigma of the table.
	SigmaMin() float64
	SigmaMax() float64
	// Sigma returns sigma at a (possibly fractional) timestep.
	Sigma(t float64) float64
	// Timestep returns the timestep the network is given for sigma.
	Timestep(sigma float64) float64
	// Sigmas is the float32 sigma table in increasing order.
	Sigmas() []float32
}

// Discrete is the 1000-step discrete schedule of SD1.5 and SDXL
// ("scaled linear" betas 0.00085..0.012).
type Discrete struct {
	sigmas    []float32
	logSigmas []float32
}

var _ ModelSampling = (*Discrete)(nil)

// Schedule lengths and beta range of the SD1.5/SDXL discrete schedule.
const (
	numTimesteps = 1000
	linearStart  = 0.00085
	linearEnd    = 0.012
)

// ztsnrLastAlphaBar replaces the final (zero) alpha-bar of a zero-terminal-SNR
// schedule so that sigma stays finite (ComfyUI's value).
const ztsnrLastAlphaBar = 4.8973451890853435e-08

// NewDiscrete returns the SDXL/SD1.5 schedule; ztsnr selects the
// zero-terminal-SNR rescaling used by some v-prediction checkpoints.
func NewDiscrete(ztsnr bool) *Discrete {
	alphaBar := make([]float64, numTimesteps)
	a, b := math.Sqrt(linearStart), math.Sqrt(linearEnd)
	prod := 1.0
	for i := range alphaBar {
		beta := a + float64(i)*(b-a)/float64(numTimesteps-1)
		prod *= 1 - beta*beta
		alphaBar[i] = prod
	}
	if ztsnr {
		rescaleZeroTerminalSNR(alphaBar)
	}
	d := &Discrete{sigmas: make([]float32, numTimesteps), logSigmas: make([]float32, numTimesteps)}
	for i, ab := range alphaBar {
		s := float32(math.Sqrt((1 - ab) / ab))
		d.sigmas[i] = s
		d.logSigmas[i] = float32(math.Log(float64(s)))
	}
	return d
}

// rescaleZeroTerminalSNR shifts sqrt(alpha-bar) so the last step has zero
// signal, keeping the first step unchanged.
func rescaleZeroTerminalSNR(alphaBar []float64) {
	n := len(alphaBar)
	sq := make([]float64, n)
	for i, ab := range alphaBar {
		s := math.Sqrt((1 - ab) / ab)
		sq[i] = math.Sqrt(1 / (s*s + 1))
	}
	first, last := sq[0], sq[n-1]
	for i := range sq {
		v := (sq[i] - last) * first / (first - last)
		alphaBar[i] = v * v
	}
	alphaBar[n-1] = ztsnrLastAlphaBar
}

// SigmaMin implements ModelSampling.
func (d *Discrete) SigmaMin() float64 { return float64(d.sigmas[0]) }

// SigmaMax implements ModelSampling.
func (d *Discrete) SigmaMax() float64 { return float64(d.sigmas[len(d.sigmas)-1]) }

// Sigmas implements ModelSampling.
func (d *Discrete) Sigmas() []float32 { return d.sigmas }

// Sigma interpolates log-sigma linearly between the neighbouring table
// entries, in float32 as ComfyUI does.
func (d *Discrete) Sigma(t float64) float64 {
	tf := float32(t)
	if tf != tf {
		return math.NaN()
	}
	tf = min(max(tf, 0), float32(len(d.sigmas)-1))
	lo := int(math.Floor(float64(tf)))
	hi := int(math.Ceil(float64(tf)))
	w := tf - float32(lo)
	ls := float32((1-w)*d.logSigmas[lo]) + float32(w*d.logSigmas[hi])
	return float64(float32(math.Exp(float64(ls))))
}

// Timestep returns the index of the table entry nearest to sigma in log
// space (the first one on a tie). ComfyUI does not interpolate here.
func (d *Discrete) Timestep(sigma float64) float64 {
	ls := float32(math.Log(float64(float32(sigma))))
	// logSigmas is increasing: find the insertion point and compare neighbours.
	i := sort.Search(len(d.logSigmas), func(k int) bool { return d.logSigmas[k] >= ls })
	switch {
	case i == 0:
		return 0
	case i == len(d.logSigmas):
		return float64(len(d.logSigmas) - 1)
	}
	if abs32(ls-d.logSigmas[i-1]) <= abs32(d.logSigmas[i]-ls) {
		return float64(i - 1)
	}
	return float64(i)
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// PercentToSigma maps a fraction of the denoising process (0 = start, 1 = end)
// to sigma, as ComfyUI's percent_to_sigma for discrete models.
func PercentToSigma(ms ModelSampling, percent float64) float64 {
	if percent <= 0 {
		return 999999999.9
	}
	if percent >= 1 {
		return 0
	}
	return ms.Sigma((1 - percent) * 999)
}
