package folders

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// comfyExample follows the layout of ComfyUI's extra_model_paths.yaml.example.
const comfyExample = `#Rename this to extra_model_paths.yaml and ComfyUI will load it

#config for a1111 ui
a111:
    base_path: path/to/stable-diffusion-webui/

    checkpoints: models/Stable-diffusion
    configs: models/Stable-diffusion
    vae: models/VAE
    loras: |
         models/Lora
         models/LyCORIS
    upscale_models: |
                  models/ESRGAN
                  models/RealESRGAN
    embeddings: embeddings # trailing comment
    controlnet: models/ControlNet

#comfyui:
#     base_path: path/to/comfyui/
#     checkpoints: models/checkpoints/

other:
  is_default: true
  "checkpoints": "/abs/ckpt # not a comment"
  unet: 'rel/it''s'
  clip: |-
    one
    # not a comment inside a block
empty:
# only comments
`

func TestParseExtraModelPaths(t *testing.T) {
	got, err := ParseExtraModelPaths([]byte(comfyExample))
	if err != nil {
		t.Fatal(err)
	}
	want := []ExtraSection{
		{Name: "a111", BasePath: "path/to/stable-diffusion-webui/", Entries: []ExtraEntry{
			{"checkpoints", []string{"models/Stable-diffusion"}},
			{"configs", []string{"models/Stable-diffusion"}},
			{"vae", []string{"models/VAE"}},
			{"loras", []string{"models/Lora", "models/LyCORIS"}},
			{"upscale_models", []string{"models/ESRGAN", "models/RealESRGAN"}},
			{"embeddings", []string{"embeddings"}},
			{"controlnet", []string{"models/ControlNet"}},
		}},
		{Name: "other", IsDefault: true, Entries: []ExtraEntry{
			{"checkpoints", []string{"/abs/ckpt # not a comment"}},
			{"unet", []string{"rel/it's"}},
			{"clip", []string{"one", "# not a comment inside a block"}},
		}},
		{Name: "empty"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestParseExtraModelPathsErrors(t *testing.T) {
	tests := map[string]string{
		"list":        "a:\n  checkpoints:\n    - x\n",
		"flow":        "a:\n  checkpoints: [x, y]\n",
		"no colon":    "a:\n  checkpoints x\n",
		"top scalar":  "a: b\n",
		"orphan":      "  checkpoints: x\n",
		"indent":      "a:\n  checkpoints: x\n    vae: y\n",
		"bad bool":    "a:\n  is_default: maybe\n",
		"tab":         "a:\n\tcheckpoints: x\n",
		"quote":       "a:\n  checkpoints: \"x\n",
		"block chomp": "a:\n  checkpoints: |2\n    x\n",
	}
	for name, in := range tests {
		if _, err := ParseExtraModelPaths([]byte(in)); err == nil || !strings.Contains(err.Error(), "line ") {
			t.Errorf("%s: err = %v, want a line-numbered error", name, err)
		}
	}
}

func TestLoadExtraModelPaths(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SUMI_TEST_MODELS", "/env/models")
	yaml := "s1:\n  base_path: webui\n  checkpoints: models/sd\n  loras: |\n    a\n    /abs/b\n" +
		"s2:\n  is_default: true\n  checkpoints: first\n  vae: /abs/vae\n" +
		"s3:\n  base_path: $SUMI_TEST_MODELS\n  mykind: x\n"
	file := filepath.Join(dir, "extra_model_paths.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newFolders(t, Config{Base: "/base"})
	if err := f.LoadExtraModelPaths(file); err != nil {
		t.Fatal(err)
	}
	check := func(kind string, want ...string) {
		t.Helper()
		got, err := f.ModelDirs(kind)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s dirs = %v, %v; want %v", kind, got, err, want)
		}
	}
	check("checkpoints", filepath.Join(dir, "first"), "/base/models/checkpoints", filepath.Join(dir, "webui/models/sd"))
	check("loras", "/base/models/loras", filepath.Join(dir, "webui/a"), "/abs/b")
	check("vae", "/abs/vae", "/base/models/vae")
	check("mykind", "/env/models/x")
	if err := f.LoadExtraModelPaths(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Errorf("missing file: no error")
	}
}
