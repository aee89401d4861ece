package sdxl

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"sumi/internal/testutil"
	"sumi/runtime/onnx"
	"sumi/runtime/onnx/onnxtest"
)

// TestCUDAFormEmulated runs the CUDA graph form on CPU with its CUDA-only
// operators replaced by equivalents placed exactly where they sit (same
// NHWC transposes, token reshapes, bias-less projection), so everything but
// the two contrib kernels themselves is checked against ComfyUI's goldens:
// in float32 at the golden tolerance, in float16 at F's half tolerance.
// The multi-head checkpoint (64/128 channels) puts every UNet norm on the
// contrib path; the main one (32/64) has both paths.
func TestCUDAFormEmulated(t *testing.T) {
	forms := []struct {
		name string
		dt   onnx.DataType
		tol  float64
	}{{"float32", onnx.Float, goldenTol}, {"float16", onnx.Float16, 5e-3}}
	g := golden(t, "unet.safetensors")
	mh := golden(t, "unet_multihead.safetensors")
	v := golden(t, "vae.safetensors")
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			opts := CUDAGraphOptions()
			opts.DType = f.dt
			m := loadModel(t, tinyCkpt, Options{Graph: opts, emulateCUDA: true})
			eps, err := m.UNet(context.Background(), g["raw.x_in"], float64s(g["raw.timesteps"]), g["cond"], g["apply_model_1024.y"])
			if err != nil {
				t.Fatal(err)
			}
			expectClose(t, "raw.eps", eps, g["raw.eps"], f.tol)
			img, err := m.DecodeVAE(context.Background(), v["decode.latent"])
			if err != nil {
				t.Fatal(err)
			}
			expectClose(t, "decode.image", img, v["decode.image"], f.tol)
			lat, err := m.EncodeVAE(context.Background(), v["encode.image"])
			if err != nil {
				t.Fatal(err)
			}
			expectClose(t, "encode.latent", lat, v["encode.latent"], f.tol)
			mm := loadModel(t, tinyMultiCkp, Options{Graph: opts, emulateCUDA: true})
			eps, err = mm.UNet(context.Background(), mh["raw.x_in"], float64s(mh["raw.timesteps"]), mh["cond"], mh["apply_model_1024.y"])
			if err != nil {
				t.Fatal(err)
			}
			expectClose(t, "multihead raw.eps", eps, mh["raw.eps"], f.tol)
		})
	}
}

// TestCUDAOnlyNeedsCUDA: CPU sessions refuse the CUDA-only graph options.
func TestCUDAOnlyNeedsCUDA(t *testing.T) {
	testutil.InitORT(t)
	_, err := Load(tinyCkpt, Options{Graph: CUDAGraphOptions()})
	if !errors.Is(err, ErrCUDAOnly) {
		t.Fatalf("Load with CUDA-only ops on CPU: %v, want ErrCUDAOnly", err)
	}
	o := CUDAGraphOptions()
	o.GroupNorm, o.GEGLU = GroupNormInstance, GEGLUPlain
	if o.CUDAOnly() {
		t.Fatal("fp16 + MHA alone is not CUDA-only (both run on CPU)")
	}
}

// opCount counts nodes of opType in an encoded model: NodeProto.op_type is
// field 4, so each node carries the bytes 0x22, len, name (output names
// such as "GroupNorm_12" are field 2 and do not match).
func opCount(model []byte, opType string) int {
	return bytes.Count(model, append([]byte{0x22, byte(len(opType))}, opType...))
}

// TestCUDAFormCheckerSDXL builds the CUDA form of every network at real
// SDXL shapes (over a sparse synthetic file: no weights are read), checks
// that the fused operators are where they belong, and runs ONNX's checker
// on each graph.
func TestCUDAFormCheckerSDXL(t *testing.T) {
	dir := t.TempDir()
	c := SDXLBaseConfig()
	if _, err := WriteSynthetic(filepath.Join(dir, "sdxl.safetensors"), SynthConfig{Config: c, Sparse: true}); err != nil {
		t.Fatal(err)
	}
	m := loadModel(t, filepath.Join(dir, "sdxl.safetensors"), Options{})
	blocks, norms := 0, 0
	for _, s := range c.tensors() {
		k, ok := strings.CutPrefix(s.key, prefixUNet)
		switch {
		case !ok:
		case strings.HasSuffix(k, ".ff.net.0.proj.weight"):
			blocks++
		case strings.HasSuffix(k, "in_layers.0.weight"), strings.HasSuffix(k, "out_layers.0.weight"),
			strings.HasSuffix(k, ".norm.weight"), k == "out.0.weight":
			norms++
		}
	}
	vaeNorms := 0
	for _, s := range c.tensors() {
		if strings.HasPrefix(s.key, prefixVAE+"decoder.") && strings.Contains(s.key, "norm") && strings.HasSuffix(s.key, ".weight") {
			vaeNorms++
		}
	}
	nets := []struct {
		name         string
		build        func(b *builder) (*onnx.Graph, error)
		gn, bsg, mha int
	}{
		{"unet", func(b *builder) (*onnx.Graph, error) { return b.unetGraph(c.UNet) }, norms, blocks, 2 * blocks},
		{"vae_decoder", func(b *builder) (*onnx.Graph, error) { return b.vaeDecodeGraph(c.VAE, prefixVAE, false) }, vaeNorms, 0, 1},
		{"clip_g", func(b *builder) (*onnx.Graph, error) {
			return b.clipGraph(c.CLIPG, clipOpenCLIP, prefixCLIPG, 30, false, true)
		}, 0, 0, 0}, // causal mask: plain attention
	}
	for _, n := range nets {
		t.Run(n.name, func(t *testing.T) {
			g, err := n.build(newBuilder(n.name, m.file, m.loc, CUDAGraphOptions()))
			if err != nil {
				t.Fatal(err)
			}
			model, err := g.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			got := [3]int{opCount(model, "GroupNorm"), opCount(model, "BiasSplitGelu"), opCount(model, "MultiHeadAttention")}
			if want := [3]int{n.gn, n.bsg, n.mha}; got != want {
				t.Errorf("GroupNorm, BiasSplitGelu, MultiHeadAttention nodes = %v, want %v", got, want)
			}
			if opCount(model, "InstanceNormalization") != 0 && n.gn > 0 {
				t.Errorf("%d norms left on the InstanceNormalization path", opCount(model, "InstanceNormalization"))
			}
			t.Logf("%d nodes, %d initializers, GroupNorm %d, BiasSplitGelu %d, MHA %d", g.NumNodes(), g.NumInitializers(), got[0], got[1], got[2])
			onnxtest.CheckNoShapes(t, dir, model)
		})
	}
}
