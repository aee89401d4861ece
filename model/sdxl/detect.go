package sdxl

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Key prefixes of a single-file checkpoint (sdxl.md §2).
const (
	prefixUNet     = "model.diffusion_model."
	prefixCLIPL    = "conditioner.embedders.0.transformer.text_model."
	prefixCLIPG    = "conditioner.embedders.1.model."
	prefixSD15CLIP = "cond_stage_model.transformer.text_model."
	prefixVAE      = "first_stage_model."
)

// Latent scale factors of the supported latent formats (sdxl.md §6).
const (
	scaleSDXL = 0.13025
	scaleSD15 = 0.18215
)

// Detect reads the architecture and every network's configuration from
// tensor names and shapes alone, then checks that every tensor the networks
// need is present with the right shape.
func Detect(h Header) (*Config, error) {
	if err := rejectForeign(h); err != nil {
		return nil, err
	}
	if err := checkDims(h); err != nil {
		return nil, err
	}
	c := &Config{Prediction: predictionOf(h), ZeroTerminalSNR: has(h, "ztsnr")}
	u, err := detectUNet(h, prefixUNet)
	if err != nil {
		return nil, err
	}
	c.UNet = u
	if err := c.detectFamily(h); err != nil {
		return nil, err
	}
	if c.VAE, err = detectVAE(h, prefixVAE, c.Architecture); err != nil {
		return nil, err
	}
	if err := c.checkConsistency(); err != nil {
		return nil, err
	}
	if err := c.Validate(h); err != nil {
		return nil, err
	}
	return c, nil
}

// rejectForeign names families whose key layout is not the LDM UNet's.
func rejectForeign(h Header) error {
	markers := []struct{ key, found string }{
		{"double_blocks.0.", "flux (double_blocks)"},
		{"joint_blocks.0.", "sd3 (joint_blocks, MMDiT)"},
		{".time_stack.", "stable video diffusion (temporal layers)"},
		{"lora_unet_", "a LoRA file (lora_unet_ keys), not a checkpoint"},
		{".lora_down.", "a LoRA file (lora_down keys), not a checkpoint"},
		{"down_blocks.0.resnets.", "a diffusers-format model (down_blocks), not a single-file checkpoint"},
		{"x_embedder.", "a DiT-family transformer (x_embedder)"},
	}
	for k := range h {
		for _, m := range markers {
			if strings.Contains(k, m.key) {
				return &UnsupportedError{Found: m.found}
			}
		}
	}
	return nil
}

// checkDims rejects empty dimensions in the networks' tensors, which no
// real checkpoint has and which would make the channel arithmetic divide by zero.
func checkDims(h Header) error {
	return checkDimsUnder(h, prefixUNet, "conditioner.", "cond_stage_model.", prefixVAE)
}

// checkDimsUnder is checkDims for the keys under the given prefixes.
func checkDimsUnder(h Header, prefixes ...string) error {
	for k, t := range h {
		if !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(k, p) }) {
			continue
		}
		for _, d := range t.Shape {
			if d <= 0 {
				return &LayoutError{Key: k, Problem: fmt.Sprintf("shape %v has an empty dimension", t.Shape)}
			}
		}
	}
	return nil
}

func has(h Header, key string) bool {
	_, ok := h[key]
	return ok
}

func predictionOf(h Header) Prediction {
	switch {
	case has(h, "edm_vpred.sigma_max"):
		return PredVEDM
	case has(h, "edm_mean") && has(h, "edm_std"):
		return PredEDM
	case has(h, "v_pred"):
		return PredV
	}
	return PredEps
}

// shape returns the shape of key with the given rank, or a LayoutError.
func shape(h Header, key string, rank int) ([]int, error) {
	t, ok := h[key]
	if !ok {
		return nil, missing(key)
	}
	if len(t.Shape) != rank {
		return nil, &LayoutError{Key: key, Problem: fmt.Sprintf("rank %d (shape %v), want rank %d", len(t.Shape), t.Shape, rank)}
	}
	return t.Shape, nil
}

// countIndexed counts the distinct integers N in keys "prefix.N.<more>".
func countIndexed(h Header, prefix string) int {
	seen := map[int]bool{}
	for k := range h {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		rest := k[len(prefix):]
		dot := strings.IndexByte(rest, '.')
		if dot <= 0 {
			continue
		}
		if n, err := strconv.Atoi(rest[:dot]); err == nil && n >= 0 {
			seen[n] = true
		}
	}
	return len(seen)
}

// indices lists the distinct N of keys "prefix.N.<more>" in ascending order.
func indices(h Header, prefix string) []int {
	seen := map[int]bool{}
	for k := range h {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			if dot := strings.IndexByte(rest, '.'); dot > 0 {
				if n, err := strconv.Atoi(rest[:dot]); err == nil && n >= 0 {
					seen[n] = true
				}
			}
		}
	}
	out := make([]int, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

func (c *Config) detectFamily(h Header) error {
	u := c.UNet
	switch {
	case u.ContextDim == 1024:
		return &UnsupportedError{Found: fmt.Sprintf("stable diffusion 2.x (context_dim 1024, adm_in_channels %d)", u.ADMInChannels)}
	case u.ADMInChannels == 0 && u.ContextDim == 768:
		c.Architecture = ArchSD15
		u.NumHeads, u.NumHeadChannels = sd15Heads, -1
		return c.detectCLIP(h, prefixSD15CLIP, "")
	case u.ADMInChannels == 0:
		return &UnsupportedError{Found: fmt.Sprintf("a unet without label embedding and context_dim %d", u.ContextDim)}
	case u.ADMInChannels == u.ContextDim+5*256:
		return &UnsupportedError{Found: fmt.Sprintf("sdxl refiner (adm_in_channels %d, context_dim %d)", u.ADMInChannels, u.ContextDim)}
	case u.ADMInChannels <= 6*256:
		return &UnsupportedError{Found: fmt.Sprintf("a unet with adm_in_channels %d (not sdxl's pooled + 6x256)", u.ADMInChannels)}
	}
	c.Architecture = ArchSDXL
	u.NumHeads, u.NumHeadChannels = -1, sdxlHeadCh
	return c.detectCLIP(h, prefixCLIPL, prefixCLIPG)
}

func (c *Config) detectCLIP(h Header, lPrefix, gPrefix string) error {
	var err error
	if has(h, lPrefix+"embeddings.token_embedding.weight") {
		if c.CLIPL, err = detectCLIPL(h, lPrefix); err != nil {
			return err
		}
	}
	if gPrefix != "" && has(h, gPrefix+"token_embedding.weight") {
		if c.CLIPG, err = detectCLIPG(h, gPrefix); err != nil {
			return err
		}
	}
	return nil
}

func detectCLIPL(h Header, p string) (*CLIPConfig, error) {
	tok, err := shape(h, p+"embeddings.token_embedding.weight", 2)
	if err != nil {
		return nil, err
	}
	pos, err := shape(h, p+"embeddings.position_embedding.weight", 2)
	if err != nil {
		return nil, err
	}
	fc1, err := shape(h, p+"encoder.layers.0.mlp.fc1.weight", 2)
	if err != nil {
		return nil, err
	}
	c := &CLIPConfig{HiddenSize: tok[1], VocabSize: tok[0], MaxPositionEmbeddings: pos[0],
		NumHiddenLayers: countIndexed(h, p+"encoder.layers."), IntermediateSize: fc1[0],
		HiddenAct: "quick_gelu", ProjectionDim: tok[1]}
	return c, c.setHeads(p)
}

func detectCLIPG(h Header, p string) (*CLIPConfig, error) {
	tok, err := shape(h, p+"token_embedding.weight", 2)
	if err != nil {
		return nil, err
	}
	pos, err := shape(h, p+"positional_embedding", 2)
	if err != nil {
		return nil, err
	}
	fc, err := shape(h, p+"transformer.resblocks.0.mlp.c_fc.weight", 2)
	if err != nil {
		return nil, err
	}
	proj, err := shape(h, p+"text_projection", 2)
	if err != nil {
		return nil, err
	}
	c := &CLIPConfig{HiddenSize: tok[1], VocabSize: tok[0], MaxPositionEmbeddings: pos[0],
		NumHiddenLayers: countIndexed(h, p+"transformer.resblocks."), IntermediateSize: fc[0],
		HiddenAct: "gelu", ProjectionDim: proj[1], HasProjection: true}
	return c, c.setHeads(p)
}

func (c *CLIPConfig) setHeads(prefix string) error {
	if c.HiddenSize%sdxlHeadCh != 0 {
		return &UnsupportedError{Found: fmt.Sprintf("a text encoder (%s) of width %d, not a multiple of %d-channel heads", prefix, c.HiddenSize, sdxlHeadCh)}
	}
	c.NumAttentionHeads = c.HiddenSize / sdxlHeadCh
	return nil
}

// checkConsistency ties the networks together: the UNet's context and ADM
// widths must be what the text encoders produce.
func (c *Config) checkConsistency() error {
	u := c.UNet
	if c.Architecture == ArchSDXL {
		for _, ch := range u.attentionChannels() {
			if ch%sdxlHeadCh != 0 {
				return &UnsupportedError{Found: fmt.Sprintf("a unet transformer of %d channels, not a multiple of %d-channel heads", ch, sdxlHeadCh)}
			}
		}
	}
	if c.CLIPL != nil && c.CLIPG != nil {
		if w := c.CLIPL.HiddenSize + c.CLIPG.HiddenSize; w != u.ContextDim {
			return fmt.Errorf("sdxl: context_dim %d does not match clip_l %d + clip_g %d", u.ContextDim, c.CLIPL.HiddenSize, c.CLIPG.HiddenSize)
		}
		if w := c.CLIPG.ProjectionDim + 6*256; w != u.ADMInChannels {
			return fmt.Errorf("sdxl: adm_in_channels %d does not match pooled %d + 6x256", u.ADMInChannels, c.CLIPG.ProjectionDim)
		}
	}
	if c.Architecture == ArchSD15 && c.CLIPL != nil && c.CLIPL.HiddenSize != u.ContextDim {
		return fmt.Errorf("sdxl: context_dim %d does not match clip_l %d", u.ContextDim, c.CLIPL.HiddenSize)
	}
	return nil
}
