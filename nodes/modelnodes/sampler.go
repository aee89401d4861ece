package modelnodes

import (
	"context"
	"errors"
	"fmt"

	"sumi/model/sdxl"
	"sumi/nodes"
	"sumi/sampling"
	"sumi/sampling/preview"
	"sumi/tensor"
)

// ErrLatentSize is returned when a latent's size does not fit the UNet
// (each of its levels halves the size, so it must divide evenly).
var ErrLatentSize = errors.New("modelnodes: latent size does not fit the model")

func samplerSpecs() []nodes.Spec {
	seed := func(name string) nodes.Input {
		return nodes.Int(name, 0).Range(0, nodes.MaxSeed).ControlAfterGenerate()
	}
	steps := nodes.Int("steps", 20).Range(1, 10000)
	cfg := nodes.Float("cfg", 8.0).Range(0, 100).Step(0.1).Round(0.01)
	samplers := nodes.ComboOf("sampler_name", sampling.SamplerNames...)
	schedulers := nodes.ComboOf("scheduler", sampling.SchedulerNames...)
	cond := func(name string) nodes.Input { return nodes.Socket(name, nodes.TypeConditioning) }
	return []nodes.Spec{
		{
			Name: "KSampler", Category: "sampling",
			Description: "Uses the provided model, positive and negative conditioning to denoise the latent image.",
			Inputs: []nodes.Input{
				nodes.Socket("model", nodes.TypeModel).Tooltip("The model used for denoising the input latent."),
				seed("seed").Tooltip("The random seed used for creating the noise."),
				steps.Tooltip("The number of steps used in the denoising process."),
				cfg.Tooltip("The Classifier-Free Guidance scale balances creativity and adherence to the prompt. Higher values result in images more closely matching the prompt however too high values will negatively impact quality."),
				samplers.Tooltip("The algorithm used when sampling, this can affect the quality, speed, and style of the generated output."),
				schedulers.Tooltip("The scheduler controls how noise is gradually removed to form the image."),
				cond("positive").Tooltip("The conditioning describing the attributes you want to include in the image."),
				cond("negative").Tooltip("The conditioning describing the attributes you want to exclude from the image."),
				nodes.Socket("latent_image", nodes.TypeLatent).Tooltip("The latent image to denoise."),
				nodes.Float("denoise", 1.0).Range(0, 1).Step(0.01).Tooltip("The amount of denoising applied, lower values will maintain the structure of the initial image allowing for image to image sampling."),
			},
			Outputs: []nodes.Output{{Type: nodes.TypeLatent, Tooltip: "The denoised latent."}},
			Run: func(ctx context.Context, in nodes.Args, p nodes.Progress) ([]any, error) {
				return runSampler(ctx, in, p, false)
			},
		},
		{
			Name: "KSamplerAdvanced", DisplayName: "KSampler (Advanced)", Category: "sampling",
			Inputs: []nodes.Input{
				nodes.Socket("model", nodes.TypeModel),
				nodes.ComboOf("add_noise", "enable", "disable"),
				seed("noise_seed"), steps, cfg, samplers, schedulers,
				cond("positive"), cond("negative"),
				nodes.Socket("latent_image", nodes.TypeLatent),
				nodes.Int("start_at_step", 0).Range(0, 10000),
				nodes.Int("end_at_step", 10000).Range(0, 10000),
				nodes.ComboOf("return_with_leftover_noise", "disable", "enable"),
			},
			Outputs: []nodes.Output{{Type: nodes.TypeLatent}},
			Run: func(ctx context.Context, in nodes.Args, p nodes.Progress) ([]any, error) {
				return runSampler(ctx, in, p, true)
			},
		},
	}
}

// runSampler runs KSampler or KSamplerAdvanced.
func runSampler(ctx context.Context, in nodes.Args, p nodes.Progress, advanced bool) ([]any, error) {
	m, err := nodes.Get[*Model](in, "model")
	if err != nil {
		return nil, err
	}
	pos, err := nodes.Get[Conditioning](in, "positive")
	if err != nil {
		return nil, err
	}
	neg, err := nodes.Get[Conditioning](in, "negative")
	if err != nil {
		return nil, err
	}
	latent, err := in.Latent("latent_image")
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("modelnodes: model input is invalid: None")
	}
	net, err := m.net()
	if err != nil {
		return nil, err
	}
	sp := &stepProgress{p: p, c: net.Config}
	r, err := newSamplerInput(net, pos, neg, latent, sp.report)
	if err != nil {
		return nil, err
	}
	defer sp.finish()
	steps, cfg := int(in.Int("steps")), in.Float("cfg")
	sampler, scheduler := in.String("sampler_name"), in.String("scheduler")
	var out *tensor.Tensor
	if advanced {
		out, err = sampling.KSamplerAdvanced(ctx, r.model, in.String("add_noise") != "disable", in.Uint64("noise_seed"),
			steps, cfg, sampler, scheduler, r.pos, r.neg, r.latent, int(in.Int("start_at_step")), int(in.Int("end_at_step")),
			in.String("return_with_leftover_noise") == "enable", r.opts...)
	} else {
		out, err = sampling.KSampler(ctx, r.model, in.Uint64("seed"), steps, cfg, sampler, scheduler,
			r.pos, r.neg, r.latent, in.Float("denoise"), r.opts...)
	}
	if err != nil {
		return nil, err
	}
	res := nodes.Latent{Samples: out, NoiseMask: latent.NoiseMask, BatchIndex: latent.BatchIndex}
	return []any{res}, nil
}

// samplerInput is what both sampler nodes hand to package sampling for a
// checkpoint: the model wrapper, the prepared prompts, the latent and the
// options (progress, latent scale for previews).
type samplerInput struct {
	model    sampling.Model
	pos, neg []prepared
	latent   sampling.Latent
	opts     []sampling.Option
}

// newSamplerInput checks the latent against the checkpoint and prepares
// the prompts for it.
func newSamplerInput(net *sdxl.Model, pos, neg Conditioning, latent nodes.Latent, p sampling.Progress) (*samplerInput, error) {
	if err := checkLatent(net.Config, latent.Samples); err != nil {
		return nil, err
	}
	d, err := newDenoiser(net)
	if err != nil {
		return nil, err
	}
	posP, negP, err := prepareConds(net.Config, pos, neg, latent.Samples.Shape)
	if err != nil {
		return nil, err
	}
	r := &samplerInput{model: d, pos: posP, neg: negP,
		latent: sampling.Latent{Samples: latent.Samples, BatchIndex: latent.BatchIndex, NoiseMask: latent.NoiseMask},
		opts:   []sampling.Option{sampling.WithProgress(p)}}
	if v := net.Config.VAE; v != nil && v.ScaleFactor > 0 {
		r.opts = append(r.opts, sampling.WithLatentScale(v.ScaleFactor))
	}
	return r, nil
}

// checkLatent rejects latents the UNet cannot take: wrong channel count,
// or a size its downsampling levels do not divide.
func checkLatent(c *sdxl.Config, x *tensor.Tensor) error {
	u := c.UNet
	if x == nil || len(x.Shape) != 4 || x.Len() == 0 {
		return fmt.Errorf("modelnodes: latent must be a non-empty [B,C,H,W] tensor, got %v", shapeOf(x))
	}
	if x.Shape[1] != u.InChannels {
		return fmt.Errorf("%w: %d channels, the model takes %d", ErrLatentSize, x.Shape[1], u.InChannels)
	}
	f := 1 << (u.Levels() - 1)
	if x.Shape[2]%f != 0 || x.Shape[3]%f != 0 {
		return fmt.Errorf("%w: %dx%d latent, the UNet needs multiples of %d (image sizes that are multiples of %d)",
			ErrLatentSize, x.Shape[3], x.Shape[2], f, 8*f)
	}
	return nil
}

func shapeOf(t *tensor.Tensor) any {
	if t == nil {
		return "nil"
	}
	return t.Shape
}

// stepProgress reports each step and a latent2rgb JPEG of the denoised
// estimate. Encoding a preview (about a millisecond at 1024²) between two
// UNet calls would add to every step on a GPU; instead step i's preview is
// encoded while step i+1 runs and sent just before step i+1's progress, so
// the messages keep ComfyUI's order (progress i, preview i, progress i+1,
// …). finish sends the last one; the sampler node calls it before it
// returns, so every preview precedes the node's output.
type stepProgress struct {
	p       nodes.Progress
	c       *sdxl.Config
	pending chan []byte // the preview being encoded; nil when none
}

func (s *stepProgress) report(step, total int, x0 *tensor.Tensor) {
	s.finish()
	s.p.Update(step, total)
	if s.c.Architecture != sdxl.ArchSDXL || x0 == nil {
		return
	}
	x0 = x0.Clone() // the sampler goes on with its own
	c := make(chan []byte, 1)
	go func() {
		jpg, err := preview.SDXLJPEG(x0)
		if err != nil {
			jpg = nil
		}
		c <- jpg
	}()
	s.pending = c
}

// finish waits for the pending preview, if any, and sends it.
func (s *stepProgress) finish() {
	if s.pending == nil {
		return
	}
	if jpg := <-s.pending; jpg != nil {
		s.p.Preview(nodes.Preview{Format: nodes.PreviewJPEG, Data: jpg})
	}
	s.pending = nil
}

// prepareConds is ComfyUI's process_conds for the two prompts: every area
// entry gets a counterpart in the other prompt, then each entry gets its
// ADM vector (SDXL size conditioning from the latent size × 8).
func prepareConds(c *sdxl.Config, pos, neg Conditioning, shape []int) ([]prepared, []prepared, error) {
	pos, neg = append(Conditioning{}, pos...), append(Conditioning{}, neg...)
	for _, e := range pos {
		neg = withSameArea(neg, e)
	}
	for _, e := range neg {
		pos = withSameArea(pos, e)
	}
	pp, err := encodeConds(c, pos, shape)
	if err != nil {
		return nil, nil, err
	}
	np, err := encodeConds(c, neg, shape)
	return pp, np, err
}

func encodeConds(c *sdxl.Config, list Conditioning, shape []int) ([]prepared, error) {
	w, h := shape[3]*8, shape[2]*8
	out := make([]prepared, 0, len(list))
	for _, e := range list {
		if e.Cross == nil || len(e.Cross.Shape) != 3 || e.Cross.Shape[2] != c.UNet.ContextDim {
			return nil, fmt.Errorf("modelnodes: conditioning %v does not fit the model's context width %d", shapeOf(e.Cross), c.UNet.ContextDim)
		}
		p := prepared{cross: e.Cross, area: e.Area, strength: float32(e.Strength)}
		if adm := c.UNet.ADMInChannels; adm > 0 {
			pooled := e.Pooled
			if pooled == nil {
				pooled = tensor.New(1, adm-6*256)
			}
			y, err := sdxl.ADM(pooled, w, h, 0, 0, w, h)
			if err != nil {
				return nil, err
			}
			if y.Shape[1] != adm {
				return nil, fmt.Errorf("modelnodes: pooled output %v does not fit the model's ADM width %d", pooled.Shape, adm)
			}
			p.y = y
		}
		out = append(out, p)
	}
	return out, nil
}

// withSameArea is ComfyUI's create_cond_with_same_area_if_none: when e has
// an area that no entry of list covers exactly, list gains a copy of e
// carrying the prompt of the smallest entry of list that contains it.
func withSameArea(list Conditioning, e Cond) Conditioning {
	if e.Area == nil {
		return list
	}
	var smallest *Cond
	for i := range list {
		x := &list[i]
		switch {
		case x.Area == nil:
			if smallest == nil {
				smallest = x
			}
		case inside(*e.Area, *x.Area):
			if smallest == nil || smallest.Area == nil ||
				smallest.Area.H*smallest.Area.W > x.Area.H*x.Area.W {
				smallest = x
			}
		}
	}
	if smallest == nil || (smallest.Area != nil && *smallest.Area == *e.Area) {
		return list
	}
	out := e
	out.Cross, out.Pooled = smallest.Cross, smallest.Pooled
	return append(list, out)
}

// inside reports whether area a lies within b.
func inside(a, b Area) bool {
	return a.Y >= b.Y && a.X >= b.X && a.H+a.Y <= b.H+b.Y && a.W+a.X <= b.W+b.X
}
