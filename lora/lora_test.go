package lora

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sumi/safetensors"
	"sumi/tensor"
)

const (
	ckptPath = "../testdata/tiny-sdxl/tiny-sdxl-A.safetensors"
	loraPath = "../testdata/tiny-sdxl/cases/loras/tiny-lora-A.safetensors"
	readme   = "../testdata/tiny-sdxl/cases/README.md"
)

// checkpointShapes reads every tensor shape of the tiny checkpoint.
func checkpointShapes(t *testing.T) map[string][]int {
	t.Helper()
	f, err := safetensors.Open(ckptPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	shapes := map[string][]int{}
	for _, ti := range f.Tensors() {
		s := make([]int, len(ti.Shape))
		for i, d := range ti.Shape {
			s[i] = int(d)
		}
		shapes[ti.Name] = s
	}
	return shapes
}

// patchedWeights parses the README's table of weights ComfyUI patched for
// tiny-lora-A: "checkpoint key" or "checkpoint key rows a:b".
func patchedWeights(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(readme)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	row := regexp.MustCompile("^\\| `(?:diffusion_model|clip_[lg])\\.[^`]*` \\| `([^`]*)`(?: rows (\\d+):(\\d+))? \\|$")
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := row.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		s := m[1]
		if m[2] != "" {
			s += " rows " + m[2] + ":" + m[3]
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		t.Fatal("no patched-weight table in the cases README")
	}
	slices.Sort(out)
	return out
}

func describe(ps ...[]Patch) []string {
	var out []string
	for _, list := range ps {
		for _, p := range list {
			s := p.Key
			if p.Rows[1] > 0 {
				s += fmt.Sprintf(" rows %d:%d", p.Rows[0], p.Rows[1])
			}
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// TestTinyLoRAMatchesComfyUIKeys checks that the fixture LoRA patches
// exactly the weights ComfyUI patched (README table), with no key left over.
func TestTinyLoRAMatchesComfyUIKeys(t *testing.T) {
	f, err := Open(loraPath)
	if err != nil {
		t.Fatal(err)
	}
	set, err := f.Patches(NewKeyMap(checkpointShapes(t)), 0.8, 0.6)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Unmatched) != 0 {
		t.Errorf("unmatched keys: %v", set.Unmatched)
	}
	got, want := describe(set.UNet, set.Text), patchedWeights(t)
	if !slices.Equal(got, want) {
		t.Errorf("patched weights:\n got  %v\n want %v", got, want)
	}
	for _, p := range set.UNet {
		if want := float32(0.8 * 2.0 / 4); p.Scale != want {
			t.Errorf("%s: unet scale %g, want %g", p.Source, p.Scale, want)
		}
	}
	for _, p := range set.Text {
		if want := float32(0.6 * 2.0 / 4); p.Scale != want {
			t.Errorf("%s: text scale %g, want %g", p.Source, p.Scale, want)
		}
	}
}

func TestToDiffusers(t *testing.T) {
	tests := []struct{ sgm, want string }{
		{"input_blocks.0.0", "conv_in"},
		{"input_blocks.1.0.in_layers.2", "down_blocks.0.resnets.0.conv1"},
		{"input_blocks.2.0.skip_connection", "down_blocks.0.resnets.1.conv_shortcut"},
		{"input_blocks.3.0.op", "down_blocks.0.downsamplers.0.conv"},
		{"input_blocks.5.1.transformer_blocks.0.attn1.to_q", "down_blocks.1.attentions.1.transformer_blocks.0.attn1.to_q"},
		{"middle_block.0.emb_layers.1", "mid_block.resnets.0.time_emb_proj"},
		{"middle_block.1.proj_in", "mid_block.attentions.0.proj_in"},
		{"middle_block.2.out_layers.3", "mid_block.resnets.1.conv2"},
		{"output_blocks.2.1.proj_out", "up_blocks.0.attentions.2.proj_out"},
		{"output_blocks.2.2.conv", "up_blocks.0.upsamplers.0.conv"},
		{"output_blocks.5.1.conv", "up_blocks.1.upsamplers.0.conv"},
		{"output_blocks.4.0.out_layers.0", "up_blocks.1.resnets.1.norm2"},
		{"time_embed.2", "time_embedding.linear_2"},
		{"label_emb.0.0", "add_embedding.linear_1"},
		{"out.2", "conv_out"},
		{"input_blocks.1.0.bogus", ""},
		{"nothing", ""},
	}
	for _, tc := range tests {
		t.Run(tc.sgm, func(t *testing.T) {
			got, ok := toDiffusers(tc.sgm, 2)
			if got != tc.want || ok != (tc.want != "") {
				t.Errorf("toDiffusers(%q) = %q, %v; want %q", tc.sgm, got, ok, tc.want)
			}
		})
	}
}

func TestKeySpellings(t *testing.T) {
	km := NewKeyMap(checkpointShapes(t))
	const attn = "model.diffusion_model.input_blocks.5.1.transformer_blocks.0.attn1."
	tests := []struct {
		lora, key string
		rows      [2]int
	}{
		{"lora_unet_input_blocks_5_1_transformer_blocks_0_attn1_to_q", attn + "to_q.weight", [2]int{}},
		{"lora_unet_down_blocks_1_attentions_1_transformer_blocks_0_attn1_to_q", attn + "to_q.weight", [2]int{}},
		{"lycoris_down_blocks_1_attentions_1_transformer_blocks_0_attn1_to_k", attn + "to_k.weight", [2]int{}},
		{"unet.down_blocks.1.attentions.1.transformer_blocks.0.attn1.processor.to_out", attn + "to_out.0.weight", [2]int{}},
		{"down_blocks.1.attentions.1.transformer_blocks.0.attn1.processor.to_v", attn + "to_v.weight", [2]int{}},
		{"diffusion_model.input_blocks.5.1.transformer_blocks.0.attn1.to_q", attn + "to_q.weight", [2]int{}},
		{"lora_te_text_model_encoder_layers_1_mlp_fc2", "conditioner.embedders.0.transformer.text_model.encoder.layers.1.mlp.fc2.weight", [2]int{}},
		{"text_encoder.text_model.encoder.layers.0.self_attn.q_proj", "conditioner.embedders.0.transformer.text_model.encoder.layers.0.self_attn.q_proj.weight", [2]int{}},
		{"text_encoder_2.text_model.encoder.layers.1.self_attn.v_proj", "conditioner.embedders.1.model.transformer.resblocks.1.attn.in_proj_weight", [2]int{256, 384}},
		{"lora_te2_text_model_encoder_layers_2_mlp_fc1", "conditioner.embedders.1.model.transformer.resblocks.2.mlp.c_fc.weight", [2]int{}},
		{"lora_te2_text_projection", "conditioner.embedders.1.model.text_projection", [2]int{}},
	}
	for _, tc := range tests {
		t.Run(tc.lora, func(t *testing.T) {
			got, ok := km.Lookup(tc.lora)
			if !ok || got.Key != tc.key || got.Rows != tc.rows {
				t.Errorf("Lookup = %+v, %v; want %s rows %v", got, ok, tc.key, tc.rows)
			}
		})
	}
	if _, ok := km.Lookup("lora_unet_single_transformer_blocks_0_attn_to_q"); ok {
		t.Error("a Flux key matched an SDXL checkpoint")
	}
}

// writeLoRA writes a LoRA file from name -> (shape, values).
func writeLoRA(t *testing.T, tensors map[string]*tensor.Tensor) string {
	t.Helper()
	var w safetensors.Writer
	names := make([]string, 0, len(tensors))
	for n := range tensors {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		tt := tensors[n]
		shape := make([]int64, len(tt.Shape))
		for i, d := range tt.Shape {
			shape[i] = int64(d)
		}
		w.AddFloat32(n, shape, tt.Data)
	}
	p := filepath.Join(t.TempDir(), "l.safetensors")
	if err := w.WriteFile(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func seq(n int, start, step float32) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = start + float32(i)*step
	}
	return out
}

// TestApplyMatchesFloat64 checks the merge against a float64 product, the
// scale with and without alpha, row patches and the B/A spelling.
func TestApplyMatchesFloat64(t *testing.T) {
	shapes := map[string][]int{
		"conditioner.embedders.1.model.transformer.resblocks.0.attn.in_proj_weight": {6, 3},
		"model.diffusion_model.out.2.weight":                                        {4, 3, 1, 1},
	}
	path := writeLoRA(t, map[string]*tensor.Tensor{
		"lora_te2_text_model_encoder_layers_0_self_attn_k_proj.lora_up.weight":   tensor.FromData(seq(4, 0.5, 0.25), 2, 2),
		"lora_te2_text_model_encoder_layers_0_self_attn_k_proj.lora_down.weight": tensor.FromData(seq(6, -1, 0.3), 2, 3),
		"lora_te2_text_model_encoder_layers_0_self_attn_k_proj.alpha":            tensor.FromData([]float32{3}),
		"lora_unet_out_2.lora_B.weight":                                          tensor.FromData(seq(4, 1, 1), 4, 1, 1, 1),
		"lora_unet_out_2.lora_A.weight":                                          tensor.FromData(seq(3, 2, -1), 1, 3, 1, 1),
	})
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	set, err := f.Patches(NewKeyMap(shapes), 0.5, -2)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Text) != 1 || len(set.UNet) != 1 {
		t.Fatalf("got %d text and %d unet patches", len(set.Text), len(set.UNet))
	}
	check := func(p Patch, shape []int, lo, hi int, scale float64) {
		t.Helper()
		w := seq(tensor.NumElements(shape), 0, 0.1)
		orig := slices.Clone(w)
		if err := p.Apply(w, shape); err != nil {
			t.Fatal(err)
		}
		rowLen := len(w) / shape[0]
		r := p.Up.Shape[1]
		for i := range w {
			want := float64(orig[i])
			if row := i / rowLen; row >= lo && row < hi {
				ri, c := row-lo, i%rowLen
				var s float64
				for k := 0; k < r; k++ {
					s += float64(p.Up.Data[ri*r+k]) * float64(p.Down.Data[k*rowLen+c])
				}
				want += scale * s
			}
			if math.Abs(float64(w[i])-want) > 1e-5*math.Max(1, math.Abs(want)) {
				t.Errorf("%s[%d] = %g, want %g", p.Key, i, w[i], want)
			}
		}
	}
	check(set.Text[0], []int{6, 3}, 2, 4, -2*3.0/2)
	check(set.UNet[0], []int{4, 3, 1, 1}, 0, 4, 0.5) // no alpha: scale = strength
}

func TestStrengthZeroSkipsSide(t *testing.T) {
	f, err := Open(loraPath)
	if err != nil {
		t.Fatal(err)
	}
	set, err := f.Patches(NewKeyMap(checkpointShapes(t)), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Text) != 0 || len(set.UNet) != 10 {
		t.Errorf("strength_clip 0: %d text, %d unet patches; want 0 and 10", len(set.Text), len(set.UNet))
	}
}

func TestErrors(t *testing.T) {
	shapes := checkpointShapes(t)
	foreign := writeLoRA(t, map[string]*tensor.Tensor{
		"lora_transformer_single_blocks_0_attn_to_q.lora_up.weight":   tensor.New(8, 2),
		"lora_transformer_single_blocks_0_attn_to_q.lora_down.weight": tensor.New(2, 8),
	})
	f, err := Open(foreign)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Patches(NewKeyMap(shapes), 1, 1); !errors.Is(err, ErrNoMatch) {
		t.Errorf("foreign LoRA: err = %v, want ErrNoMatch", err)
	}
	wrongShape := writeLoRA(t, map[string]*tensor.Tensor{
		"lora_unet_input_blocks_4_1_proj_in.lora_up.weight":   tensor.New(7, 2),
		"lora_unet_input_blocks_4_1_proj_in.lora_down.weight": tensor.New(2, 7),
	})
	if f, err = Open(wrongShape); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Patches(NewKeyMap(shapes), 1, 1); !errors.Is(err, ErrNoMatch) {
		t.Errorf("mis-shaped LoRA: err = %v, want ErrNoMatch", err)
	}
	notLoRA := writeLoRA(t, map[string]*tensor.Tensor{"model.diffusion_model.out.2.weight": tensor.New(2, 2)})
	if _, err := Open(notLoRA); !errors.Is(err, ErrFormat) {
		t.Errorf("checkpoint as LoRA: err = %v, want ErrFormat", err)
	}
	bad := writeLoRA(t, map[string]*tensor.Tensor{
		"x.lora_up.weight":   tensor.New(4, 3),
		"x.lora_down.weight": tensor.New(2, 4),
	})
	if _, err := Open(bad); err == nil || !strings.Contains(err.Error(), "do not multiply") {
		t.Errorf("mismatched factors: err = %v", err)
	}
}

func TestFoldMid(t *testing.T) {
	down := tensor.FromData(seq(6, 1, 1), 2, 3, 1, 1)
	mid := tensor.FromData(seq(2*2*2*2, -1, 0.5), 2, 2, 2, 2)
	got, err := foldMid(down, mid)
	if err != nil {
		t.Fatal(err)
	}
	for a := 0; a < 2; a++ {
		for i := 0; i < 3; i++ {
			for p := 0; p < 4; p++ {
				var want float32
				for b := 0; b < 2; b++ {
					want += down.Data[b*3+i] * mid.Data[(a*2+b)*4+p]
				}
				if v := got.Data[(a*3+i)*4+p]; v != want {
					t.Fatalf("fold[%d,%d,%d] = %g, want %g", a, i, p, v, want)
				}
			}
		}
	}
}

func TestFingerprint(t *testing.T) {
	p := Patch{Key: "k", Up: tensor.FromData([]float32{1, 2}, 2, 1), Down: tensor.FromData([]float32{3}, 1, 1), Scale: 0.5}
	q := p
	q.Scale = 0.25
	if Fingerprint([]Patch{p}) == Fingerprint([]Patch{q}) || Fingerprint([]Patch{p}) != Fingerprint([]Patch{p}) {
		t.Error("fingerprint does not follow the scale")
	}
	if Fingerprint(nil) != "" {
		t.Error("empty list has a fingerprint")
	}
}

func FuzzParse(f *testing.F) {
	raw, err := os.ReadFile(loraPath)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Add([]byte{})
	f.Add([]byte("\x10\x00\x00\x00\x00\x00\x00\x00{}              "))
	f.Fuzz(func(t *testing.T, data []byte) {
		lf, err := Parse("fuzz", data)
		if err != nil {
			return
		}
		for _, a := range lf.Adapters {
			if a.Up.Shape[1] != a.Down.Shape[0] {
				t.Fatalf("%s: unchecked factors %v %v", a.Name, a.Up.Shape, a.Down.Shape)
			}
		}
	})
}
