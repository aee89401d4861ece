package modelnodes

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sumi/executor"
	"sumi/folders"
	"sumi/model/sdxl"
	"sumi/nodes"
	"sumi/safetensors"
	"sumi/tensor"
)

// runNode runs one node of this package directly.
func runNode(t *testing.T, env Env, name string, values map[string]any) ([]any, error) {
	t.Helper()
	for _, s := range Specs(env) {
		if s.Name == name {
			return s.Run(context.Background(), nodes.NewArgs("1", values, nodes.HiddenValues{}), nodes.ProgressFuncs{})
		}
	}
	t.Fatalf("no node %s", name)
	return nil, nil
}

func mustRunNode(t *testing.T, env Env, name string, values map[string]any) []any {
	t.Helper()
	out, err := runNode(t, env, name, values)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

// writeStandaloneVAE writes the tiny checkpoint's first_stage_model.*
// tensors to models/vae/name, without the prefix unless keepPrefix, as F32
// when f32 is set and otherwise in the checkpoint's own dtype (F16).
func writeStandaloneVAE(t *testing.T, f *folders.Folders, name string, keepPrefix, f32 bool) {
	t.Helper()
	src, err := safetensors.Open(fixtures + ckptName)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var w safetensors.Writer
	for _, ti := range src.Tensors() {
		key, ok := strings.CutPrefix(ti.Name, "first_stage_model.")
		if !ok {
			continue
		}
		if keepPrefix {
			key = ti.Name
		}
		if f32 {
			data, err := src.Float32(ti.Name)
			if err != nil {
				t.Fatal(err)
			}
			w.AddFloat32(key, ti.Shape, data)
			continue
		}
		raw, err := src.Bytes(ti.Name)
		if err != nil {
			t.Fatal(err)
		}
		w.AddRaw(key, ti.DType, ti.Shape, raw)
	}
	writeModel(t, f, "vae", name, &w)
}

func writeModel(t *testing.T, f *folders.Folders, kind, name string, w *safetensors.Writer) {
	t.Helper()
	p := filepath.Join(f.ModelsDir(), kind, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFile(p); err != nil {
		t.Fatal(err)
	}
}

// randTensor is a deterministic tensor with values in [lo, hi).
func randTensor(seed uint64, lo, hi float32, shape ...int) *tensor.Tensor {
	r := rand.New(rand.NewPCG(seed, 1))
	t := tensor.New(shape...)
	for i := range t.Data {
		t.Data[i] = lo + (hi-lo)*r.Float32()
	}
	return t
}

func sameTensor(t *testing.T, what string, got, want *tensor.Tensor) {
	t.Helper()
	if got == nil || !slices.Equal(got.Shape, want.Shape) {
		t.Fatalf("%s: shape %v, want %v", what, shapeOf(got), want.Shape)
	}
	for i := range want.Data {
		if got.Data[i] != want.Data[i] {
			t.Fatalf("%s: element %d is %g, want %g (bit-identical)", what, i, got.Data[i], want.Data[i])
		}
	}
}

// TestVAELoaderStandaloneFiles: VAELoader lists models/vae plus
// pixel_space, and a standalone VAE file (bare keys or prefixed, F16 as in
// the checkpoint or widened to F32) decodes and encodes exactly as the
// checkpoint's own VAE does: the graphs compute in F32 from the same values.
func TestVAELoaderStandaloneFiles(t *testing.T) {
	f := baseDir(t)
	files := []struct {
		name       string
		keepPrefix bool
		f32        bool
	}{
		{"sdxl_vae.safetensors", false, false},
		{"sdxl.vae.fp32.safetensors", false, true},
		{"extracted/prefixed.safetensors", true, false},
	}
	for _, file := range files {
		writeStandaloneVAE(t, f, file.name, file.keepPrefix, file.f32)
	}
	env := Env{Folders: f, Cache: sharedCache()}
	var combo []string
	for _, s := range Specs(env) {
		if s.Name == "VAELoader" {
			combo = s.Inputs[0].Choices()
		}
	}
	want := []string{"extracted/prefixed.safetensors", "sdxl.vae.fp32.safetensors", "sdxl_vae.safetensors", "pixel_space"}
	if !slices.Equal(combo, want) {
		t.Errorf("VAELoader choices %q, want %q", combo, want)
	}

	ckptVAE := mustRunNode(t, env, "CheckpointLoaderSimple", map[string]any{"ckpt_name": ckptName})[2]
	latent := nodes.Latent{Samples: randTensor(1, -3, 3, 1, 4, 4, 6)}
	pixels := randTensor(2, 0, 1, 1, 16, 24, 3)
	wantImg := mustRunNode(t, env, "VAEDecode", map[string]any{"samples": latent, "vae": ckptVAE})[0].(*tensor.Tensor)
	wantLat := mustRunNode(t, env, "VAEEncode", map[string]any{"pixels": pixels, "vae": ckptVAE})[0].(nodes.Latent)
	for _, file := range files {
		t.Run(file.name, func(t *testing.T) {
			vae := mustRunNode(t, env, "VAELoader", map[string]any{"vae_name": file.name})[0]
			img := mustRunNode(t, env, "VAEDecode", map[string]any{"samples": latent, "vae": vae})[0].(*tensor.Tensor)
			sameTensor(t, "decode", img, wantImg)
			lat := mustRunNode(t, env, "VAEEncode", map[string]any{"pixels": pixels, "vae": vae})[0].(nodes.Latent)
			sameTensor(t, "encode", lat.Samples, wantLat.Samples)
		})
	}
}

// TestVAELoaderBadFiles: files that hold no VAE, pickles and missing names
// are clear errors, and inside a prompt they are node errors on the loader.
func TestVAELoaderBadFiles(t *testing.T) {
	f := baseDir(t)
	lora, err := os.ReadFile(casesDir + "loras/" + loraName)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(f.ModelsDir(), "vae")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"lora.safetensors": lora, "old.pt": []byte("PK\x03\x04 not a pickle we open")} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := Env{Folders: f, Cache: sharedCache()}
	for _, tc := range []struct {
		name, file string
		want       error
		msg        string
	}{
		{"lora", "lora.safetensors", sdxl.ErrNotVAE, `vae "lora.safetensors": sdxl: not a vae file: a LoRA file`},
		{"pickle", "old.pt", ErrPickle, "use the .safetensors version"},
		{"missing", "nope.safetensors", os.ErrNotExist, "nope.safetensors"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runNode(t, env, "VAELoader", map[string]any{"vae_name": tc.file})
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %v, want %v mentioning %q", err, tc.want, tc.msg)
			}
		})
	}
	reg, _ := newRegistry(t, f, sharedCache())
	prompt := `{"1": {"class_type": "VAELoader", "inputs": {"vae_name": "lora.safetensors"}},
		"2": {"class_type": "EmptyLatentImage", "inputs": {"width": 64, "height": 64, "batch_size": 1}},
		"3": {"class_type": "VAEDecode", "inputs": {"samples": ["2", 0], "vae": ["1", 0]}},
		"4": {"class_type": "PreviewImage", "inputs": {"images": ["3", 0]}}}`
	_, err = runPrompt(t, reg, []byte(prompt), nil)
	var ne *executor.NodeError
	if !errors.As(err, &ne) || ne.Data.NodeID != "1" || !errors.Is(err, sdxl.ErrNotVAE) {
		t.Fatalf("err = %v, want a node error on the VAELoader wrapping ErrNotVAE", err)
	}
	t.Logf("node 1: %s", ne.Data.ExceptionMessage)
}

// TestPixelSpaceVAE: pixel_space maps IMAGE [B,H,W,3] in [0,1] to a
// channels-first latent 2x-1 and back with clamp((x+1)/2, 0, 1).
func TestPixelSpaceVAE(t *testing.T) {
	env := Env{Folders: baseDir(t), Cache: sharedCache()}
	vae := mustRunNode(t, env, "VAELoader", map[string]any{"vae_name": "pixel_space"})[0]
	pixels := randTensor(3, 0, 1, 2, 5, 7, 4) // an alpha channel, dropped by VAEEncode
	lat := mustRunNode(t, env, "VAEEncode", map[string]any{"pixels": pixels, "vae": vae})[0].(nodes.Latent)
	if !slices.Equal(lat.Samples.Shape, []int{2, 3, 5, 7}) {
		t.Fatalf("latent shape %v, want [2 3 5 7]", lat.Samples.Shape)
	}
	for b := 0; b < 2; b++ {
		for y := 0; y < 5; y++ {
			for x := 0; x < 7; x++ {
				for c := 0; c < 3; c++ {
					got := lat.Samples.Data[((b*3+c)*5+y)*7+x]
					if want := 2*pixels.Data[((b*5+y)*7+x)*4+c] - 1; got != want {
						t.Fatalf("latent[%d,%d,%d,%d] = %g, want %g", b, c, y, x, got, want)
					}
				}
			}
		}
	}
	img := mustRunNode(t, env, "VAEDecode", map[string]any{"samples": lat, "vae": vae})[0].(*tensor.Tensor)
	if !slices.Equal(img.Shape, []int{2, 5, 7, 3}) {
		t.Fatalf("image shape %v, want [2 5 7 3]", img.Shape)
	}
	for i := range img.Data {
		// 2x-1 then (y+1)/2 rounds twice in float32.
		if d := math.Abs(float64(img.Data[i] - pixels.Data[i/3*4+i%3])); d > 1e-7 {
			t.Fatalf("round trip element %d off by %g", i, d)
		}
	}
	out := mustRunNode(t, env, "VAEDecode", map[string]any{"samples": nodes.Latent{Samples: tensor.FromData([]float32{-3, 0.5, 3}, 1, 3, 1, 1)}, "vae": vae})[0].(*tensor.Tensor)
	if !slices.Equal(out.Data, []float32{0, 0.75, 1}) {
		t.Errorf("decode of -3, 0.5, 3 = %v, want clamped 0, 0.75, 1", out.Data)
	}
	if _, err := runNode(t, env, "VAEDecode", map[string]any{"samples": nodes.Latent{Samples: tensor.New(1, 4, 2, 2)}, "vae": vae}); err == nil {
		t.Error("a 4-channel latent decoded through pixel_space")
	}
}
