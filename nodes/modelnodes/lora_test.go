package modelnodes

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"sumi/executor"
	"sumi/internal/testutil"
	"sumi/lora"
	"sumi/safetensors"
	"sumi/tensor"
)

// testLoRA describes the LoRA the merge test writes: kohya SGM and
// diffusers UNet names, a 3×3 conv, CLIP-L and the three thirds of CLIP-G's
// fused q/k/v projection, with and without alpha.
var testLoRA = []struct {
	name     string
	out, in  int
	kernel   int // 0 for a linear layer
	alpha    float32
	hasAlpha bool
}{
	{"lora_unet_input_blocks_4_1_transformer_blocks_0_attn2_to_k", 64, 192, 0, 4, true},
	{"lora_unet_down_blocks_1_attentions_1_proj_in", 64, 64, 0, 0, false},
	{"lora_unet_output_blocks_3_0_in_layers_2", 32, 96, 3, 1, true},
	{"lora_unet_middle_block_1_transformer_blocks_0_ff_net_2", 64, 256, 0, 8, true},
	{"lora_te1_text_model_encoder_layers_1_self_attn_v_proj", 64, 64, 0, 2, true},
	{"lora_te2_text_model_encoder_layers_0_self_attn_q_proj", 128, 128, 0, 2, true},
	{"lora_te2_text_model_encoder_layers_1_self_attn_k_proj", 128, 128, 0, 0, false},
	{"lora_te2_text_model_encoder_layers_1_self_attn_v_proj", 128, 128, 0, 3, true},
	{"lora_te2_text_model_encoder_layers_1_mlp_fc1", 512, 128, 0, 2, true},
}

// writeTestLoRA writes the LoRA with seeded random rank-3 factors.
func writeTestLoRA(t *testing.T, path string) {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 8))
	randn := func(n int, scale float32) []float32 {
		out := make([]float32, n)
		for i := range out {
			out[i] = float32(r.NormFloat64()) * scale
		}
		return out
	}
	const rank = 3
	var w safetensors.Writer
	for _, l := range testLoRA {
		down := []int64{rank, int64(l.in)}
		up := []int64{int64(l.out), rank}
		n := l.in
		if l.kernel > 0 {
			down = append(down, int64(l.kernel), int64(l.kernel))
			up = append(up, 1, 1)
			n *= l.kernel * l.kernel
		}
		w.AddFloat32(l.name+".lora_down.weight", down, randn(rank*n, 0.3))
		w.AddFloat32(l.name+".lora_up.weight", up, randn(l.out*rank, 0.3))
		if l.hasAlpha {
			w.AddFloat32(l.name+".alpha", []int64{}, []float32{l.alpha})
		}
	}
	if err := w.WriteFile(path); err != nil {
		t.Fatal(err)
	}
}

// loraPrompt is a txt2img prompt on ckpt, with a LoraLoader when lora is set.
func loraPrompt(ckpt, loraName string, sModel, sClip float64) []byte {
	model, clip := `["1", 0]`, `["1", 1]`
	loraNode := ""
	if loraName != "" {
		loraNode = fmt.Sprintf(`"20": {"class_type": "LoraLoader", "inputs": {"model": ["1", 0], "clip": ["1", 1],
			"lora_name": %q, "strength_model": %g, "strength_clip": %g}},`, loraName, sModel, sClip)
		model, clip = `["20", 0]`, `["20", 1]`
	}
	return fmt.Appendf(nil, `{
		"1": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": %q}}, %s
		"2": {"class_type": "CLIPTextEncode", "inputs": {"text": "1girl, solo, red hair", "clip": %s}},
		"3": {"class_type": "CLIPTextEncode", "inputs": {"text": "lowres, blurry", "clip": %s}},
		"4": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
		"5": {"class_type": "KSampler", "inputs": {"model": %s, "seed": 3, "steps": 3, "cfg": 5.0,
			"sampler_name": "euler", "scheduler": "normal", "positive": ["2", 0], "negative": ["3", 0],
			"latent_image": ["4", 0], "denoise": 1.0}},
		"6": {"class_type": "VAEDecode", "inputs": {"samples": ["5", 0], "vae": ["1", 2]}},
		"7": {"class_type": "SaveImage", "inputs": {"images": ["6", 0], "filename_prefix": "lora"}}}`,
		ckpt, loraNode, clip, clip, model)
}

// TestLoRAEqualsMergedCheckpoint is the LoRA test: a LoRA written
// here, applied by LoraLoader (patched weights merged in Go when the
// sessions are built, see sdxl.PatchForm), gives the latent that the same
// prompt gives on a checkpoint with the deltas merged by hand.
func TestLoRAEqualsMergedCheckpoint(t *testing.T) {
	f := baseDir(t)
	loraPath := filepath.Join(f.ModelsDir(), "loras", "test-lora.safetensors")
	writeTestLoRA(t, loraPath)
	const sModel, sClip = 0.7, -0.4

	lf, err := lora.Open(loraPath)
	if err != nil {
		t.Fatal(err)
	}
	ckpt, err := safetensors.Open(fixtures + ckptName)
	if err != nil {
		t.Fatal(err)
	}
	shapes := map[string][]int{}
	for _, ti := range ckpt.Tensors() {
		s := make([]int, len(ti.Shape))
		for i, d := range ti.Shape {
			s[i] = int(d)
		}
		shapes[ti.Name] = s
	}
	ckpt.Close()
	set, err := lf.Patches(lora.NewKeyMap(shapes), sModel, sClip)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Unmatched) != 0 || len(set.UNet)+len(set.Text) != len(testLoRA) {
		t.Fatalf("unmatched %v; %d+%d patches for %d adapters", set.Unmatched, len(set.UNet), len(set.Text), len(testLoRA))
	}
	merged := filepath.Join(f.ModelsDir(), "checkpoints", "merged.safetensors")
	testutil.WriteMerged(t, fixtures+ckptName, merged, append(append([]lora.Patch{}, set.UNet...), set.Text...))

	cache := NewCache(CacheOptions{})
	defer cache.Close()
	latent := func(prompt []byte) *tensor.Tensor {
		reg, rec := newRegistry(t, f, cache)
		if _, err := runPrompt(t, reg, prompt, nil); err != nil {
			t.Fatal(err)
		}
		return rec.latents["5"]
	}
	withLoRA := latent(loraPrompt(ckptName, "test-lora.safetensors", sModel, sClip))
	byHand := latent(loraPrompt("merged.safetensors", "", 0, 0))
	plain := latent(loraPrompt(ckptName, "", 0, 0))
	e := relErr(withLoRA, byHand)
	t.Logf("LoRA vs merged checkpoint: relative latent error %.3g; LoRA vs no LoRA: %.3g", e, relErr(withLoRA, plain))
	if e > 1e-5 {
		t.Errorf("LoRA and merged checkpoint differ: relative error %.3g > 1e-5", e)
	}
	if relErr(withLoRA, plain) < 1e-2 {
		t.Error("the LoRA hardly changes the result; the test proves nothing")
	}
}

// TestBadInputsAreNodeErrors: an unknown checkpoint fails validation on
// its node, a LoRA for another architecture and a latent the UNet cannot
// take fail execution on theirs.
func TestBadInputsAreNodeErrors(t *testing.T) {
	f := baseDir(t)
	var w safetensors.Writer // a LoRA with Flux-style keys
	w.AddFloat32("lora_transformer_single_transformer_blocks_0_attn_to_q.lora_down.weight", []int64{2, 8}, make([]float32, 16))
	w.AddFloat32("lora_transformer_single_transformer_blocks_0_attn_to_q.lora_up.weight", []int64{8, 2}, make([]float32, 16))
	if err := w.WriteFile(filepath.Join(f.ModelsDir(), "loras", "flux.safetensors")); err != nil {
		t.Fatal(err)
	}
	reg, _ := newRegistry(t, f, sharedCache())
	var odd map[string]any
	if err := json.Unmarshal(loraPrompt(ckptName, "", 0, 0), &odd); err != nil {
		t.Fatal(err)
	}
	odd["4"].(map[string]any)["inputs"].(map[string]any)["width"] = 56 // 7×7 latent
	odd["4"].(map[string]any)["inputs"].(map[string]any)["height"] = 56
	oddPrompt, _ := json.Marshal(odd)

	t.Run("unknown checkpoint", func(t *testing.T) {
		_, err := runPrompt(t, reg, loraPrompt("nope.safetensors", "", 0, 0), nil)
		b, _ := json.Marshal(err)
		if err == nil || !strings.Contains(string(b), `"1":`) || !strings.Contains(string(b), "value_not_in_list") {
			t.Errorf("err = %v (%s), want a value_not_in_list node error on node 1", err, b)
		}
	})
	for _, tc := range []struct {
		name, node string
		prompt     []byte
		want       error
	}{
		{"lora for another architecture", "20", loraPrompt(ckptName, "flux.safetensors", 1, 1), lora.ErrNoMatch},
		{"7x7 latent", "5", oddPrompt, ErrLatentSize},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runPrompt(t, reg, tc.prompt, nil)
			var ne *executor.NodeError
			if !errors.As(err, &ne) || ne.Data.NodeID != tc.node || !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want a node error on %s wrapping %v", err, tc.node, tc.want)
			}
			t.Logf("node %s: %s", ne.Data.NodeID, ne.Data.ExceptionMessage)
		})
	}
}
