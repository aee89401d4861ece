package modelnodes

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"sumi/folders"
	"sumi/lora"
	"sumi/nodes"
)

// listing returns a COMBO choice function over a model folder.
func listing(f *folders.Folders, kind string, extra ...string) func() []string {
	return func() []string {
		names, _ := f.List(kind)
		return append(names, extra...)
	}
}

func loaderSpecs(env Env) []nodes.Spec {
	ckptOutputs := []nodes.Output{
		{Type: nodes.TypeModel, Tooltip: "The model used for denoising latents."},
		{Type: nodes.TypeClip, Tooltip: "The CLIP model used for encoding text prompts."},
		{Type: nodes.TypeVAE, Tooltip: "The VAE model used for encoding and decoding images to and from latent space."},
	}
	loadCkpt := func(ctx context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
		return env.loadCheckpoint(in.String("ckpt_name"))
	}
	strength := func(name string) nodes.Input {
		return nodes.Float(name, 1.0).Range(-100, 100).Step(0.01)
	}
	return []nodes.Spec{
		{
			Name: "CheckpointLoaderSimple", DisplayName: "Load Checkpoint", Category: "loaders",
			Description: "Loads a diffusion model checkpoint, diffusion models are used to denoise latents.",
			Inputs: []nodes.Input{nodes.Combo("ckpt_name", listing(env.Folders, "checkpoints")).
				Tooltip("The name of the checkpoint (model) to load.")},
			Outputs: ckptOutputs,
			Run:     loadCkpt,
		},
		{
			Name: "CheckpointLoader", DisplayName: "Load Checkpoint With Config (DEPRECATED)",
			Category: "advanced/loaders", Deprecated: true,
			Inputs: []nodes.Input{
				nodes.Combo("config_name", listing(env.Folders, "configs")),
				nodes.Combo("ckpt_name", listing(env.Folders, "checkpoints")),
			},
			Outputs: []nodes.Output{{Type: nodes.TypeModel}, {Type: nodes.TypeClip}, {Type: nodes.TypeVAE}},
			Run:     loadCkpt, // the config is ignored: detection reads the file itself
		},
		{
			Name: "VAELoader", DisplayName: "Load VAE", Category: "loaders",
			Inputs:  []nodes.Input{nodes.Combo("vae_name", listing(env.Folders, "vae", pixelSpace))},
			Outputs: []nodes.Output{{Type: nodes.TypeVAE}},
			Run: func(ctx context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
				return env.loadVAE(in.String("vae_name"))
			},
		},
		{
			Name: "LoraLoader", DisplayName: "Load LoRA", Category: "loaders",
			Description: "LoRAs are used to modify diffusion and CLIP models, altering the way in which latents are denoised such as applying styles. Multiple LoRA nodes can be linked together.",
			Inputs: []nodes.Input{
				nodes.Socket("model", nodes.TypeModel).Tooltip("The diffusion model the LoRA will be applied to."),
				nodes.Socket("clip", nodes.TypeClip).Tooltip("The CLIP model the LoRA will be applied to."),
				nodes.Combo("lora_name", listing(env.Folders, "loras")).Tooltip("The name of the LoRA."),
				strength("strength_model").Tooltip("How strongly to modify the diffusion model. This value can be negative."),
				strength("strength_clip").Tooltip("How strongly to modify the CLIP model. This value can be negative."),
			},
			Outputs: []nodes.Output{
				{Type: nodes.TypeModel, Tooltip: "The modified diffusion model."},
				{Type: nodes.TypeClip, Tooltip: "The modified CLIP model."},
			},
			Run: func(ctx context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
				m, err := nodes.Get[*Model](in, "model")
				if err != nil {
					return nil, err
				}
				c, err := nodes.Get[*CLIP](in, "clip")
				if err != nil {
					return nil, err
				}
				m, c, err = env.applyLoRA(m, c, in.String("lora_name"), in.Float("strength_model"), in.Float("strength_clip"))
				return []any{m, c}, err
			},
		},
		{
			Name: "LoraLoaderModelOnly", Category: "loaders",
			Description: "LoRAs are used to modify diffusion and CLIP models, altering the way in which latents are denoised such as applying styles. Multiple LoRA nodes can be linked together.",
			Inputs: []nodes.Input{
				nodes.Socket("model", nodes.TypeModel),
				nodes.Combo("lora_name", listing(env.Folders, "loras")),
				strength("strength_model"),
			},
			Outputs: []nodes.Output{{Type: nodes.TypeModel, Tooltip: "The modified diffusion model."}},
			Run: func(ctx context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
				m, err := nodes.Get[*Model](in, "model")
				if err != nil {
					return nil, err
				}
				m, _, err = env.applyLoRA(m, nil, in.String("lora_name"), in.Float("strength_model"), 0)
				return []any{m}, err
			},
		},
	}
}

// loadCheckpoint opens a checkpoint and returns MODEL, CLIP and VAE (nil
// for a network the file does not have, as ComfyUI returns None).
func (env Env) loadCheckpoint(name string) ([]any, error) {
	if err := safetensorsName(name); err != nil {
		return nil, fmt.Errorf("modelnodes: checkpoint %q: %w", name, err)
	}
	path, err := env.Folders.ModelPath("checkpoints", name)
	if err != nil {
		return nil, fmt.Errorf("modelnodes: checkpoint %q: %w", name, err)
	}
	m, err := env.Cache.Open(path, nil)
	if err != nil {
		return nil, err
	}
	out := []any{(*Model)(nil), (*CLIP)(nil), (*VAE)(nil)}
	if m.Config.UNet != nil {
		out[0] = &Model{cache: env.Cache, path: path, base: m}
	}
	if m.Config.CLIPL != nil {
		out[1] = &CLIP{cache: env.Cache, path: path, base: m}
	}
	if m.Config.VAE != nil {
		vae := m
		if env.Cache.SeparateVAE() {
			if vae, err = env.Cache.OpenVAE(path); err != nil {
				return nil, err
			}
		}
		out[2] = &VAE{m: vae}
	}
	return out, nil
}

// applyLoRA matches a LoRA against the model's UNet and the CLIP's text
// encoders (clip may be nil) and returns the patched values. A LoRA that
// matches nothing is an error; unmatched keys of a matching LoRA are
// warnings, as in ComfyUI.
func (env Env) applyLoRA(m *Model, c *CLIP, name string, sModel, sClip float64) (*Model, *CLIP, error) {
	if sModel == 0 && sClip == 0 {
		return m, c, nil
	}
	if m == nil {
		return nil, nil, errors.New("modelnodes: LoRA: no model")
	}
	path, err := env.Folders.ModelPath("loras", name)
	if err != nil {
		return nil, nil, fmt.Errorf("modelnodes: lora %q: %w", name, err)
	}
	f, err := lora.Open(path)
	if err != nil {
		return nil, nil, err
	}
	shapes := map[string][]int{}
	for k, ti := range m.base.Header() {
		if strings.HasPrefix(k, unetPrefix) {
			shapes[k] = ti.Shape
		}
	}
	if c != nil {
		for k, ti := range c.base.Header() {
			if !strings.HasPrefix(k, unetPrefix) {
				shapes[k] = ti.Shape
			}
		}
	}
	set, err := f.Patches(lora.NewKeyMap(shapes), sModel, sClip)
	if err != nil {
		return nil, nil, fmt.Errorf("modelnodes: lora %q: %w", name, err)
	}
	for _, k := range set.Unmatched {
		env.warn("lora key not loaded: " + k)
	}
	m = m.withPatches(set.UNet)
	if c != nil {
		c = c.withPatches(set.Text)
	}
	return m, c, nil
}

// unetPrefix is where a single-file checkpoint keeps its UNet.
const unetPrefix = "model.diffusion_model."
