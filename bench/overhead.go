package bench

import (
	"context"
	"fmt"
	"time"

	"sumi/runtime/onnx"
	"sumi/runtime/ort"
	"sumi/tensor"
)

// Overheads are the measurements that say whether keeping the sampler's
// state on the device (device-memory binding, CUDA graphs) would pay: what
// a step's host round trip costs, and how busy the device is when steps run
// back to back.
type Overheads struct {
	// RunIO is a UNet-shaped call that computes nothing: the same inputs
	// and output, in the same types, on the same provider, through a graph
	// that adds a zero made from the other inputs to x. It is the per-step
	// price of conversion, copies both ways, launch and synchronisation.
	RunIO Timing `json:"run_io_s"`
	// RunIOShare is RunIO's median over the UNet step's median at the same
	// size.
	RunIOShare float64 `json:"run_io_share_of_step"`
	// Sustained is UNet steps back to back at the end-to-end size.
	Sustained Sustained `json:"sustained_unet"`
}

// Sustained is a stretch of back-to-back batch-2 UNet steps.
type Sustained struct {
	Resolution string  `json:"resolution"`
	Steps      int     `json:"steps"`
	StepMean   float64 `json:"step_mean_s"`
	// GPUUtilPct is nvidia-smi's utilization.gpu averaged over the samples
	// taken during the stretch (the share of time some kernel ran): far
	// below 100 means launch gaps or host work starve the device. Nil on
	// CPU or without nvidia-smi.
	GPUUtilPct  *float64 `json:"gpu_util_pct"`
	UtilSamples int      `json:"gpu_util_samples"`
}

// sustainFor is how long the back-to-back stretch runs (several nvidia-smi
// samples at the poller's interval).
const sustainFor = 2 * time.Second

// runEnv is what the measurements need besides the pipeline.
type runEnv struct {
	rt     ort.Options
	dt     onnx.DataType // the UNet's compute type
	poller *gpuPoller    // nil on CPU
}

func measureOverheads(ctx context.Context, p *Pipeline, o Options, res *Result, env runEnv, pos, neg Cond) error {
	w, h := o.Width, o.Height
	fmt.Fprintf(o.Log, "bench: host round trip of a UNet-shaped call at %dx%d\n", w, h)
	io, err := timeRunIO(ctx, p, env, pos, neg, w, h, o.Runs)
	if err != nil {
		return err
	}
	ov := Overheads{RunIO: io}
	if step, ok := res.UNetStep[io.Resolution]; ok && step.Median > 0 {
		ov.RunIOShare = io.Median / step.Median
	}
	fmt.Fprintf(o.Log, "bench: UNet steps back to back for %v at %dx%d\n", sustainFor, w, h)
	if ov.Sustained, err = sustain(ctx, p, env, pos, neg, w, h); err != nil {
		return err
	}
	res.Overheads = &ov
	return nil
}

// ioProbe is the do-nothing graph of timeRunIO, with the UNet's input
// names, types and shapes.
func ioProbe(dt onnx.DataType, x, cond, y *tensor.Tensor) (*onnx.Graph, error) {
	g := onnx.NewGraph("io-probe")
	g.Compute = dt
	xi := g.Input("x", dt, dims(x)...)
	ti := g.Input("timesteps", onnx.Float, x.Shape[0])
	ci := g.Input("context", dt, dims(cond)...)
	yi := g.Input("y", dt, dims(y)...)
	// Means, not sums: a float16 sum over the context could overflow, and
	// inf·0 is NaN.
	zero := g.Add(g.ReduceMean(ci, false), g.ReduceMean(yi, false))
	zero = g.Add(zero, g.Cast(g.ReduceMean(ti, false), dt))
	g.Output(g.Add(xi, g.Mul(zero, g.Scalar(0))), "out", dims(x)...)
	return g, g.Err()
}

func dims(t *tensor.Tensor) []any {
	d := make([]any, len(t.Shape))
	for i, v := range t.Shape {
		d[i] = v
	}
	return d
}

// timeRunIO times the io probe with the CFG pair's inputs at w×h,
// converting inputs and output exactly as sdxl.Model.UNet does.
func timeRunIO(ctx context.Context, p *Pipeline, env runEnv, pos, neg Cond, w, h, runs int) (Timing, error) {
	x := randomLatent(2, p.Model.Config.UNet.InChannels, h/8, w/8)
	cond, y := stack([]*tensor.Tensor{pos.Context, neg.Context}), stack([]*tensor.Tensor{pos.Y, neg.Y})
	g, err := ioProbe(env.dt, x, cond, y)
	if err != nil {
		return Timing{}, fmt.Errorf("bench: io probe: %w", err)
	}
	s, err := ort.NewSessionFromGraph(g, "", env.rt)
	if err != nil {
		return Timing{}, fmt.Errorf("bench: io probe: %w", err)
	}
	defer s.Close()
	in := func(t *tensor.Tensor) *ort.Tensor {
		shape := make([]int64, len(t.Shape))
		for i, d := range t.Shape {
			shape[i] = int64(d)
		}
		if env.dt == onnx.Float16 {
			return ort.FromFloat16(shape, t.Data)
		}
		return ort.FromFloat32(shape, t.Data)
	}
	return timeRuns(resolution(w, h), runs, func() error {
		ins := []*ort.Tensor{in(x), ort.FromFloat32([]int64{2}, []float32{500, 500}), in(cond), in(y)}
		out := ort.NewTensor(env.dt, 2, int64(x.Shape[1]), int64(x.Shape[2]), int64(x.Shape[3]))
		if err := s.Run(ctx, ins, []*ort.Tensor{out}); err != nil {
			return err
		}
		_, err := out.Float32()
		return err
	})
}

// sustain runs UNet steps back to back for sustainFor (at least three) and
// averages the device utilization sampled meanwhile.
func sustain(ctx context.Context, p *Pipeline, env runEnv, pos, neg Cond, w, h int) (Sustained, error) {
	x := randomLatent(2, p.Model.Config.UNet.InChannels, h/8, w/8)
	net := unetNet{m: p.Model}
	s := Sustained{Resolution: resolution(w, h)}
	start := time.Now()
	for s.Steps < 3 || time.Since(start) < sustainFor {
		if _, err := net.Predict(ctx, x, 500, []any{pos, neg}); err != nil {
			return s, err
		}
		s.Steps++
	}
	end := time.Now()
	s.StepMean = end.Sub(start).Seconds() / float64(s.Steps)
	if env.poller != nil {
		if u, n := env.poller.meanUtil(start, end); n > 0 {
			s.GPUUtilPct, s.UtilSamples = &u, n
		}
	}
	return s, nil
}
