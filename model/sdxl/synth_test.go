package sdxl

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sumi/internal/testutil"
	"sumi/runtime/onnx"
	"sumi/runtime/ort"
)

// TestSyntheticSDXL builds every network of a checkpoint with SDXL's real
// key layout and shapes and creates its CPU session. The sessions use
// ORT's disabled optimization level, so the weights stay memory-mapped
// (sdxl.md §7.5); set SUMI_SYNTH_OPT=all to measure the default level
// (needs about 12 GB of RAM).
func TestSyntheticSDXL(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 7 GB synthetic checkpoint")
	}
	testutil.InitORT(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "synthetic-sdxl.safetensors")
	start := time.Now()
	size, err := WriteSynthetic(path, SynthConfig{Config: SDXLBaseConfig(), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %.2f GB in %v", float64(size)/1e9, time.Since(start).Round(time.Millisecond))
	rt := ort.Options{OptLevel: ort.OptDisable}
	if os.Getenv("SUMI_SYNTH_OPT") == "all" {
		rt.OptLevel = ort.OptAll
	}
	start = time.Now()
	m, err := Load(path, Options{Runtime: rt})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	t.Logf("load + detect + validate: %v", time.Since(start).Round(time.Millisecond))
	c := m.Config
	if c.Architecture != ArchSDXL || c.UNet.ContextDim != 2048 || c.UNet.ADMInChannels != 2816 || c.CLIPG.NumHiddenLayers != 32 {
		t.Fatalf("detected %+v", c.UNet)
	}
	nets := []struct {
		name  string
		build func(b *builder) (*onnx.Graph, error)
	}{
		{"clip_l", func(b *builder) (*onnx.Graph, error) {
			return b.clipGraph(c.CLIPL, clipHF, prefixCLIPL, 10, false, false)
		}},
		{"clip_g", func(b *builder) (*onnx.Graph, error) {
			return b.clipGraph(c.CLIPG, clipOpenCLIP, prefixCLIPG, 30, false, true)
		}},
		{"unet", func(b *builder) (*onnx.Graph, error) { return b.unetGraph(c.UNet) }},
		{"vae_decoder", func(b *builder) (*onnx.Graph, error) { return b.vaeDecodeGraph(c.VAE, prefixVAE, false) }},
		{"vae_encoder", func(b *builder) (*onnx.Graph, error) { return b.vaeEncodeGraph(c.VAE, prefixVAE) }},
	}
	var report []string
	for _, n := range nets {
		start := time.Now()
		g, err := n.build(newBuilder(n.name, m.file, m.loc, m.opts.Graph))
		if err != nil {
			t.Fatalf("%s: %v", n.name, err)
		}
		model, err := g.Marshal()
		if err != nil {
			t.Fatalf("%s: %v", n.name, err)
		}
		built := time.Since(start)
		s, err := ort.NewSession(model, m.dataDir, g.InputNames(), g.OutputNames(), rt)
		if err != nil {
			t.Fatalf("%s: %v", n.name, err)
		}
		created := time.Since(start) - built
		s.Close()
		report = append(report, fmt.Sprintf("%s: %d nodes, %d initializers, model %.2f MB, graph %v, session %v",
			n.name, g.NumNodes(), g.NumInitializers(), float64(len(model))/1e6, built.Round(time.Millisecond), created.Round(time.Millisecond)))
	}
	for _, r := range report {
		t.Log(r)
	}
	t.Logf("peak RSS (VmHWM): %s", vmHWM())
}

// vmHWM is the process's peak resident set size from /proc/self/status.
func vmHWM() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))
		}
	}
	return "unknown"
}
