package sampling

import (
	"errors"
	"fmt"
	"math"
)

// ErrUnknownScheduler is returned for a scheduler name ComfyUI does not know.
var ErrUnknownScheduler = errors.New("sampling: unknown scheduler")

// SchedulerNames lists ComfyUI's schedulers in its UI order; the first is
// the UI default.
var SchedulerNames = []string{
	"simple", "sgm_uniform", "karras", "exponential", "ddim_uniform",
	"beta", "normal", "linear_quadratic", "kl_optimal",
}

// schedulerFunc computes a schedule of steps+1 sigmas (usually ending in 0).
type schedulerFunc func(ms ModelSampling, steps int) []float64

var schedulers = map[string]schedulerFunc{
	"simple":           simpleSchedule,
	"sgm_uniform":      func(ms ModelSampling, n int) []float64 { return normalSchedule(ms, n, true) },
	"karras":           karrasSchedule,
	"exponential":      exponentialSchedule,
	"ddim_uniform":     ddimSchedule,
	"beta":             betaSchedule,
	"normal":           func(ms ModelSampling, n int) []float64 { return normalSchedule(ms, n, false) },
	"linear_quadratic": linearQuadraticSchedule,
	"kl_optimal":       klOptimalSchedule,
}

// maxSteps bounds the schedule length so that bad input cannot allocate
// without limit (ComfyUI's KSampler allows 10000 steps; denoise stretches it).
const maxSteps = 1 << 20

// Schedule returns the sigmas of the named scheduler for steps steps, as
// float32 values held in float64. A steps of 0 gives an empty schedule.
func Schedule(ms ModelSampling, scheduler string, steps int) ([]float64, error) {
	f, ok := schedulers[scheduler]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownScheduler, scheduler)
	}
	if steps < 0 || steps > maxSteps {
		return nil, fmt.Errorf("sampling: steps %d out of range", steps)
	}
	if steps == 0 {
		return []float64{}, nil
	}
	return f(ms, steps), nil
}

// linspace32 is torch.linspace for float32: the first half counts up from
// start, the second half down from end, in float32.
func linspace32(start, end float32, n int) []float32 {
	out := make([]float32, n)
	if n == 1 {
		out[0] = start
		return out
	}
	step := (end - start) / float32(n-1)
	half := n / 2
	for i := range out {
		if i < half {
			out[i] = start + float32(step*float32(i))
		} else {
			out[i] = end - float32(step*float32(n-i-1))
		}
	}
	return out
}

func normalSchedule(ms ModelSampling, steps int, sgm bool) []float64 {
	start := ms.Timestep(ms.SigmaMax())
	end := ms.Timestep(ms.SigmaMin())
	appendZero := true
	var ts []float32
	if sgm {
		ts = linspace32(float32(start), float32(end), steps+1)[:steps]
	} else {
		if math.Abs(ms.Sigma(end)) < 1e-5 {
			steps++
			appendZero = false
		}
		ts = linspace32(float32(start), float32(end), steps)
	}
	out := make([]float64, 0, len(ts)+1)
	for _, t := range ts {
		out = append(out, ms.Sigma(float64(t)))
	}
	if appendZero {
		out = append(out, 0)
	}
	return out
}

func simpleSchedule(ms ModelSampling, steps int) []float64 {
	table := ms.Sigmas()
	ss := float64(len(table)) / float64(steps)
	out := make([]float64, 0, steps+1)
	for x := 0; x < steps; x++ {
		out = append(out, float64(table[len(table)-1-int(float64(x)*ss)]))
	}
	return append(out, 0)
}

func ddimSchedule(ms ModelSampling, steps int) []float64 {
	table := ms.Sigmas()
	var sigs []float64
	if math.Abs(float64(table[1])) < 1e-5 {
		steps++
	} else {
		sigs = []float64{0}
	}
	ss := max(len(table)/steps, 1)
	for x := 1; x < len(table); x += ss {
		sigs = append(sigs, float64(table[x]))
	}
	for i, j := 0, len(sigs)-1; i < j; i, j = i+1, j-1 {
		sigs[i], sigs[j] = sigs[j], sigs[i]
	}
	return sigs
}

// karrasRho is the rho of Karras et al. (2022) that ComfyUI uses.
const karrasRho = 7.0

func karrasSchedule(ms ModelSampling, steps int) []float64 {
	minInv := math.Pow(ms.SigmaMin(), 1/karrasRho)
	maxInv := math.Pow(ms.SigmaMax(), 1/karrasRho)
	ramp := linspace32(0, 1, steps)
	out := make([]float64, 0, steps+1)
	diff := float32(minInv - maxInv)
	for _, r := range ramp {
		base := float32(maxInv) + float32(r*diff)
		out = append(out, float64(float32(math.Pow(float64(base), karrasRho))))
	}
	return append(out, 0)
}

func exponentialSchedule(ms ModelSampling, steps int) []float64 {
	ls := linspace32(float32(math.Log(ms.SigmaMax())), float32(math.Log(ms.SigmaMin())), steps)
	out := make([]float64, 0, steps+1)
	for _, l := range ls {
		out = append(out, float64(float32(math.Exp(float64(l)))))
	}
	return append(out, 0)
}

// betaAlpha and betaBeta are the shape parameters of ComfyUI's beta scheduler.
const (
	betaAlpha = 0.6
	betaBeta  = 0.6
)

func betaSchedule(ms ModelSampling, steps int) []float64 {
	table := ms.Sigmas()
	total := float64(len(table) - 1)
	step := 1 / float64(steps)
	out := make([]float64, 0, steps+1)
	last := math.Inf(-1)
	for k := 0; k < steps; k++ {
		ts := 1 - float64(k)*step
		t := math.RoundToEven(betaPPF(ts, betaAlpha, betaBeta) * total)
		if t != last {
			out = append(out, float64(table[int(t)]))
		}
		last = t
	}
	return append(out, 0)
}

// linearQuadraticThreshold is the noise level where ComfyUI's
// linear_quadratic schedule switches from linear to quadratic.
const linearQuadraticThreshold = 0.025

func linearQuadraticSchedule(ms ModelSampling, steps int) []float64 {
	var sched []float64
	if steps == 1 {
		sched = []float64{1, 0}
	} else {
		const tau = linearQuadraticThreshold
		lin := steps / 2
		q := float64(steps - lin)
		diff := float64(lin) - tau*float64(steps)
		qc := diff / (float64(lin) * q * q)
		lc := tau/float64(lin) - 2*diff/(q*q)
		c := qc * float64(lin*lin)
		for i := 0; i < lin; i++ {
			sched = append(sched, 1-float64(i)*tau/float64(lin))
		}
		for i := lin; i < steps; i++ {
			fi := float64(i)
			sched = append(sched, 1-(qc*fi*fi+lc*fi+c))
		}
		sched = append(sched, 0)
	}
	smax := float32(ms.SigmaMax())
	for i, v := range sched {
		sched[i] = float64(float32(v) * smax)
	}
	return sched
}

func klOptimalSchedule(ms ModelSampling, steps int) []float64 {
	amin := float32(math.Atan(ms.SigmaMin()))
	amax := float32(math.Atan(ms.SigmaMax()))
	out := make([]float64, 0, steps+1)
	for k := 0; k < steps; k++ {
		// torch divides 0 by 0 for a single step, giving NaN as ComfyUI does.
		a := float32(k) / float32(steps-1)
		if steps == 1 {
			a = float32(math.NaN())
		}
		v := float32(a*amin) + float32((1-a)*amax)
		out = append(out, float64(float32(math.Tan(float64(v)))))
	}
	return append(out, 0)
}
