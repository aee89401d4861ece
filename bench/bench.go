// Package bench times sumi's SDXL networks on a synthetic checkpoint with
// the real key layout (sdxl.WriteSynthetic), generated once and cached, so
// a benchmark needs no downloaded model:
//
//	res, err := bench.Run(ctx, bench.Options{Device: "cuda", Size: "sdxl"})
//	json.NewEncoder(os.Stdout).Encode(res)
//
// It reports session creation per network, the batch-2 UNet step (the CFG
// pair) at 1024² and 832×1216, VAE decode, an end-to-end euler_ancestral
// run with CFG split into text, UNet, host and decode time, the overheads
// that say whether device-resident steps would pay (a do-nothing call with
// the UNet's inputs and output; back-to-back steps with the device's
// utilization), and peak host and device memory. Options.CUDAGraph times
// the UNet step replayed from a CUDA graph instead. Pipeline is the
// text-to-image path it times, also used by the precision tests.
package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"sumi/model/sdxl"
	"sumi/runtime/ort"
	"sumi/tensor"
)

// Result is the one-line JSON report of Run. Times are seconds.
type Result struct {
	Device     string  `json:"device"`
	DeviceName string  `json:"device_name"`
	Driver     *string `json:"driver"`
	ORTVersion string  `json:"ort_version"`
	Size       string  `json:"size"`
	// SizeNote says how the small size differs from SDXL.
	SizeNote   string         `json:"size_note,omitempty"`
	Graph      GraphReport    `json:"graph"`
	Checkpoint CheckpointInfo `json:"checkpoint"`
	// SessionCreate is per network (graph build + ORT session creation);
	// LoadTotal adds header parsing and detection.
	SessionCreate map[string]float64 `json:"session_create_s"`
	// SessionBuild splits each session's creation (keyed by its network
	// variant) into sumi's graph building and ONNX Runtime's part.
	SessionBuild map[string]Build `json:"session_build"`
	// UNetNoOpt is the UNet session created again with ORT's graph
	// optimizations off (after everything else, outside the peaks): the
	// difference to SessionCreate["unet"] is what the optimizer costs, the
	// rest is parsing and placing the weights.
	UNetNoOpt  float64 `json:"unet_session_noopt_s"`
	LoadTotal  float64 `json:"load_total_s"`
	TextEncode float64 `json:"text_encode_s"`
	// UNetStep is keyed "WxH" (image size): the batch-2 call of one step.
	UNetStep  map[string]Timing `json:"unet_step_batch2_s"`
	VAEDecode Timing            `json:"vae_decode_s"`
	EndToEnd  EndToEnd          `json:"end_to_end"`
	// Overheads say what device-resident steps would save.
	Overheads *Overheads `json:"overheads"`
	// PeakDeviceMemMB is nil on CPU (and when nvidia-smi is unavailable).
	PeakDeviceMemMB *int64 `json:"peak_device_mem_mb"`
	// PeakHostMemMB is VmHWM, the process's peak resident set.
	PeakHostMemMB int64   `json:"peak_host_mem_mb"`
	TotalSeconds  float64 `json:"total_s"`
}

// Build is one session's creation, split.
type Build struct {
	Graph float64 `json:"graph_s"`
	ORT   float64 `json:"ort_s"`
	Nodes int     `json:"nodes"`
}

// GraphReport names the graph forms and session settings used.
type GraphReport struct {
	DType      string `json:"dtype"`
	VAEDType   string `json:"vae_dtype"`
	Fused      bool   `json:"cuda_fusions"`
	PreferNHWC bool   `json:"prefer_nhwc"`
	CUDAGraph  bool   `json:"cuda_graph"`
	// CUDNNSearch is cudnn_conv_algo_search ("" = ORT's default, EXHAUSTIVE).
	CUDNNSearch string `json:"cudnn_conv_algo_search,omitempty"`
	Threads     int    `json:"threads"`
}

// CheckpointInfo describes the synthetic checkpoint.
type CheckpointInfo struct {
	Path      string  `json:"path"`
	Bytes     int64   `json:"bytes"`
	Generated bool    `json:"generated"`
	Generate  float64 `json:"generate_s"`
}

// Timing is a warm-up run and the median of the timed runs after it.
type Timing struct {
	Resolution string  `json:"resolution,omitempty"`
	First      float64 `json:"first_s"`
	Median     float64 `json:"median_s"`
	Runs       int     `json:"runs"`
}

// EndToEnd is one text-to-image generation with warm sessions. Seconds is
// the sum of its parts: both prompts encoded, sampling (UNet calls plus the
// host work between them) and the VAE decode.
type EndToEnd struct {
	Resolution string  `json:"resolution"`
	Steps      int     `json:"steps"`
	Sampler    string  `json:"sampler"`
	Scheduler  string  `json:"scheduler"`
	CFG        float64 `json:"cfg"`
	Batch      int     `json:"batch"`
	Seconds    float64 `json:"seconds"`
	Text       float64 `json:"text_s"`
	Sampling   float64 `json:"sampling_s"`
	// UNet is the time inside the UNet calls of sampling (conversion to
	// the compute type, Run with its copies, conversion back).
	UNet float64 `json:"unet_s"`
	// Host is sampling minus UNet: the sampler's arithmetic, noise, CFG,
	// progress, packing the batch.
	Host   float64 `json:"host_s"`
	Decode float64 `json:"decode_s"`
}

// Prompts of the end-to-end run (any text works: the weights are random).
const (
	benchPositive = "1girl, green hair, sweater, looking at viewer, upper body, beanie, outdoors, night, turtleneck, masterpiece"
	benchNegative = "lowres, bad anatomy, bad hands, text, error, worst quality, low quality, blurry"
)

// Run generates (or reuses) the checkpoint and measures everything Result
// holds. ORT is initialised from o.ORTLib.
func Run(ctx context.Context, o Options) (*Result, error) {
	start := time.Now()
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	dev, err := parseDevice(o.Device)
	if err != nil {
		return nil, err
	}
	mainG, vaeG, err := o.graphs(dev)
	if err != nil {
		return nil, err
	}
	if err := ort.Init(ort.LibraryPath(o.ORTLib)); err != nil {
		return nil, err
	}
	res := &Result{Device: dev.Name(), DeviceName: cpuName(), ORTVersion: ort.Version(), Size: o.Size,
		SessionCreate: map[string]float64{}, UNetStep: map[string]Timing{}}
	rt := o.runtime(dev)
	res.Graph = GraphReport{DType: mainG.DType.String(), VAEDType: vaeG.DType.String(), Fused: mainG.CUDAOnly(),
		PreferNHWC: rt.PreferNHWC, CUDAGraph: rt.EnableCUDAGraph, CUDNNSearch: rt.CUDNNConvAlgoSearch, Threads: o.Threads}
	var poller *gpuPoller
	if dev.Provider == ort.CUDA {
		if gi, ok := queryGPU(dev.ID); ok {
			res.DeviceName, res.Driver = gi.Name, &gi.Driver
		}
		poller = startGPUPoller(dev.ID, 200*time.Millisecond)
		defer func() {
			if poller != nil {
				poller.stop()
			}
		}()
	}
	if o.Size == sdxl.SynthSmall {
		res.SizeNote = fmt.Sprintf("small: the reduced model of sdxl.SmallConfig (UNet 32/64/128 channels, depth-1 transformers, 4-layer text encoders, 32-channel VAE); image sizes are the reference 1024x1024 and 832x1216 divided by %d", smallScale)
	}
	path, err := ensureCheckpoint(o, &res.Checkpoint)
	if err != nil {
		return nil, err
	}
	if o.CUDAGraph {
		err = measureCUDAGraph(ctx, path, o, dev, rt, mainG, res)
	} else {
		err = loadAndMeasure(ctx, path, o, dev, rt, mainG, vaeG, res, poller)
	}
	if err != nil {
		return nil, err
	}
	if poller != nil {
		res.PeakDeviceMemMB = poller.stop()
		poller = nil
	}
	res.PeakHostMemMB = procStatusMB("VmHWM")
	// Last, with the other sessions closed, so that the peaks above are the
	// pipeline's alone.
	if !o.CUDAGraph {
		if res.UNetNoOpt, err = timeUNetNoOpt(path, o, dev, rt, mainG); err != nil {
			return nil, err
		}
	}
	res.TotalSeconds = time.Since(start).Seconds()
	return res, nil
}

func loadAndMeasure(ctx context.Context, path string, o Options, dev ort.Device, rt ort.Options, mainG, vaeG sdxl.GraphOptions, res *Result, poller *gpuPoller) error {
	p, closeAll, err := load(path, o, dev, rt, mainG, vaeG, res)
	if err != nil {
		return err
	}
	defer closeAll()
	return measure(ctx, p, o, res, runEnv{rt: rt, dt: mainG.DType, poller: poller})
}

// measureCUDAGraph times the UNet step at the end-to-end size with the
// provider's CUDA graph capture on. ORT captures on an early Run and then
// replays the captured kernels on the device buffers of that Run, without
// copying new host inputs in (it needs device-bound inputs, which the Go
// binding cannot give), so the outputs are stale: only the time is
// meaningful. Compared with the ordinary step it says what launch gaps and
// per-Run host work cost. Text encoders, VAE and the end-to-end run are
// skipped (random conditioning stands in).
func measureCUDAGraph(ctx context.Context, path string, o Options, dev ort.Device, rt ort.Options, g sdxl.GraphOptions, res *Result) error {
	start := time.Now()
	m, err := sdxl.Load(path, sdxl.Options{Graph: g, Runtime: rt, Cache: ort.NewCache(), Device: dev.Name()})
	if err != nil {
		return err
	}
	defer m.Close()
	fmt.Fprintf(o.Log, "bench: creating the unet session (CUDA graph capture on)\n")
	t := time.Now()
	if err := m.Prepare(sdxl.NetUNet); err != nil {
		return err
	}
	res.SessionCreate[sdxl.NetUNet] = time.Since(t).Seconds()
	res.LoadTotal = time.Since(start).Seconds()
	res.SessionBuild = builds(m)
	u := m.Config.UNet
	cond := func() Cond {
		return Cond{Context: randomLatent(1, 77, u.ContextDim), Y: randomLatent(1, max(u.ADMInChannels, 1))}
	}
	p := &Pipeline{Model: m}
	tm, err := timeUNet(ctx, p, cond(), cond(), o.Width, o.Height, o.Runs)
	if err != nil {
		return err
	}
	res.UNetStep[tm.Resolution] = tm
	return nil
}

// ensureCheckpoint returns the cached checkpoint of o.Size, writing it on
// first use. The name carries a format version: bump it when the generator
// changes what it writes.
func ensureCheckpoint(o Options, info *CheckpointInfo) (string, error) {
	sc, err := sdxl.SynthConfigByName(o.Size)
	if err != nil {
		return "", fmt.Errorf("bench: %w", err)
	}
	if err := os.MkdirAll(o.CacheDir, 0o755); err != nil {
		return "", fmt.Errorf("bench: cache: %w", err)
	}
	path := filepath.Join(o.CacheDir, fmt.Sprintf("synthetic-%s-v1-seed%d.safetensors", o.Size, sc.Seed))
	info.Path = path
	if st, err := os.Stat(path); err == nil {
		info.Bytes = st.Size()
		return path, nil
	}
	fmt.Fprintf(o.Log, "bench: writing the %s synthetic checkpoint to %s\n", o.Size, path)
	start := time.Now()
	n, err := sdxl.WriteSynthetic(path, sc)
	if err != nil {
		return "", fmt.Errorf("bench: %w", err)
	}
	info.Bytes, info.Generated, info.Generate = n, true, time.Since(start).Seconds()
	return path, nil
}

// load opens the checkpoint (twice when the VAE runs in another precision)
// and creates every session, timing each.
func load(path string, o Options, dev ort.Device, rt ort.Options, mainG, vaeG sdxl.GraphOptions, res *Result) (*Pipeline, func(), error) {
	start := time.Now()
	cache := ort.NewCache()
	m, err := sdxl.Load(path, sdxl.Options{Graph: mainG, Runtime: rt, Cache: cache, Device: dev.Name()})
	if err != nil {
		return nil, nil, err
	}
	p := &Pipeline{Model: m, VAE: m}
	closeAll := func() { p.Model.Close(); p.VAE.Close() }
	if vaeG != mainG {
		if p.VAE, err = sdxl.Load(path, sdxl.Options{Graph: vaeG, Runtime: rt, Cache: cache, Device: dev.Name()}); err != nil {
			m.Close()
			return nil, nil, err
		}
	}
	nets := []struct {
		m    *sdxl.Model
		name string
	}{{m, sdxl.NetCLIPL}, {m, sdxl.NetCLIPG}, {m, sdxl.NetUNet}, {p.VAE, sdxl.NetVAEDecoder}}
	for _, n := range nets {
		fmt.Fprintf(o.Log, "bench: creating the %s session\n", n.name)
		t := time.Now()
		if err := n.m.Prepare(n.name); err != nil {
			closeAll()
			return nil, nil, err
		}
		res.SessionCreate[n.name] = time.Since(t).Seconds()
	}
	res.LoadTotal = time.Since(start).Seconds()
	res.SessionBuild = builds(p.Model, p.VAE)
	return p, closeAll, nil
}

func builds(ms ...*sdxl.Model) map[string]Build {
	out := map[string]Build{}
	for _, m := range ms {
		for net, b := range m.Builds() {
			out[net] = Build{Graph: b.Graph.Seconds(), ORT: b.Session.Seconds(), Nodes: b.Nodes}
		}
	}
	return out
}

// timeUNetNoOpt creates the UNet session once more, in a cache of its own,
// with ORT's optimizations off, and closes it.
func timeUNetNoOpt(path string, o Options, dev ort.Device, rt ort.Options, g sdxl.GraphOptions) (float64, error) {
	fmt.Fprintf(o.Log, "bench: creating the unet session again without graph optimizations\n")
	rt.OptLevel = ort.OptDisable
	m, err := sdxl.Load(path, sdxl.Options{Graph: g, Runtime: rt, Cache: ort.NewCache(), Device: dev.Name()})
	if err != nil {
		return 0, err
	}
	defer m.Close()
	t := time.Now()
	if err := m.Prepare(sdxl.NetUNet); err != nil {
		return 0, err
	}
	return time.Since(t).Seconds(), nil
}

// measure runs the timed parts: text encoding, UNet steps, VAE decode and
// the end-to-end generation.
func measure(ctx context.Context, p *Pipeline, o Options, res *Result, env runEnv) error {
	t := time.Now()
	pos, err := p.Encode(ctx, benchPositive, o.Width, o.Height)
	if err != nil {
		return err
	}
	neg, err := p.Encode(ctx, benchNegative, o.Width, o.Height)
	if err != nil {
		return err
	}
	res.TextEncode = time.Since(t).Seconds() / 2
	sizes := [][2]int{}
	for _, s := range referenceSizes {
		w, h := o.scaled(s)
		sizes = append(sizes, [2]int{w, h})
	}
	if !slices.Contains(sizes, [2]int{o.Width, o.Height}) {
		sizes = append(sizes, [2]int{o.Width, o.Height})
	}
	for _, s := range sizes {
		fmt.Fprintf(o.Log, "bench: UNet step at %dx%d\n", s[0], s[1])
		tm, err := timeUNet(ctx, p, pos, neg, s[0], s[1], o.Runs)
		if err != nil {
			return err
		}
		res.UNetStep[tm.Resolution] = tm
	}
	fmt.Fprintf(o.Log, "bench: VAE decode at %dx%d\n", o.Width, o.Height)
	if res.VAEDecode, err = timeDecode(ctx, p, o.Width, o.Height, o.Runs); err != nil {
		return err
	}
	if err := measureOverheads(ctx, p, o, res, env, pos, neg); err != nil {
		return err
	}
	fmt.Fprintf(o.Log, "bench: %d euler_ancestral steps end to end\n", o.Steps)
	res.EndToEnd, err = endToEnd(ctx, p, o)
	return err
}

// endToEnd times Pipeline.Generate's three parts back to back.
func endToEnd(ctx context.Context, p *Pipeline, o Options) (EndToEnd, error) {
	r := Request{Positive: benchPositive, Negative: benchNegative, Width: o.Width, Height: o.Height,
		Steps: o.Steps, CFG: 6, Seed: 0, Sampler: "euler_ancestral", Scheduler: "normal"}
	e := EndToEnd{Resolution: resolution(o.Width, o.Height), Steps: o.Steps, Sampler: r.Sampler,
		Scheduler: r.Scheduler, CFG: r.CFG, Batch: 1}
	t := time.Now()
	pos, err := p.Encode(ctx, r.Positive, r.Width, r.Height)
	if err != nil {
		return e, err
	}
	neg, err := p.Encode(ctx, r.Negative, r.Width, r.Height)
	if err != nil {
		return e, err
	}
	e.Text = since(&t)
	p.UNetSpent = 0
	latent, err := p.Sample(ctx, r, pos, neg)
	if err != nil {
		return e, err
	}
	e.Sampling, e.UNet = since(&t), p.UNetSpent.Seconds()
	e.Host = e.Sampling - e.UNet
	if _, err := p.Decode(ctx, latent); err != nil {
		return e, err
	}
	e.Decode = since(&t)
	e.Seconds = e.Text + e.Sampling + e.Decode
	return e, nil
}

// since returns the seconds since *t and moves *t to now.
func since(t *time.Time) float64 {
	now := time.Now()
	d := now.Sub(*t).Seconds()
	*t = now
	return d
}

func resolution(w, h int) string { return fmt.Sprintf("%dx%d", w, h) }

// timeUNet times the CFG pair (batch 2) at a w×h image.
func timeUNet(ctx context.Context, p *Pipeline, pos, neg Cond, w, h, runs int) (Timing, error) {
	x := randomLatent(2, p.Model.Config.UNet.InChannels, h/8, w/8)
	net := unetNet{m: p.Model}
	return timeRuns(resolution(w, h), runs, func() error {
		_, err := net.Predict(ctx, x, 500, []any{pos, neg})
		return err
	})
}

// timeDecode times decoding one latent of a w×h image.
func timeDecode(ctx context.Context, p *Pipeline, w, h, runs int) (Timing, error) {
	z := randomLatent(1, p.VAE.Config.VAE.ZChannels, h/8, w/8)
	return timeRuns(resolution(w, h), runs, func() error {
		_, err := p.Decode(ctx, z)
		return err
	})
}

func timeRuns(res string, runs int, f func() error) (Timing, error) {
	t := time.Now()
	if err := f(); err != nil {
		return Timing{}, err
	}
	tm := Timing{Resolution: res, First: time.Since(t).Seconds(), Runs: runs}
	ds := make([]float64, runs)
	for i := range ds {
		t := time.Now()
		if err := f(); err != nil {
			return Timing{}, err
		}
		ds[i] = time.Since(t).Seconds()
	}
	slices.Sort(ds)
	tm.Median = ds[len(ds)/2]
	return tm, nil
}

// randomLatent is a deterministic N(0,1) latent.
func randomLatent(shape ...int) *tensor.Tensor {
	r := rand.New(rand.NewPCG(7, 11))
	t := tensor.New(shape...)
	for i := range t.Data {
		t.Data[i] = float32(r.NormFloat64())
	}
	return t
}
