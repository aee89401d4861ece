package nodes

import (
	"fmt"

	"sumi/tensor"
)

// Type is a ComfyUI data type name: a socket type (MODEL, LATENT, ...), a
// widget primitive (INT, FLOAT, STRING, BOOLEAN) or COMBO.
type Type string

// The types ComfyUI's core nodes use. Custom types are just other strings.
const (
	TypeInt          Type = "INT"
	TypeFloat        Type = "FLOAT"
	TypeString       Type = "STRING"
	TypeBool         Type = "BOOLEAN"
	TypeCombo        Type = "COMBO"
	TypeModel        Type = "MODEL"
	TypeClip         Type = "CLIP"
	TypeVAE          Type = "VAE"
	TypeConditioning Type = "CONDITIONING"
	TypeLatent       Type = "LATENT"
	TypeImage        Type = "IMAGE"
	TypeMask         Type = "MASK"
	TypeUpscaleModel Type = "UPSCALE_MODEL"
	TypeClipVision   Type = "CLIP_VISION"
	TypeControlNet   Type = "CONTROL_NET"
	TypeNoise        Type = "NOISE"
	TypeSigmas       Type = "SIGMAS"
	TypeSampler      Type = "SAMPLER"
	TypeGuider       Type = "GUIDER"
	// TypeAny matches every type when linking ("*" in ComfyUI).
	TypeAny Type = "*"
)

// IsWidget reports whether inputs of this type get an editor widget (and so
// a slot in a UI workflow's widgets_values) rather than only a socket.
func (t Type) IsWidget() bool {
	switch t {
	case TypeInt, TypeFloat, TypeString, TypeBool, TypeCombo:
		return true
	}
	return false
}

// MaxResolution is ComfyUI's MAX_RESOLUTION, the usual bound for widths and heights.
const MaxResolution = 16384

// MaxSeed is ComfyUI's seed maximum 0xffffffffffffffff. As a float64 bound
// it rounds to 2^64; /object_info writes it back as 18446744073709551615.
const MaxSeed = 1<<64 - 1

// Latent is the LATENT value: ComfyUI's {"samples", "noise_mask", "batch_index"} dict.
type Latent struct {
	// Samples is [B, C, H, W] (C = 4 for SD/SDXL, H and W are 1/8 of the image).
	Samples *tensor.Tensor
	// NoiseMask is optional ([B or 1, 1, H, W] or [B, H, W]); nil when absent.
	NoiseMask *tensor.Tensor
	// BatchIndex is optional: the index of each sample in its original batch
	// (set by LatentFromBatch and used to pick per-sample noise); nil when absent.
	BatchIndex []int
}

// String formats the latent for error messages (execution_error current_inputs).
func (l Latent) String() string {
	s := "{'samples': " + shapeString(l.Samples)
	if l.NoiseMask != nil {
		s += ", 'noise_mask': " + shapeString(l.NoiseMask)
	}
	if l.BatchIndex != nil {
		s += fmt.Sprintf(", 'batch_index': %v", l.BatchIndex)
	}
	return s + "}"
}

func shapeString(t *tensor.Tensor) string {
	if t == nil {
		return "None"
	}
	return fmt.Sprintf("tensor(shape=%v)", t.Shape)
}

// UI is what an output node shows in the editor: the "output" object of the
// websocket "executed" message and of the history entry, e.g.
// {"images": []ImageRef{...}}. A node returns it as one extra value after its
// declared outputs.
type UI map[string]any

// ImageRef names a file written by SaveImage or PreviewImage, as the
// frontend fetches it through /view.
type ImageRef struct {
	Filename  string `json:"filename"`
	Subfolder string `json:"subfolder"`
	// Type is "output", "temp" or "input".
	Type string `json:"type"`
}

// SplitUI separates a Run result into the n declared outputs and the
// optional trailing UI value. It fails when the count does not fit.
func SplitUI(out []any, n int) ([]any, UI, error) {
	switch {
	case len(out) == n:
		return out, nil, nil
	case len(out) == n+1:
		ui, ok := out[n].(UI)
		if !ok {
			return nil, nil, fmt.Errorf("nodes: value %d of %d is %T, want nodes.UI", n, len(out), out[n])
		}
		return out[:n], ui, nil
	}
	return nil, nil, fmt.Errorf("nodes: node returned %d values for %d outputs", len(out), n)
}
