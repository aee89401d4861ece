package modelnodes

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"sumi/executor"
	"sumi/folders"
	"sumi/graph"
	"sumi/internal/testutil"
	"sumi/nodes"
	"sumi/nodes/builtin"
	"sumi/pngmeta"
	"sumi/runtime/ort"
	"sumi/tensor"
)

const (
	fixtures  = "../../testdata/tiny-sdxl/"
	casesDir  = fixtures + "cases/"
	ckptName  = "tiny-sdxl-A.safetensors"
	loraName  = "tiny-lora-A.safetensors"
	latentTol = 1e-4 // relative to max |latent|, the bound
)

// sharedCache keeps sessions across the tests of the package (building the
// tiny model's sessions is the slow part).
var sharedCache = sync.OnceValue(func() *Cache {
	return NewCache(CacheOptions{Runtime: ort.Options{Threads: 1}})
})

// baseDir makes a ComfyUI base directory with the tiny checkpoint, the
// fixture LoRAs and inputs linked in.
func baseDir(t testing.TB) *folders.Folders {
	t.Helper()
	base := t.TempDir()
	testutil.Symlink(t, fixtures+ckptName, filepath.Join(base, "models", "checkpoints", ckptName))
	testutil.Symlink(t, casesDir+"loras/"+loraName, filepath.Join(base, "models", "loras", loraName))
	// Inputs are copied: input-folder names may not resolve through links.
	for _, in := range []string{"img2img_A_32.png", "start_latent_A.latent"} {
		data, err := os.ReadFile(casesDir + "input/" + in)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(base, "input"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(base, "input", in), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return testutil.Folders(t, base)
}

// recorder keeps the LATENT each sampler node returned, by node id.
type recorder struct {
	mu      sync.Mutex
	latents map[string]*tensor.Tensor
	steps   map[string]int // progress updates per node
	preview map[string]int // preview images per node
}

// newRegistry registers the builtin and model nodes, wrapping the sampler
// nodes so the test sees their final latents and progress.
func newRegistry(t testing.TB, f *folders.Folders, c *Cache) (*nodes.Registry, *recorder) {
	t.Helper()
	rec := &recorder{latents: map[string]*tensor.Tensor{}, steps: map[string]int{}, preview: map[string]int{}}
	reg := nodes.NewRegistry()
	builtin.Register(reg, builtin.Env{Folders: f})
	for _, s := range Specs(Env{Folders: f, Cache: c, Warn: func(msg string) { t.Log(msg) }}) {
		if s.Name == "KSampler" || s.Name == "KSamplerAdvanced" {
			run := s.Run
			s.Run = func(ctx context.Context, in nodes.Args, p nodes.Progress) ([]any, error) {
				wrapped := nodes.ProgressFuncs{
					OnUpdate: func(v, m int) {
						rec.mu.Lock()
						rec.steps[in.NodeID]++
						rec.mu.Unlock()
						p.Update(v, m)
					},
					OnPreview: func(img nodes.Preview) {
						rec.mu.Lock()
						rec.preview[in.NodeID]++
						rec.mu.Unlock()
						p.Preview(img)
					},
				}
				out, err := run(ctx, in, wrapped)
				if err == nil {
					rec.mu.Lock()
					rec.latents[in.NodeID] = out[0].(nodes.Latent).Samples
					rec.mu.Unlock()
				}
				return out, err
			}
		}
		reg.Register(s)
	}
	return reg, rec
}

// runPrompt validates and executes an API prompt.
func runPrompt(t testing.TB, reg *nodes.Registry, prompt []byte, extra json.RawMessage) (*executor.Result, error) {
	t.Helper()
	p, err := graph.ParsePrompt(prompt)
	if err != nil {
		t.Fatal(err)
	}
	res, err := graph.Validate(p, reg, nil)
	if err != nil {
		return nil, err
	}
	req := executor.Request{PromptID: "test", Prompt: res.Prompt, Outputs: res.Outputs, ExtraPNGInfo: extra}
	return executor.New(reg).Run(context.Background(), req, func(executor.Event) {})
}

// relErr is max |a-b| / max |b|.
func relErr(a, b *tensor.Tensor) float64 {
	var d, m float64
	for i := range b.Data {
		d = math.Max(d, math.Abs(float64(a.Data[i])-float64(b.Data[i])))
		m = math.Max(m, math.Abs(float64(b.Data[i])))
	}
	if m == 0 {
		return d
	}
	return d / m
}

// pixelDiff compares two PNGs: the largest per-channel difference and the
// fraction of pixels that differ at all.
func pixelDiff(t testing.TB, gotPath, wantPath string) (maxDiff int, frac float64) {
	t.Helper()
	return testutil.PixelDiff(t, testutil.DecodePNG(t, gotPath), testutil.DecodePNG(t, wantPath))
}

func textChunks(t testing.TB, p string) map[string]string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := pngmeta.ReadMap(f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
