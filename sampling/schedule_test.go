package sampling

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"
)

type sigmasGolden struct {
	ModelSampling struct {
		SigmaMin float64 `json:"sigma_min"`
		SigmaMax float64 `json:"sigma_max"`
	} `json:"model_sampling"`
	Schedulers []string `json:"schedulers"`
	Samplers   []string `json:"sampler_names"`
	Cases      []struct {
		Scheduler string     `json:"scheduler"`
		Steps     int        `json:"steps"`
		Denoise   float64    `json:"denoise"`
		Sigmas    []nanFloat `json:"sigmas"`
	} `json:"cases"`
	Table    []float64 `json:"model_sigmas_1000"`
	Timestep struct {
		Sigma    []float64 `json:"sigma"`
		Timestep []float64 `json:"timestep"`
	} `json:"sigma_to_timestep"`
}

// nanFloat is a float64 whose JSON null means NaN.
type nanFloat float64

func (f *nanFloat) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = nanFloat(math.NaN())
		return nil
	}
	return json.Unmarshal(b, (*float64)(f))
}

func loadSigmasGolden(t *testing.T) sigmasGolden {
	t.Helper()
	raw, err := os.ReadFile("../testdata/tiny-sdxl/goldens/sigmas.json")
	if err != nil {
		t.Fatal(err)
	}
	var g sigmasGolden
	// Python writes NaN (kl_optimal with one step divides 0 by 0); JSON has
	// no NaN, so turn the bare token into null and map null back to NaN.
	raw = bytes.ReplaceAll(raw, []byte("NaN"), []byte("null"))
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// relClose reports whether got is within rel of want, relative to |want|
// (absolute for want == 0). NaN equals NaN.
func relClose(got, want, rel float64) bool {
	if math.IsNaN(want) || math.IsNaN(got) {
		return math.IsNaN(want) && math.IsNaN(got)
	}
	return math.Abs(got-want) <= rel*math.Abs(want)
}

// TestSigmaGoldens runs every case of sigmas.json (ComfyUI's KSampler sigmas
// for each scheduler, steps 1/2/5/25, denoise 1 and 0.6) within 1e-6 relative.
func TestSigmaGoldens(t *testing.T) {
	g := loadSigmasGolden(t)
	ms := NewDiscrete(false)
	if len(g.Cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range g.Cases {
		t.Run(fmt.Sprintf("%s_%d_%g", c.Scheduler, c.Steps, c.Denoise), func(t *testing.T) {
			got, err := KSamplerSigmas(ms, c.Scheduler, "euler", c.Steps, c.Denoise)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.Sigmas) {
				t.Fatalf("got %d sigmas %v, want %d %v", len(got), got, len(c.Sigmas), c.Sigmas)
			}
			for i := range got {
				if !relClose(got[i], float64(c.Sigmas[i]), 1e-6) {
					t.Errorf("sigma[%d] = %.9g, want %.9g", i, got[i], c.Sigmas[i])
				}
			}
		})
	}
}

// TestModelSigmaTable compares the discrete table and sigma->timestep probes.
func TestModelSigmaTable(t *testing.T) {
	g := loadSigmasGolden(t)
	ms := NewDiscrete(false)
	if len(g.Table) != 1000 {
		t.Fatalf("table has %d entries", len(g.Table))
	}
	for i, want := range g.Table {
		if !relClose(float64(ms.Sigmas()[i]), want, 1e-6) {
			t.Errorf("sigma[%d] = %.9g, want %.9g", i, ms.Sigmas()[i], want)
		}
	}
	if !relClose(ms.SigmaMin(), g.ModelSampling.SigmaMin, 1e-7) || !relClose(ms.SigmaMax(), g.ModelSampling.SigmaMax, 1e-7) {
		t.Errorf("min/max %g %g", ms.SigmaMin(), ms.SigmaMax())
	}
	for i, s := range g.Timestep.Sigma {
		if got := ms.Timestep(s); got != g.Timestep.Timestep[i] {
			t.Errorf("timestep(%g) = %g, want %g", s, got, g.Timestep.Timestep[i])
		}
	}
}

// TestNamesMatchGolden checks the scheduler and sampler lists against the
// names ComfyUI reported when the goldens were made.
func TestNamesMatchGolden(t *testing.T) {
	g := loadSigmasGolden(t)
	if fmt.Sprint(g.Schedulers) != fmt.Sprint(SchedulerNames) {
		t.Errorf("schedulers %v, want %v", SchedulerNames, g.Schedulers)
	}
	if fmt.Sprint(g.Samplers) != fmt.Sprint(SamplerNames) {
		t.Errorf("samplers %v, want %v", SamplerNames, g.Samplers)
	}
}

// TestAdvancedSigmas checks KSamplerAdvanced's step window.
func TestAdvancedSigmas(t *testing.T) {
	full := []float64{10, 5, 2, 1, 0}
	for _, tc := range []struct {
		name       string
		start, end int
		leftover   bool
		want       []float64
		ok         bool
	}{
		{"all", 0, 10000, false, []float64{10, 5, 2, 1, 0}, true},
		{"first half", 0, 2, false, []float64{10, 5, 0}, true},
		{"first half leftover", 0, 2, true, []float64{10, 5, 2}, true},
		{"second half", 2, 10000, false, []float64{2, 1, 0}, true},
		{"start at end", 4, 10000, false, nil, false},
		{"window", 1, 3, true, []float64{5, 2, 1}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := AdvancedSigmas(full, tc.start, tc.end, tc.leftover)
			if ok != tc.ok || fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v %v, want %v %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
