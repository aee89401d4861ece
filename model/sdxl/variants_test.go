package sdxl

import (
	"context"
	"testing"

	"sumi/runtime/onnx"
)

// TestGraphVariants runs the other graph forms on the tiny fixtures: fused
// MultiHeadAttention in float32 must still meet the golden tolerance;
// float16 graphs (the CUDA form, run here by ORT's CPU kernels with
// inserted casts) must stay within a half-precision tolerance.
func TestGraphVariants(t *testing.T) {
	cases := []struct {
		name string
		opts GraphOptions
		tol  float64
	}{
		{"float32 mha", GraphOptions{DType: onnx.Float, Attention: AttentionMHA}, goldenTol},
		{"float16 plain", GraphOptions{DType: onnx.Float16}, 5e-3},
		{"float16 mha", GraphOptions{DType: onnx.Float16, Attention: AttentionMHA}, 5e-3},
	}
	g := golden(t, "unet.safetensors")
	v := golden(t, "vae.safetensors")
	te := golden(t, "text_encode.safetensors")
	toks := tokenCases(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := loadModel(t, tinyCkpt, Options{Graph: tc.opts})
			eps, err := m.UNet(context.Background(), g["raw.x_in"], float64s(g["raw.timesteps"]), g["cond"], g["apply_model_1024.y"])
			if err != nil {
				t.Fatal(err)
			}
			expectClose(t, "raw.eps", eps, g["raw.eps"], tc.tol)
			img, err := m.DecodeVAE(context.Background(), v["decode.latent"])
			if err != nil {
				t.Fatal(err)
			}
			expectClose(t, "decode.image", img, v["decode.image"], tc.tol)
			lat, err := m.EncodeVAE(context.Background(), v["encode.image"])
			if err != nil {
				t.Fatal(err)
			}
			expectClose(t, "encode.latent", lat, v["encode.latent"], tc.tol)
			cond, pooled, err := m.EncodeText(context.Background(), promptTokens(t, toks, pipelinePrompt(t)), TextOptions{})
			if err != nil {
				t.Fatal(err)
			}
			expectClose(t, "pos.cond", cond, te["pos.cond"], tc.tol)
			expectClose(t, "pos.pooled", pooled, te["pos.pooled"], tc.tol)
		})
	}
}
