package sampling

import (
	"context"
	"math"
	"testing"

	"sumi/safetensors"
	"sumi/tensor"
)

// goldenTensors reads the named tensors of a safetensors golden file.
func goldenTensors(t *testing.T, path string, names ...string) [][]float32 {
	t.Helper()
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := make([][]float32, len(names))
	for i, name := range names {
		if out[i], err = f.Float32(name); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// replayNet is a Network that checks its input and returns a fixed ε.
type replayNet struct {
	t           *testing.T
	wantIn, eps []float32
	wantT, gotT float64
}

func (n *replayNet) Predict(_ context.Context, xIn *tensor.Tensor, ts float64, conds []any) (*tensor.Tensor, error) {
	n.gotT = ts
	for i, v := range xIn.Data {
		if math.Abs(float64(v-n.wantIn[i])) > 1e-6*math.Max(1, math.Abs(float64(v))) {
			n.t.Errorf("x_in[%d] = %g, want %g", i, v, n.wantIn[i])
			break
		}
	}
	return tensor.FromData(append([]float32(nil), n.eps...), xIn.Shape...), nil
}

// TestNetModelGolden checks the denoiser wrapper against ComfyUI's
// apply_model on the tiny SDXL UNet golden: c_in scaling, sigma->timestep
// and denoised = x − ε·σ, per batch item.
func TestNetModelGolden(t *testing.T) {
	g := goldenTensors(t, "../testdata/tiny-sdxl/goldens/unet.safetensors",
		"x", "sigma", "raw.timesteps", "raw.x_in", "raw.eps", "raw.denoised_check")
	x, sig, ts, xin, eps, den := g[0], g[1], g[2], g[3], g[4], g[5]
	if len(sig) != 2 || len(x) != 2*256 {
		t.Fatalf("unexpected golden sizes %d %d", len(sig), len(x))
	}
	for b := 0; b < 2; b++ {
		lo, hi := b*256, (b+1)*256
		net := &replayNet{t: t, wantIn: xin[lo:hi], eps: eps[lo:hi]}
		m := &NetModel{Net: net, Sampling: NewDiscrete(false)}
		out, err := m.Denoise(context.Background(), tensor.FromData(x[lo:hi], 1, 4, 8, 8), float64(sig[b]), []any{"c"})
		if err != nil {
			t.Fatal(err)
		}
		if net.gotT != float64(ts[b]) {
			t.Errorf("item %d: timestep %g, want %g", b, net.gotT, ts[b])
		}
		for i, v := range out.Data {
			if math.Abs(float64(v-den[lo+i])) > 1e-6*math.Max(1, math.Abs(float64(v))) {
				t.Errorf("item %d: denoised[%d] = %g, want %g", b, i, v, den[lo+i])
				break
			}
		}
	}
}

// TestVPrediction checks the v-prediction formula on a case with a known
// answer: v = (α·ε − σ_vp·x0) form gives back x0.
func TestVPrediction(t *testing.T) {
	sigma := 2.0
	x0, eps := float32(0.5), float32(-1.25)
	x := x0 + eps*float32(sigma)
	// v = α·ε − s·x0 with α = 1/sqrt(1+σ²), s = σ/sqrt(1+σ²)
	r := math.Sqrt(1 + sigma*sigma)
	v := float32(float64(eps)/r - sigma/r*float64(x0))
	net := NetworkFunc(func(context.Context, *tensor.Tensor, float64, []any) (*tensor.Tensor, error) {
		return tensor.FromData([]float32{v}, 1, 1, 1, 1), nil
	})
	m := &NetModel{Net: net, Sampling: NewDiscrete(false), Prediction: PredictV}
	out, err := m.Denoise(context.Background(), tensor.FromData([]float32{x}, 1, 1, 1, 1), sigma, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(out.Data[0]-x0)) > 1e-6 {
		t.Errorf("x0 = %g, want %g", out.Data[0], x0)
	}
}

// TestZTSNR checks the zero-terminal-SNR schedule's ends: the first sigma
// is unchanged and the last is the large finite value ComfyUI gets.
func TestZTSNR(t *testing.T) {
	a, z := NewDiscrete(false), NewDiscrete(true)
	if math.Abs(a.SigmaMin()-z.SigmaMin()) > 1e-6*a.SigmaMin() {
		t.Errorf("sigma min %g vs %g", z.SigmaMin(), a.SigmaMin())
	}
	want := math.Sqrt((1 - ztsnrLastAlphaBar) / ztsnrLastAlphaBar)
	if math.Abs(z.SigmaMax()-want) > 1e-6*want {
		t.Errorf("sigma max %g, want %g", z.SigmaMax(), want)
	}
}
