package sampling

import "fmt"

// discardPenultimate lists the samplers for which ComfyUI computes one step
// more and then drops the second-to-last sigma.
var discardPenultimate = map[string]bool{
	"dpm_2": true, "dpm_2_ancestral": true, "uni_pc": true, "uni_pc_bh2": true,
}

// calculateSigmas is KSampler.calculate_sigmas: the scheduler's sigmas with
// the sampler's discard rule applied.
func calculateSigmas(ms ModelSampling, scheduler, sampler string, steps int) ([]float64, error) {
	discard := discardPenultimate[sampler]
	if discard {
		steps++
	}
	s, err := Schedule(ms, scheduler, steps)
	if err != nil {
		return nil, err
	}
	if discard && len(s) >= 2 {
		s = append(s[:len(s)-2:len(s)-2], s[len(s)-1])
	}
	return s, nil
}

// KSamplerSigmas returns the sigmas KSampler samples with: the full schedule
// when denoise > 0.9999, none when denoise <= 0, otherwise the last steps+1
// sigmas of a schedule for int(steps/denoise) steps.
func KSamplerSigmas(ms ModelSampling, scheduler, sampler string, steps int, denoise float64) ([]float64, error) {
	if steps < 0 || steps > maxSteps {
		return nil, fmt.Errorf("sampling: steps %d out of range", steps)
	}
	if denoise != denoise {
		return nil, fmt.Errorf("sampling: denoise is NaN")
	}
	if denoise > 0.9999 {
		return calculateSigmas(ms, scheduler, sampler, steps)
	}
	if denoise <= 0 {
		if _, ok := schedulers[scheduler]; !ok {
			return nil, fmt.Errorf("%w %q", ErrUnknownScheduler, scheduler)
		}
		return []float64{}, nil
	}
	total := float64(steps) / denoise
	if total > maxSteps {
		return nil, fmt.Errorf("sampling: %d steps at denoise %g is too many", steps, denoise)
	}
	s, err := calculateSigmas(ms, scheduler, sampler, int(total))
	if err != nil {
		return nil, err
	}
	if keep := steps + 1; len(s) > keep {
		s = s[len(s)-keep:]
	}
	return s, nil
}

// AdvancedSigmas applies KSamplerAdvanced's step window to a full schedule:
// cut after endStep (forcing the last sigma to 0 unless leftover noise is
// kept), then start at startStep. ok is false when nothing is left to
// sample, in which case KSampler returns the input latent unchanged.
func AdvancedSigmas(sigmas []float64, startStep, endStep int, leftoverNoise bool) (out []float64, ok bool) {
	out = append([]float64(nil), sigmas...)
	if endStep >= 0 && endStep < len(out)-1 {
		out = out[:endStep+1]
		if !leftoverNoise {
			out[len(out)-1] = 0
		}
	}
	if startStep > 0 {
		if startStep >= len(out)-1 {
			return nil, false
		}
		out = out[startStep:]
	}
	return out, true
}
