package modelnodes

import (
	"fmt"
	"slices"

	"sumi/lora"
	"sumi/model/sdxl"
	"sumi/tensor"
)

// Model is the MODEL value: a checkpoint's UNet plus the LoRA patches
// applied to it so far. It is immutable; LoraLoader returns a new one.
type Model struct {
	cache   *Cache
	path    string
	patches []lora.Patch
	base    *sdxl.Model // unpatched, for the key map and configuration
}

// CLIP is the CLIP value: a checkpoint's text encoders, their LoRA patches
// and CLIPSetLastLayer's choice.
type CLIP struct {
	cache   *Cache
	path    string
	patches []lora.Patch
	base    *sdxl.Model
	// LastLayer is stop_at_clip_layer (0: the model's default).
	LastLayer int
}

// VAE is the VAE value: a checkpoint's or a standalone file's VAE, or
// the pixel_space identity VAE.
type VAE struct {
	m     *sdxl.Model // nil for pixel_space
	pixel bool
}

// String formats the values for error messages (execution_error current_inputs).
func (m *Model) String() string { return fmt.Sprintf("<ModelPatcher %s>", m.path) }

// String formats the value for error messages.
func (c *CLIP) String() string { return fmt.Sprintf("<CLIP %s>", c.path) }

// String formats the value for error messages.
func (v *VAE) String() string { return "<VAE>" }

// net opens (or finds) the UNet with this model's patches.
func (m *Model) net() (*sdxl.Model, error) {
	if len(m.patches) == 0 {
		return m.base, nil
	}
	return m.cache.Open(m.path, m.patches)
}

// encoder opens (or finds) the text encoders with this CLIP's patches.
func (c *CLIP) encoder() (*sdxl.Model, error) {
	if len(c.patches) == 0 {
		return c.base, nil
	}
	return c.cache.Open(c.path, c.patches)
}

// withPatches returns a copy of m with more patches appended.
func (m *Model) withPatches(ps []lora.Patch) *Model {
	out := *m
	out.patches = append(slices.Clip(m.patches), ps...)
	return &out
}

// withPatches returns a copy of c with more patches appended.
func (c *CLIP) withPatches(ps []lora.Patch) *CLIP {
	out := *c
	out.patches = append(slices.Clip(c.patches), ps...)
	return &out
}

// keyMap lists the checkpoint's tensors for LoRA key matching.
func keyMap(m *sdxl.Model) *lora.KeyMap {
	shapes := map[string][]int{}
	for name, ti := range m.Header() {
		shapes[name] = ti.Shape
	}
	return lora.NewKeyMap(shapes)
}

// Cond is one entry of a CONDITIONING list (ComfyUI's [tensor, dict]).
type Cond struct {
	// Cross is the cross-attention context [1, tokens, dim].
	Cross *tensor.Tensor
	// Pooled is the pooled text embedding [1, P] (SDXL), or nil.
	Pooled *tensor.Tensor
	// Area, when set, limits the entry to a region of the latent.
	Area *Area
	// Strength weights the entry against others (1 by default).
	Strength float64
}

// Area is ConditioningSetArea's region in latent pixels (pixels / 8).
type Area struct{ H, W, Y, X int }

// Conditioning is the CONDITIONING value.
type Conditioning []Cond

// String formats the value for error messages.
func (c Conditioning) String() string {
	return fmt.Sprintf("<conditioning with %d entries>", len(c))
}

func newCond(cross, pooled *tensor.Tensor) Cond {
	return Cond{Cross: cross, Pooled: pooled, Strength: 1}
}
