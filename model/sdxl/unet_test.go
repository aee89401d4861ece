package sdxl

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"testing"

	"sumi/tensor"
)

// admSizes reads the [width, height] of each apply_model case from the
// goldens manifest.
func admSizes(t *testing.T) map[string][2]int {
	t.Helper()
	b, err := os.ReadFile(fixtureDir + "goldens/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var man map[string]struct {
		ADMSizes map[string][2]int `json:"adm_sizes"`
	}
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatal(err)
	}
	s := man["goldens/unet.safetensors"].ADMSizes
	if len(s) == 0 {
		t.Fatal("manifest has no adm_sizes")
	}
	return s
}

// denoise is ComfyUI's EPS apply_model around the raw UNet: c_in scaling,
// UNet at the given timesteps, then x − eps·σ.
func denoise(t *testing.T, m *Model, x *tensor.Tensor, sigma, ts []float64, cond, y *tensor.Tensor) (xin, eps, out *tensor.Tensor) {
	t.Helper()
	per := len(x.Data) / x.Shape[0]
	xin = x.Clone()
	for i := range xin.Data {
		xin.Data[i] = float32(float64(x.Data[i]) / math.Sqrt(sigma[i/per]*sigma[i/per]+1))
	}
	eps, err := m.UNet(context.Background(), xin, ts, cond, y)
	if err != nil {
		t.Fatal(err)
	}
	out = x.Clone()
	for i := range out.Data {
		out.Data[i] = x.Data[i] - eps.Data[i]*float32(sigma[i/per])
	}
	return xin, eps, out
}

func float64s(t *tensor.Tensor) []float64 {
	out := make([]float64, len(t.Data))
	for i, v := range t.Data {
		out[i] = float64(v)
	}
	return out
}

func TestUNetGoldens(t *testing.T) {
	cases := []struct {
		name, ckpt, golden string
		sizes              []string
	}{
		{"tiny", tinyCkpt, "unet.safetensors", []string{"1024", "64", "rect"}},
		{"multihead", tinyMultiCkp, "unet_multihead.safetensors", []string{"1024"}},
	}
	sizes := admSizes(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := loadModel(t, tc.ckpt, Options{})
			g := golden(t, tc.golden)
			sigma, ts := float64s(g["sigma"]), float64s(g["raw.timesteps"])
			for _, size := range tc.sizes {
				wh := sizes[size]
				y, err := ADM(g["pooled"], wh[0], wh[1], 0, 0, wh[0], wh[1])
				if err != nil {
					t.Fatal(err)
				}
				// torch rounds the float32 sinusoid arguments slightly differently at
				// 1024-sized inputs (README: agreement to 1e-4).
				expectClose(t, "apply_model_"+size+".y", y, g["apply_model_"+size+".y"], goldenTol)
				xin, eps, out := denoise(t, m, g["x"], sigma, ts, g["cond"], y)
				expectClose(t, "apply_model_"+size+".out", out, g["apply_model_"+size+".out"], goldenTol)
				if size == "1024" {
					expectClose(t, "raw.x_in", xin, g["raw.x_in"], 1e-6)
					expectClose(t, "raw.eps", eps, g["raw.eps"], goldenTol)
				}
			}
		})
	}
}

func TestUNetInputErrors(t *testing.T) {
	m := loadModel(t, tinyCkpt, Options{})
	u := m.Config.UNet
	x := tensor.New(1, 4, 8, 8)
	ctx := tensor.New(1, 77, u.ContextDim)
	y := tensor.New(1, u.ADMInChannels)
	cases := []struct {
		name    string
		x, c, y *tensor.Tensor
		ts      []float64
	}{
		{"nil x", nil, ctx, y, []float64{1}},
		{"channels", tensor.New(1, 3, 8, 8), ctx, y, []float64{1}},
		{"timesteps", x, ctx, y, []float64{1, 2}},
		{"context width", x, tensor.New(1, 77, 7), y, []float64{1}},
		{"context batch", x, tensor.New(2, 77, u.ContextDim), y, []float64{1}},
		{"no y", x, ctx, nil, []float64{1}},
		{"y width", x, ctx, tensor.New(1, 5), []float64{1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := m.UNet(context.Background(), tc.x, tc.ts, tc.c, tc.y); err == nil {
				t.Error("no error")
			}
		})
	}
}
