package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	"sumi/internal/testutil"
	"sumi/model/sdxl"
	"sumi/runtime/onnx"
	"sumi/runtime/ort"
	"sumi/safetensors"
	"sumi/tensor"
)

const tinyDir = "../testdata/tiny-sdxl/"

func tinyPipeline(t testing.TB, g sdxl.GraphOptions) *Pipeline {
	t.Helper()
	testutil.InitORT(t)
	m, err := sdxl.Load(tinyDir+"tiny-sdxl-A.safetensors", sdxl.Options{
		Graph: g, Runtime: ort.Options{Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return &Pipeline{Model: m}
}

// toUint8 is ComfyUI's SaveImage conversion: clip(255·x, 0, 255) truncated.
func toUint8(img *tensor.Tensor) []uint8 {
	out := make([]uint8, len(img.Data))
	for i, v := range img.Data {
		out[i] = uint8(math.Min(math.Max(float64(v)*255, 0), 255))
	}
	return out
}

// levelDiff summarises |a−b| in uint8 levels: the largest difference and
// the fraction of values that differ by more than one level.
func levelDiff(a, b []uint8) (maxDiff int, over1 float64) {
	n := 0
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d < 0 {
			d = -d
		}
		maxDiff = max(maxDiff, d)
		if d > 1 {
			n++
		}
	}
	return maxDiff, float64(n) / float64(len(a))
}

// pipelineCase reads the euler_ancestral run of goldens/pipeline.json.
func pipelineCase(t testing.TB) (Request, []uint8) {
	t.Helper()
	b, err := os.ReadFile(tinyDir + "goldens/pipeline.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Positive, Negative string
		Seed               uint64
		Steps              int
		CFG                float64
		Width, Height      int
		Runs               map[string]struct {
			Sampler   string `json:"sampler_name"`
			Scheduler string
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	run := doc.Runs["euler_ancestral_normal"]
	r := Request{Positive: doc.Positive, Negative: doc.Negative, Width: doc.Width, Height: doc.Height,
		Steps: doc.Steps, CFG: doc.CFG, Seed: doc.Seed, Sampler: run.Sampler, Scheduler: run.Scheduler}
	f, err := safetensors.Open(tinyDir + "goldens/pipeline.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	raw, ok := f.Tensor("euler_ancestral_normal.uint8")
	if !ok {
		t.Fatal("pipeline.safetensors has no euler_ancestral_normal.uint8")
	}
	data, err := f.Bytes(raw.Name)
	if err != nil {
		t.Fatal(err)
	}
	return r, append([]uint8(nil), data...) // the mapping ends with f.Close
}

// Image-level precision of the float16 graphs (the CUDA form, run here by
// ORT's CPU kernels): after sampling and VAE decode, the uint8 image may
// differ from the float32 one by at most maxLevels anywhere and by more
// than one level on at most maxOver1 of the values. The float32 pipeline
// must reproduce ComfyUI's own PNG pixels within one level.
const (
	maxLevels = 2
	maxOver1  = 0.01
)

func TestFloat16ImagesMatchFloat32(t *testing.T) {
	golden, want := pipelineCase(t)
	big := golden
	big.Width, big.Height, big.Steps, big.Seed = 384, 256, 6, 7 // latent 48×32, image 96×64
	p32 := tinyPipeline(t, sdxl.GraphOptions{DType: onnx.Float})
	// The CUDA form less its CUDA-only kernels (sdxl's TestCUDAFormEmulated
	// covers the plumbing around those).
	p16 := tinyPipeline(t, sdxl.GraphOptions{DType: onnx.Float16, Attention: sdxl.AttentionMHA})
	for _, r := range []Request{golden, big} {
		t.Run(fmt.Sprintf("%dx%d_%dsteps", r.Width, r.Height, r.Steps), func(t *testing.T) {
			img32, err := p32.Generate(context.Background(), r)
			if err != nil {
				t.Fatal(err)
			}
			img16, err := p16.Generate(context.Background(), r)
			if err != nil {
				t.Fatal(err)
			}
			a, b := toUint8(img32), toUint8(img16)
			if r == golden {
				if len(a) != len(want) {
					t.Fatalf("image has %d values, ComfyUI's %d", len(a), len(want))
				}
				d, _ := levelDiff(a, want)
				t.Logf("float32 vs ComfyUI: max %d levels", d)
				if d > 1 {
					t.Errorf("float32 pipeline differs from ComfyUI's image by %d levels", d)
				}
			}
			d, over := levelDiff(a, b)
			t.Logf("float16 vs float32 (%d values): max %d levels, %.3f%% over one level", len(a), d, 100*over)
			if d > maxLevels || over > maxOver1 {
				t.Errorf("float16 image: max %d levels (limit %d), %.3f%% over one level (limit %.1f%%)", d, maxLevels, 100*over, 100*maxOver1)
			}
		})
	}
}
