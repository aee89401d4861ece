package main

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// benchReport is the part of `sumi bench`'s JSON line the test reads.
type benchReport struct {
	Device     string  `json:"device"`
	ORTVersion string  `json:"ort_version"`
	Size       string  `json:"size"`
	SizeNote   string  `json:"size_note"`
	Driver     *string `json:"driver"`
	Checkpoint struct {
		Bytes     int64 `json:"bytes"`
		Generated bool  `json:"generated"`
	} `json:"checkpoint"`
	SessionCreate map[string]float64 `json:"session_create_s"`
	SessionBuild  map[string]struct {
		Graph float64 `json:"graph_s"`
		ORT   float64 `json:"ort_s"`
		Nodes int     `json:"nodes"`
	} `json:"session_build"`
	UNetNoOpt float64 `json:"unet_session_noopt_s"`
	UNetStep  map[string]struct {
		First  float64 `json:"first_s"`
		Median float64 `json:"median_s"`
		Runs   int     `json:"runs"`
	} `json:"unet_step_batch2_s"`
	VAEDecode struct {
		Resolution string  `json:"resolution"`
		Median     float64 `json:"median_s"`
	} `json:"vae_decode_s"`
	EndToEnd struct {
		Resolution string  `json:"resolution"`
		Steps      int     `json:"steps"`
		Sampler    string  `json:"sampler"`
		CFG        float64 `json:"cfg"`
		Seconds    float64 `json:"seconds"`
		Text       float64 `json:"text_s"`
		Sampling   float64 `json:"sampling_s"`
		UNet       float64 `json:"unet_s"`
		Host       float64 `json:"host_s"`
		Decode     float64 `json:"decode_s"`
	} `json:"end_to_end"`
	Overheads struct {
		RunIO struct {
			Median float64 `json:"median_s"`
		} `json:"run_io_s"`
		Share     float64 `json:"run_io_share_of_step"`
		Sustained struct {
			Steps    int             `json:"steps"`
			StepMean float64         `json:"step_mean_s"`
			GPUUtil  json.RawMessage `json:"gpu_util_pct"`
		} `json:"sustained_unet"`
	} `json:"overheads"`
	PeakDeviceMemMB json.RawMessage `json:"peak_device_mem_mb"`
	PeakHostMemMB   int64           `json:"peak_host_mem_mb"`
}

func runBenchCmd(t *testing.T, args ...string) (benchReport, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if rc := dispatch(append([]string{"bench"}, args...), &stdout, &stderr); rc != 0 {
		t.Fatalf("sumi bench %v: rc %d: %s", args, rc, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one JSON line, got %d:\n%s", len(lines), stdout.String())
	}
	var r benchReport
	dec := json.NewDecoder(strings.NewReader(lines[0]))
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, lines[0])
	}
	return r, lines[0]
}

// TestBenchSmallCPU runs the CI form of the benchmark, `sumi bench
// --device cpu --size small` with its defaults (25 steps), then again on
// the cached checkpoint.
func TestBenchSmallCPU(t *testing.T) {
	cache := t.TempDir()
	r, line := runBenchCmd(t, "--device", "cpu", "--size", "small", "--cache-dir", cache, "-q")
	t.Log(line)
	if r.Device != "cpu" || r.Size != "small" || r.SizeNote == "" || r.Driver != nil {
		t.Errorf("device %q size %q note %q driver %v", r.Device, r.Size, r.SizeNote, r.Driver)
	}
	if !strings.HasPrefix(r.ORTVersion, "1.29.") {
		t.Errorf("ort_version %q", r.ORTVersion)
	}
	if !r.Checkpoint.Generated || r.Checkpoint.Bytes < 1e6 {
		t.Errorf("checkpoint %+v: want a freshly generated file", r.Checkpoint)
	}
	for _, n := range []string{"clip_l", "clip_g", "unet", "vae_decoder"} {
		if r.SessionCreate[n] <= 0 {
			t.Errorf("session_create_s[%s] = %v", n, r.SessionCreate[n])
		}
	}
	if b := r.SessionBuild["unet"]; b.Graph <= 0 || b.ORT <= 0 || b.Nodes < 100 || len(r.SessionBuild) != 4 || r.UNetNoOpt <= 0 {
		t.Errorf("session builds %+v, unet without optimizations %v s: want 4 networks, positive times", r.SessionBuild, r.UNetNoOpt)
	}
	for _, res := range []string{"128x128", "104x152"} {
		s, ok := r.UNetStep[res]
		if !ok || s.First <= 0 || s.Median <= 0 || s.Runs != 3 {
			t.Errorf("unet step at %s: %+v (present %v)", res, s, ok)
		}
	}
	if r.VAEDecode.Resolution != "128x128" || r.VAEDecode.Median <= 0 {
		t.Errorf("vae decode %+v", r.VAEDecode)
	}
	e := r.EndToEnd
	if e.Resolution != "128x128" || e.Steps != 25 || e.Sampler != "euler_ancestral" || e.CFG != 6 || e.Seconds <= 0 {
		t.Errorf("end to end %+v", e)
	}
	parts := e.Text + e.Sampling + e.Decode
	if e.UNet <= 0 || e.UNet > e.Sampling || e.Host < 0 || e.Text <= 0 || e.Decode <= 0 || math.Abs(parts-e.Seconds) > 1e-6 {
		t.Errorf("end to end breakdown %+v: want positive parts summing to seconds, unet within sampling", e)
	}
	ov := r.Overheads
	if ov.RunIO.Median <= 0 || ov.Share <= 0 || ov.Sustained.Steps < 3 || ov.Sustained.StepMean <= 0 || string(ov.Sustained.GPUUtil) != "null" {
		t.Errorf("overheads %+v: want a positive io time and share, >= 3 sustained steps, no GPU utilization on CPU", ov)
	}
	if string(r.PeakDeviceMemMB) != "null" || r.PeakHostMemMB <= 0 {
		t.Errorf("peak memory: device %s (want null on CPU), host %d MB", r.PeakDeviceMemMB, r.PeakHostMemMB)
	}

	r2, _ := runBenchCmd(t, "--cache-dir", cache, "-q", "--steps", "2", "--runs", "1", "--resolution", "64x96")
	if r2.Checkpoint.Generated || r2.Checkpoint.Bytes != r.Checkpoint.Bytes {
		t.Errorf("second run regenerated the checkpoint: %+v", r2.Checkpoint)
	}
	if r2.EndToEnd.Resolution != "64x96" || r2.EndToEnd.Steps != 2 || r2.UNetStep["64x96"].Median <= 0 {
		t.Errorf("second run: end to end %+v, steps %v", r2.EndToEnd, r2.UNetStep)
	}
}

func TestBenchBadFlags(t *testing.T) {
	cases := []struct {
		args []string
		rc   int
		msg  string
	}{
		{[]string{"--resolution", "big"}, 2, "WIDTHxHEIGHT"},
		{[]string{"--device", "tpu", "--cache-dir", t.TempDir()}, 1, "device"},
		{[]string{"--size", "huge", "--cache-dir", t.TempDir()}, 1, "huge"},
		{[]string{"--resolution", "100x100", "--cache-dir", t.TempDir()}, 1, "multiples of 8"},
		{[]string{"--dtype", "int8", "--cache-dir", t.TempDir()}, 1, "dtype"},
		{[]string{"extra"}, 2, "usage"},
	}
	for _, tc := range cases {
		var stdout, stderr bytes.Buffer
		rc := dispatch(append([]string{"bench"}, tc.args...), &stdout, &stderr)
		if rc != tc.rc || !strings.Contains(stderr.String(), tc.msg) || stdout.Len() != 0 {
			t.Errorf("%v: rc %d, stderr %q, stdout %q; want rc %d mentioning %q", tc.args, rc, stderr.String(), stdout.String(), tc.rc, tc.msg)
		}
	}
}
