package modelnodes

import (
	"testing"

	"sumi/model/sdxl"
	"sumi/nodes"
	"sumi/runtime/onnx"
	"sumi/tensor"
)

// TestSeparateVAEGraph: with CacheOptions.VAEGraph set (CUDA runs the UNet
// in float16 and the VAE in float32), a checkpoint's VAE output is opened on
// its own in that form and decodes as the shared one does.
func TestSeparateVAEGraph(t *testing.T) {
	f := baseDir(t)
	plain := Env{Folders: f, Cache: sharedCache()}
	vaeForm := sdxl.GraphOptions{DType: onnx.Float, Attention: sdxl.AttentionMHA}
	split := Env{Folders: f, Cache: NewCache(CacheOptions{VAEGraph: &vaeForm})}
	t.Cleanup(func() { split.Cache.Close() })
	if plain.Cache.SeparateVAE() || !split.Cache.SeparateVAE() {
		t.Fatal("SeparateVAE does not follow CacheOptions.VAEGraph")
	}
	latent := nodes.Latent{Samples: randTensor(3, -3, 3, 1, 4, 4, 6)}
	decode := func(env Env) *tensor.Tensor {
		out := mustRunNode(t, env, "CheckpointLoaderSimple", map[string]any{"ckpt_name": ckptName})
		separate := out[2].(*VAE).m != out[0].(*Model).base
		if separate != env.Cache.SeparateVAE() {
			t.Errorf("VAE opened on its own: %v, want %v", separate, env.Cache.SeparateVAE())
		}
		img := mustRunNode(t, env, "VAEDecode", map[string]any{"samples": latent, "vae": out[2]})
		return img[0].(*tensor.Tensor)
	}
	want := decode(plain)
	got := decode(split)
	if !got.SameShape(want) {
		t.Fatalf("shape %v, want %v", got.Shape, want.Shape)
	}
	var num, den float64
	for i := range want.Data {
		d := float64(got.Data[i] - want.Data[i])
		num += d * d
		den += float64(want.Data[i]) * float64(want.Data[i])
	}
	// Fused attention reorders float32 sums: ‖a−b‖/‖b‖ ≤ 1e-5.
	if num > 1e-10*den {
		t.Errorf("relative error %g", num/den)
	}
}
