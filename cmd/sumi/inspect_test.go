package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const tinyDir = "../../testdata/tiny-sdxl/"

// TestInspectFixtures runs `sumi inspect` on both fixture checkpoints and
// checks every printed field against the configuration ComfyUI recorded in
// model_info.json.
func TestInspectFixtures(t *testing.T) {
	raw, err := os.ReadFile(tinyDir + "model_info.json")
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Unet   map[string]any `json:"detected_unet_config"`
		CLIPL  map[string]any `json:"clip_l"`
		CLIPG  map[string]any `json:"clip_g"`
		VAE    map[string]any `json:"vae_ddconfig"`
		Latent map[string]any `json:"latent_format"`
		Multi  struct {
			Unet map[string]any `json:"detected_unet_config"`
		} `json:"unet_multihead"`
	}
	if err := json.Unmarshal(raw, &info); err != nil {
		t.Fatal(err)
	}
	unetKeys := []string{"in_channels", "out_channels", "model_channels", "channel_mult", "num_res_blocks", "transformer_depth",
		"transformer_depth_middle", "transformer_depth_output", "context_dim", "adm_in_channels", "use_linear_in_transformer"}
	clipKeys := []string{"hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "hidden_act", "vocab_size", "max_position_embeddings"}
	vaeKeys := []string{"ch", "ch_mult", "num_res_blocks", "z_channels", "double_z", "in_channels", "out_ch"}
	cases := []struct {
		file  string
		parts map[string]map[string]any
		keys  map[string][]string
	}{
		{"tiny-sdxl-A.safetensors",
			map[string]map[string]any{"unet": info.Unet, "clip_l": info.CLIPL, "clip_g": info.CLIPG, "vae": info.VAE},
			map[string][]string{"unet": unetKeys, "clip_l": clipKeys, "clip_g": clipKeys, "vae": vaeKeys}},
		{"tiny-sdxl-A-unet-multihead.safetensors",
			map[string]map[string]any{"unet": info.Multi.Unet},
			map[string][]string{"unet": unetKeys}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if rc := dispatch([]string{"inspect", tinyDir + tc.file}, &stdout, &stderr); rc != 0 {
				t.Fatalf("rc %d: %s", rc, stderr.String())
			}
			var got map[string]any
			if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, stdout.String())
			}
			if got["architecture"] != "sdxl" || got["file"] != tc.file {
				t.Errorf("architecture %v file %v", got["architecture"], got["file"])
			}
			for part, want := range tc.parts {
				sect, _ := got[part].(map[string]any)
				for _, k := range tc.keys[part] {
					assertJSONEqual(t, part+"."+k, sect[k], want[k])
				}
			}
			for _, absent := range []string{"clip_l", "clip_g", "vae"} {
				if _, want := tc.parts[absent]; !want && got[absent] != nil {
					t.Errorf("%s printed for a unet-only file", absent)
				}
			}
			if v, ok := got["vae"].(map[string]any); ok {
				assertJSONEqual(t, "vae.scale_factor", v["scale_factor"], info.Latent["scale_factor"])
			}
			if u := got["unet"].(map[string]any); u["num_head_channels"] != float64(64) {
				t.Errorf("num_head_channels = %v, want 64", u["num_head_channels"])
			}
		})
	}
}

func assertJSONEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if want == nil {
		t.Fatalf("%s: model_info.json has no value", what)
	}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	if string(gb) != string(wb) {
		t.Errorf("%s = %s, want %s", what, gb, wb)
	}
}

func TestInspectErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.safetensors")
	if err := os.WriteFile(junk, []byte("not a safetensors file at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		rc   int
		msg  string
	}{
		{"no args", []string{"inspect"}, 2, "usage"},
		{"missing file", []string{"inspect", filepath.Join(dir, "nope.safetensors")}, 1, "nope.safetensors"},
		{"junk", []string{"inspect", junk}, 1, "junk.safetensors"},
		{"vae only", []string{"inspect", tinyDir + "goldens/vae.safetensors"}, 1, "no diffusion model"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if rc := dispatch(tc.args, &stdout, &stderr); rc != tc.rc {
				t.Errorf("rc %d, want %d", rc, tc.rc)
			}
			if !strings.Contains(stderr.String(), tc.msg) {
				t.Errorf("stderr %q does not mention %q", stderr.String(), tc.msg)
			}
		})
	}
}
