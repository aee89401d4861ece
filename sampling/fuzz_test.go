package sampling

import (
	"math"
	"testing"
)

// FuzzKSamplerSigmas feeds arbitrary node inputs (steps, denoise, window,
// names) to the step selection: it must never panic, and a successful
// schedule is finite, non-negative and non-increasing except for NaN from
// kl_optimal with one step.
func FuzzKSamplerSigmas(f *testing.F) {
	f.Add(20, 1.0, 0, 10000, false, uint8(0), uint8(0))
	f.Add(5, 0.6, 2, 3, true, uint8(4), uint8(8))
	f.Add(1, 0.0001, 0, 0, false, uint8(5), uint8(42))
	f.Add(-3, math.NaN(), -1, -1, true, uint8(200), uint8(255))
	f.Fuzz(func(t *testing.T, steps int, denoise float64, start, end int, leftover bool, sch, smp uint8) {
		if steps > 2000 || steps < -10 {
			steps %= 2000
		}
		if denoise > 0 && float64(steps)/denoise > 1e5 {
			return
		}
		scheduler := "bogus"
		if int(sch) < len(SchedulerNames) {
			scheduler = SchedulerNames[sch]
		}
		sampler := SamplerNames[int(smp)%len(SamplerNames)]
		s, err := KSamplerSigmas(sdxlSampling, scheduler, sampler, steps, denoise)
		if err != nil {
			return
		}
		out, _ := AdvancedSigmas(s, start, end, leftover)
		for _, v := range out {
			if v < 0 || math.IsInf(v, 0) {
				t.Fatalf("bad sigma %g in %v", v, out)
			}
		}
	})
}
