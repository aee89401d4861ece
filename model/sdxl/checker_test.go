package sdxl

import (
	"path/filepath"
	"testing"

	"sumi/internal/testutil"
	"sumi/runtime/onnx"
	"sumi/runtime/onnx/onnxtest"
)

// TestCheckerAcceptsNetworks runs ONNX's checker on every network of the
// tiny checkpoint, in the CPU form and in the CUDA form (float16 with fused
// attention; contrib ops need the checker without strict shape inference).
func TestCheckerAcceptsNetworks(t *testing.T) {
	m := loadModel(t, tinyCkpt, Options{})
	dir := t.TempDir()
	testutil.Symlink(t, m.path, filepath.Join(dir, m.loc))
	c := m.Config
	nets := map[string]func(b *builder) (*onnx.Graph, error){
		"unet": func(b *builder) (*onnx.Graph, error) { return b.unetGraph(c.UNet) },
		"clip_l": func(b *builder) (*onnx.Graph, error) {
			return b.clipGraph(c.CLIPL, clipHF, prefixCLIPL, 1, false, false)
		},
		"clip_g": func(b *builder) (*onnx.Graph, error) {
			return b.clipGraph(c.CLIPG, clipOpenCLIP, prefixCLIPG, 1, false, true)
		},
		"vae_decoder": func(b *builder) (*onnx.Graph, error) { return b.vaeDecodeGraph(c.VAE, prefixVAE, false) },
		"vae_encoder": func(b *builder) (*onnx.Graph, error) { return b.vaeEncodeGraph(c.VAE, prefixVAE) },
	}
	forms := []struct {
		name string
		opts GraphOptions
		full bool
	}{
		{"float32", GraphOptions{}, true},
		{"float16-mha", GraphOptions{DType: onnx.Float16, Attention: AttentionMHA}, false},
	}
	for _, f := range forms {
		for name, build := range nets {
			t.Run(f.name+"/"+name, func(t *testing.T) {
				g, err := build(newBuilder(name, m.file, m.loc, f.opts))
				if err != nil {
					t.Fatal(err)
				}
				model, err := g.Marshal()
				if err != nil {
					t.Fatal(err)
				}
				if f.full {
					onnxtest.Check(t, dir, model)
				} else {
					onnxtest.CheckNoShapes(t, dir, model)
				}
			})
		}
	}
}
