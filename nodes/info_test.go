package nodes

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

func noRun(context.Context, Args, Progress) ([]any, error) { return nil, nil }

var samplers = []string{"euler", "euler_cfg_pp", "euler_ancestral", "euler_ancestral_cfg_pp", "heun", "heunpp2",
	"exp_heun_2_x0", "exp_heun_2_x0_sde", "dpm_2", "dpm_2_ancestral", "lms", "dpm_fast", "dpm_adaptive",
	"dpmpp_2s_ancestral", "dpmpp_2s_ancestral_cfg_pp", "dpmpp_sde", "dpmpp_sde_gpu", "dpmpp_2m",
	"dpmpp_2m_cfg_pp", "dpmpp_2m_sde", "dpmpp_2m_sde_gpu", "dpmpp_2m_sde_heun", "dpmpp_2m_sde_heun_gpu",
	"dpmpp_3m_sde", "dpmpp_3m_sde_gpu", "ddpm", "lcm", "ipndm", "ipndm_v", "deis", "res_multistep",
	"res_multistep_cfg_pp", "res_multistep_ancestral", "res_multistep_ancestral_cfg_pp",
	"gradient_estimation", "gradient_estimation_cfg_pp", "er_sde", "seeds_2", "seeds_3", "sa_solver",
	"sa_solver_pece", "ddim", "uni_pc", "uni_pc_bh2"}

// testSpecs declares a few core nodes the way nodes/builtin and the model
// nodes will, to check the /object_info shape against the recording.
func testSpecs() []Spec {
	return []Spec{
		{
			Name: "EmptyLatentImage", DisplayName: "Empty Latent Image", Category: "latent",
			Description: "Create a new batch of empty latent images to be denoised via sampling.",
			Inputs: []Input{
				Int("width", 512).Range(16, MaxResolution).Step(8).Tooltip("The width of the latent images in pixels."),
				Int("height", 512).Range(16, MaxResolution).Step(8).Tooltip("The height of the latent images in pixels."),
				Int("batch_size", 1).Range(1, 4096).Tooltip("The number of latent images in the batch."),
			},
			Outputs: []Output{{Type: TypeLatent, Tooltip: "The empty latent image batch."}},
			Run:     noRun,
		},
		{
			Name: "SaveImage", DisplayName: "Save Image", Category: "image", OutputNode: true,
			Description: "Saves the input images to your ComfyUI output directory.",
			Inputs: []Input{
				Socket("images", TypeImage).Tooltip("The images to save."),
				String("filename_prefix", "ComfyUI").Tooltip("The prefix for the file to save. This may include formatting information such as %date:yyyy-MM-dd% or %Empty Latent Image.width% to include values from nodes."),
				Hidden("prompt", HiddenPrompt),
				Hidden("extra_pnginfo", HiddenExtraPNGInfo),
			},
			Run: noRun,
		},
		{
			Name: "KSampler", Category: "sampling",
			Description: "Uses the provided model, positive and negative conditioning to denoise the latent image.",
			Inputs: []Input{
				Socket("model", TypeModel).Tooltip("The model used for denoising the input latent."),
				Int("seed", 0).Range(0, MaxSeed).ControlAfterGenerate().Tooltip("The random seed used for creating the noise."),
				Int("steps", 20).Range(1, 10000).Tooltip("The number of steps used in the denoising process."),
				Float("cfg", 8).Range(0, 100).Step(0.1).Round(0.01).Tooltip("The Classifier-Free Guidance scale balances creativity and adherence to the prompt. Higher values result in images more closely matching the prompt however too high values will negatively impact quality."),
				ComboOf("sampler_name", samplers...).Tooltip("The algorithm used when sampling, this can affect the quality, speed, and style of the generated output."),
				ComboOf("scheduler", "simple", "sgm_uniform", "karras", "exponential", "ddim_uniform", "beta", "normal", "linear_quadratic", "kl_optimal").Tooltip("The scheduler controls how noise is gradually removed to form the image."),
				Socket("positive", TypeConditioning).Tooltip("The conditioning describing the attributes you want to include in the image."),
				Socket("negative", TypeConditioning).Tooltip("The conditioning describing the attributes you want to exclude from the image."),
				Socket("latent_image", TypeLatent).Tooltip("The latent image to denoise."),
				Float("denoise", 1).Range(0, 1).Step(0.01).Tooltip("The amount of denoising applied, lower values will maintain the structure of the initial image allowing for image to image sampling."),
			},
			Outputs: []Output{{Type: TypeLatent, Tooltip: "The denoised latent."}},
			Run:     noRun,
		},
		{
			Name: "LoadImage", DisplayName: "Load Image", Category: "image",
			Inputs:  []Input{Combo("image", func() []string { return []string{"example.png"} }).ImageUpload()},
			Outputs: []Output{{Type: TypeImage}, {Type: TypeMask}},
			Run:     noRun,
		},
		{
			Name: "CLIPTextEncode", DisplayName: "CLIP Text Encode (Prompt)", Category: "conditioning",
			Description: "Encodes a text prompt using a CLIP model into an embedding that can be used to guide the diffusion model towards generating specific images.",
			Inputs: []Input{
				String("text", "").Multiline().DynamicPrompts().Tooltip("The text to be encoded."),
				Socket("clip", TypeClip).Tooltip("The CLIP model used for encoding the text."),
			},
			Outputs: []Output{{Type: TypeConditioning, Tooltip: "A conditioning containing the embedded text used to guide the diffusion model."}},
			Run:     noRun,
		},
		{
			Name: "EmptyImage", Category: "image",
			Inputs: []Input{
				Int("width", 512).Range(1, MaxResolution).Step(1),
				Int("height", 512).Range(1, MaxResolution).Step(1),
				Int("batch_size", 1).Range(1, 4096),
				Int("color", 0).Range(0, 0xFFFFFF).Step(1).Display("color"),
			},
			Outputs: []Output{{Type: TypeImage}},
			Run:     noRun,
		},
	}
}

func loadCoreInfo(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	b, err := os.ReadFile("../testdata/protocol/object_info_core.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestInfoMatchesRecordedObjectInfo(t *testing.T) {
	want := loadCoreInfo(t)
	for _, s := range testSpecs() {
		t.Run(s.Name, func(t *testing.T) {
			got, err := json.Marshal(s.Info())
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatalf("invalid JSON %s: %v", got, err)
			}
			if err := json.Unmarshal(want[s.Name], &w); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("entry differs\n got %s\nwant %s", got, want[s.Name])
			}
		})
	}
}

func TestSeedMaxIsExact(t *testing.T) {
	b, _ := json.Marshal(testSpecs()[2].Info())
	if !strings.Contains(string(b), `"max":18446744073709551615`) {
		t.Errorf("seed max not written exactly: %s", b)
	}
	if !strings.Contains(string(b), `"default":8.0`) {
		t.Errorf("FLOAT default not written as a float: %s", b)
	}
}

func TestObjectInfoKeepsRegistrationOrder(t *testing.T) {
	r := NewRegistry()
	for _, s := range testSpecs() {
		r.Register(s)
	}
	b, err := json.Marshal(r.ObjectInfo())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	if len(m) != len(testSpecs()) {
		t.Fatalf("got %d entries", len(m))
	}
	if i, j := strings.Index(string(b), `"EmptyLatentImage"`), strings.Index(string(b), `"EmptyImage"`); i < 0 || j < i {
		t.Errorf("registration order lost")
	}
}

func TestConfigAlwaysHasOptions(t *testing.T) {
	tests := []struct {
		in   Input
		want string
	}{
		{Socket("image", TypeImage), `["IMAGE",{}]`},
		{ComboOf("crop", "disabled", "center"), `[["disabled","center"],{}]`},
		{Int("steps", 20).Range(1, 10000), `["INT",{"default":20,"min":1,"max":10000}]`},
	}
	for _, tc := range tests {
		if got := string(tc.in.Config()); got != tc.want {
			t.Errorf("%s: got %s want %s", tc.in.Name, got, tc.want)
		}
	}
}
