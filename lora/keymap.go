package lora

import (
	"fmt"
	"strconv"
	"strings"
)

// Part says which network a patch changes; LoraLoader scales them with
// strength_model and strength_clip.
type Part int

// The patchable parts of a checkpoint.
const (
	UNet Part = iota
	Text
)

// Target is the checkpoint weight one LoRA key changes.
type Target struct {
	// Key is the checkpoint tensor name.
	Key string
	// Rows, when Rows[1] > 0, restricts the change to rows Rows[0]..Rows[1]-1
	// of dimension 0 (one of q, k, v in OpenCLIP's fused in_proj_weight).
	Rows [2]int
	// Transpose marks a 2-D weight stored transposed relative to the names
	// LoRAs use (OpenCLIP's text_projection).
	Transpose bool
	// Part is the network the weight belongs to.
	Part Part
	// Shape is the shape of the changed region.
	Shape []int
}

// KeyMap maps the LoRA key spellings ComfyUI accepts to the weights of one
// checkpoint.
type KeyMap struct {
	targets map[string]Target
}

// Checkpoint key prefixes (SGM single-file layout).
const (
	prefixUNet  = "model.diffusion_model."
	prefixCLIPL = "conditioner.embedders.0.transformer.text_model."
	prefixSD15  = "cond_stage_model.transformer.text_model."
	prefixCLIPG = "conditioner.embedders.1.model."
)

// clipSubs are the Hugging Face CLIP layer modules LoRAs adapt, with their
// kohya spelling.
var clipSubs = [][2]string{
	{"self_attn.q_proj", "self_attn_q_proj"}, {"self_attn.k_proj", "self_attn_k_proj"},
	{"self_attn.v_proj", "self_attn_v_proj"}, {"self_attn.out_proj", "self_attn_out_proj"},
	{"mlp.fc1", "mlp_fc1"}, {"mlp.fc2", "mlp_fc2"},
}

// NewKeyMap builds the map for a checkpoint given every tensor's shape.
func NewKeyMap(shapes map[string][]int) *KeyMap {
	km := &KeyMap{targets: map[string]Target{}}
	km.addUNet(shapes)
	km.addCLIPL(shapes)
	km.addCLIPG(shapes)
	return km
}

// Len is the number of LoRA key spellings the map knows.
func (km *KeyMap) Len() int { return len(km.targets) }

// Lookup returns the target of a LoRA base key.
func (km *KeyMap) Lookup(loraKey string) (Target, bool) {
	t, ok := km.targets[loraKey]
	return t, ok
}

func (km *KeyMap) add(t Target, names ...string) {
	for _, n := range names {
		km.targets[n] = t
	}
}

func underscore(s string) string { return strings.ReplaceAll(s, ".", "_") }

func (km *KeyMap) addUNet(shapes map[string][]int) {
	r := numResBlocks(shapes)
	for key, shape := range shapes {
		rest, ok := strings.CutPrefix(key, prefixUNet)
		if !ok {
			continue
		}
		path, ok := strings.CutSuffix(rest, ".weight")
		if !ok {
			continue
		}
		t := Target{Key: key, Part: UNet, Shape: shape}
		km.add(t, "lora_unet_"+underscore(path), "diffusion_model."+path)
		if r == 0 {
			continue
		}
		if d, ok := toDiffusers(path, r); ok {
			// diffusers attention-processor spelling: attn1.processor.to_q,
			// attn1.processor.to_out (no ".0").
			proc := strings.ReplaceAll(d, ".to_", ".processor.to_")
			if strings.HasSuffix(proc, ".to_out.0") {
				proc = proc[:len(proc)-2]
			}
			km.add(t, "lora_unet_"+underscore(d), "lycoris_"+underscore(d), proc, "unet."+proc)
		}
	}
}

func (km *KeyMap) addCLIPL(shapes map[string][]int) {
	for _, prefix := range []string{prefixCLIPL, prefixSD15} {
		for b := 0; ; b++ {
			found := false
			for _, sub := range clipSubs {
				key := fmt.Sprintf("%sencoder.layers.%d.%s.weight", prefix, b, sub[0])
				shape, ok := shapes[key]
				if !ok {
					continue
				}
				found = true
				t := Target{Key: key, Part: Text, Shape: shape}
				kohya := fmt.Sprintf("text_model_encoder_layers_%d_%s", b, sub[1])
				km.add(t, "lora_te_"+kohya, "lora_te1_"+kohya,
					fmt.Sprintf("text_encoder.text_model.encoder.layers.%d.%s", b, sub[0]))
			}
			if !found {
				break
			}
		}
	}
}

// addCLIPG maps the Hugging Face names LoRAs use for bigG onto the OpenCLIP
// layout of SDXL checkpoints; q, k and v are thirds of in_proj_weight.
func (km *KeyMap) addCLIPG(shapes map[string][]int) {
	for b := 0; ; b++ {
		p := fmt.Sprintf("%stransformer.resblocks.%d.", prefixCLIPG, b)
		inProj, ok := shapes[p+"attn.in_proj_weight"]
		if !ok {
			break
		}
		names := func(sub string) []string {
			return []string{fmt.Sprintf("lora_te2_text_model_encoder_layers_%d_%s", b, underscore(sub)),
				fmt.Sprintf("text_encoder_2.text_model.encoder.layers.%d.%s", b, sub)}
		}
		if len(inProj) == 2 && inProj[0]%3 == 0 {
			d := inProj[0] / 3
			for i, sub := range []string{"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"} {
				t := Target{Key: p + "attn.in_proj_weight", Rows: [2]int{i * d, (i + 1) * d}, Part: Text,
					Shape: []int{d, inProj[1]}}
				km.add(t, names(sub)...)
			}
		}
		for _, m := range [][2]string{{"attn.out_proj", "self_attn.out_proj"}, {"mlp.c_fc", "mlp.fc1"}, {"mlp.c_proj", "mlp.fc2"}} {
			if shape, ok := shapes[p+m[0]+".weight"]; ok {
				km.add(Target{Key: p + m[0] + ".weight", Part: Text, Shape: shape}, names(m[1])...)
			}
		}
	}
	if shape, ok := shapes[prefixCLIPG+"text_projection"]; ok && len(shape) == 2 {
		km.add(Target{Key: prefixCLIPG + "text_projection", Transpose: true, Part: Text,
			Shape: []int{shape[1], shape[0]}}, "lora_te2_text_projection")
	}
}

// numResBlocks is the UNet's res blocks per level: the index of the first
// downsampler minus one (0 when the layout is not recognised).
func numResBlocks(shapes map[string][]int) int {
	first := 0
	for key := range shapes {
		rest, ok := strings.CutPrefix(key, prefixUNet+"input_blocks.")
		if !ok || !strings.HasSuffix(rest, ".0.op.weight") {
			continue
		}
		n, err := strconv.Atoi(strings.SplitN(rest, ".", 2)[0])
		if err == nil && (first == 0 || n < first) {
			first = n
		}
	}
	return max(first-1, 0)
}
