package modelnodes

import (
	"context"
	"encoding/json"
	"image"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"sumi/internal/testutil"
	"sumi/model/sdxl"
	"sumi/nodes"
	"sumi/nodes/builtin"
	"sumi/safetensors"
	"sumi/sampling"
	"sumi/tensor"
	"sumi/tokenizer"
)

// pipelineGoldens is goldens/pipeline.json: the settings of ComfyUI's
// text-to-image runs on the tiny checkpoint (issue 7's pipeline goldens).
type pipelineGoldens struct {
	Positive  string  `json:"positive"`
	Negative  string  `json:"negative"`
	Seed      uint64  `json:"seed"`
	Steps     int     `json:"steps"`
	CFG       float64 `json:"cfg"`
	Width     int     `json:"width"`
	Height    int     `json:"height"`
	BatchSize int     `json:"batch_size"`
	Runs      map[string]struct {
		Sampler     string  `json:"sampler_name"`
		Scheduler   string  `json:"scheduler"`
		Denoise     float64 `json:"denoise"`
		StartLatent string  `json:"start_latent"`
	} `json:"runs"`
}

// pipelineTol is the bound for latents and images, relative.
const pipelineTol = 1e-4

// TestPipelineGoldens runs each of ComfyUI's pipeline goldens directly:
// tokenizer, sdxl.EncodeText, sampling.KSampler over the KSampler node's
// model wrapper, sdxl.DecodeVAE, and SaveImage's quantization. Latent and
// image must match within 1e-4 relative (‖a−b‖/‖b‖ and max |a−b| / max
// |b|), the saved pixels within 1 level. The empty start latent is
// EmptyLatentImage's zeros; the denoise 0.5 run starts from the golden
// start_latent.
func TestPipelineGoldens(t *testing.T) {
	var g pipelineGoldens
	data, err := os.ReadFile(fixtures + "goldens/pipeline.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	want := readGoldens(t, fixtures+"goldens/pipeline.safetensors")
	if len(g.Runs) != 4 {
		t.Fatalf("pipeline.json has %d runs, want the issue's 4", len(g.Runs))
	}
	net, err := sharedCache().Open(fixtures+ckptName, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pos, neg := encodePrompt(t, net, g.Positive), encodePrompt(t, net, g.Negative)
	names := make([]string, 0, len(g.Runs))
	for name := range g.Runs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		run := g.Runs[name]
		t.Run(name, func(t *testing.T) {
			start := tensor.New(g.BatchSize, 4, g.Height/8, g.Width/8)
			if run.StartLatent == "start_latent" {
				start = want["start_latent"].t
			}
			in, err := newSamplerInput(net, pos, neg, nodes.Latent{Samples: start}, countSteps(t, g.Steps))
			if err != nil {
				t.Fatal(err)
			}
			latent, err := sampling.KSampler(ctx, in.model, g.Seed, g.Steps, g.CFG, run.Sampler, run.Scheduler,
				in.pos, in.neg, in.latent, run.Denoise, in.opts...)
			if err != nil {
				t.Fatal(err)
			}
			expectRel(t, "latent", latent, want[name+".latent"].t)
			img, err := net.DecodeVAE(ctx, latent)
			if err != nil {
				t.Fatal(err)
			}
			expectRel(t, "image", img, want[name+".image"].t)
			expectPixels(t, saveImage(t, img), want[name+".uint8"])
		})
	}
}

// golden is one tensor of a goldens file: float32 values, or the raw bytes
// of a uint8 tensor.
type golden struct {
	t     *tensor.Tensor
	bytes []byte
	shape []int64
}

func readGoldens(t *testing.T, path string) map[string]golden {
	t.Helper()
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]golden{}
	for _, ti := range f.Tensors() {
		gt := golden{shape: ti.Shape}
		if ti.DType.IsFloat() {
			data, err := f.Float32(ti.Name)
			if err != nil {
				t.Fatal(err)
			}
			gt.t = tensor.FromData(data, testutil.Shape(ti.Shape)...)
		} else {
			raw, err := f.Bytes(ti.Name)
			if err != nil {
				t.Fatal(err)
			}
			gt.bytes = append([]byte{}, raw...)
		}
		out[ti.Name] = gt
	}
	return out
}

// encodePrompt is CLIPTextEncode's path: ComfyUI's tokenization, then both
// text encoders.
func encodePrompt(t *testing.T, net *sdxl.Model, text string) Conditioning {
	t.Helper()
	toks, err := sharedTokenizer().SDXL(text, tokenizer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cross, pooled, err := net.EncodeText(context.Background(), toks, sdxl.TextOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return Conditioning{newCond(cross, pooled)}
}

// countSteps is a progress callback that checks the sampler reports each
// of its steps exactly once, in order (with denoise < 1 ComfyUI still runs
// steps steps, the tail of a longer schedule).
func countSteps(t *testing.T, want int) sampling.Progress {
	seen := 0
	t.Cleanup(func() {
		if seen != want {
			t.Errorf("progress reported %d steps, want %d", seen, want)
		}
	})
	return func(step, total int, _ *tensor.Tensor) {
		seen++
		if step != seen || total != want {
			t.Errorf("progress %d/%d, want %d/%d", step, total, seen, want)
		}
	}
}

// expectRel checks got against want with both relative measures.
func expectRel(t *testing.T, what string, got, want *tensor.Tensor) {
	t.Helper()
	if !got.SameShape(want) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape, want.Shape)
	}
	var num, den float64
	for i, w := range want.Data {
		d := float64(got.Data[i]) - float64(w)
		num += d * d
		den += float64(w) * float64(w)
	}
	norm, peak := math.Sqrt(num/den), relErr(got, want)
	t.Logf("%s: ‖a−b‖/‖b‖ %.3g, max|a−b|/max|b| %.3g", what, norm, peak)
	if !(norm <= pipelineTol && peak <= pipelineTol) {
		t.Errorf("%s: relative error %.3g (norm), %.3g (max) > %g", what, norm, peak, pipelineTol)
	}
}

// saveImage saves img with the SaveImage node and returns the decoded PNG.
func saveImage(t *testing.T, img *tensor.Tensor) image.Image {
	t.Helper()
	f := baseDir(t)
	reg := nodes.NewRegistry()
	builtin.Register(reg, builtin.Env{Folders: f})
	spec, ok := reg.Get("SaveImage")
	if !ok {
		t.Fatal("no SaveImage node")
	}
	args := nodes.NewArgs("9", map[string]any{"images": img, "filename_prefix": "pipeline"}, nodes.HiddenValues{})
	out, err := spec.Run(context.Background(), args, nodes.ProgressFuncs{})
	if err != nil {
		t.Fatal(err)
	}
	refs := out[0].(nodes.UI)["images"].([]nodes.ImageRef)
	if len(refs) != 1 {
		t.Fatalf("saved %d images, want 1", len(refs))
	}
	return testutil.DecodePNG(t, filepath.Join(f.Output(), refs[0].Subfolder, refs[0].Filename))
}

// expectPixels compares a decoded RGB image with a golden [H,W,3] uint8
// tensor: at most 1 level apart per channel.
func expectPixels(t *testing.T, img image.Image, want golden) {
	t.Helper()
	h, w := int(want.shape[0]), int(want.shape[1])
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h || len(want.shape) != 3 || want.shape[2] != 3 {
		t.Fatalf("image %v, golden uint8 %v", img.Bounds(), want.shape)
	}
	worst, differ := 0, 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			for c, v := range []uint32{r >> 8, g >> 8, b >> 8} {
				d := int(v) - int(want.bytes[(y*w+x)*3+c])
				worst = max(worst, d, -d)
				if d != 0 {
					differ++
				}
			}
		}
	}
	t.Logf("uint8: max difference %d levels, %d of %d values differ", worst, differ, h*w*3)
	if worst > 1 {
		t.Errorf("uint8: pixels differ by up to %d levels, want at most 1", worst)
	}
}
