package modelnodes

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"sumi/internal/testutil"
	"sumi/lora"
	"sumi/model/sdxl"
	"sumi/runtime/ort"
	"sumi/tensor"
)

// BenchmarkLoRASession measures what a LoRA costs: UNet session build
// time, the resident memory the session adds and the UNet call time, with
// no LoRA and with a rank-16 LoRA on every transformer linear layer, for
// each patch form (sdxl.PatchForm: auto = merged in Go and fed by the
// session on CPU; inline; the in-graph sum; and "before", the design this
// replaced), under ONNX Runtime's default optimizations and with
// optimizations disabled (which keeps the checkpoint memory-mapped but
// recomputes in-graph patches on every call). It uses the "small"
// synthetic SDXL layout (same keys as SDXL, narrow). Calls are timed round
// robin over all variants, so load from other processes hits them alike;
// each reports its median:
//
//	go test ./nodes/modelnodes -run XXX -bench LoRASession -benchtime 1x
func BenchmarkLoRASession(b *testing.B) {
	sharedCache() // loads ONNX Runtime
	testutil.InitORT(b)
	path := filepath.Join(b.TempDir(), "small.safetensors")
	if _, err := sdxl.WriteSynthetic(path, sdxl.SynthConfig{Config: sdxl.SmallConfig(), Seed: 1}); err != nil {
		b.Fatal(err)
	}
	base, err := sdxl.Load(path, sdxl.Options{})
	if err != nil {
		b.Fatal(err)
	}
	patches := transformerLoRA(base, 16)
	base.Close()
	// "before" is the in-graph sum plus a fingerprint of every factor on
	// each network call, which the session cache lookup used to compute.
	rehash := func() { lora.Fingerprint(patches) }
	variants := []loraVariant{{name: "base"}, {name: "before", patches: patches, form: sdxl.PatchInGraph, perCall: rehash},
		{name: "auto", patches: patches}, {name: "inline", patches: patches, form: sdxl.PatchInline},
		{name: "ingraph", patches: patches, form: sdxl.PatchInGraph}}
	for _, opt := range []struct {
		name  string
		level ort.OptLevel
	}{{"opt-all", ort.OptAll}, {"opt-off", ort.OptDisable}} {
		b.Run(opt.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				vs := append([]loraVariant{}, variants...)
				for k := range vs {
					vs[k].build(b, path, ort.Options{Threads: 1, OptLevel: opt.level})
					defer vs[k].m.Close()
				}
				timeCalls(b, vs, 15)
				for _, v := range vs {
					b.ReportMetric(v.buildMs, v.name+"-ms-build")
					b.ReportMetric(v.rssMB, v.name+"-MB-rss")
					b.ReportMetric(v.stepMs, v.name+"-ms-step")
					b.Logf("%-8s build %6.0f ms  rss %+7.1f MB  step %6.2f ms (%.2fx base)",
						v.name, v.buildMs, v.rssMB, v.stepMs, v.stepMs/vs[0].stepMs)
				}
			}
		})
	}
}

// loraVariant is one model configuration of BenchmarkLoRASession and its
// measurements.
type loraVariant struct {
	name    string
	patches []lora.Patch
	form    sdxl.PatchForm
	perCall func()

	m                      *sdxl.Model
	buildMs, rssMB, stepMs float64
}

// build loads the model and its UNet session, measuring the time and the
// resident memory it adds.
func (v *loraVariant) build(b *testing.B, path string, rt ort.Options) {
	debug.FreeOSMemory()
	before := rssBytes()
	m, err := sdxl.Load(path, sdxl.Options{Patches: byKey(v.patches), PatchForm: v.form, Runtime: rt})
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	if err := m.Prepare(sdxl.NetUNet); err != nil {
		b.Fatal(err)
	}
	v.buildMs = float64(time.Since(t0).Microseconds()) / 1000
	debug.FreeOSMemory()
	v.rssMB = float64(rssBytes()-before) / (1 << 20)
	v.m = m
}

// timeCalls runs rounds of batch-2 UNet calls on a 16×16 latent, one per
// variant in turn, and keeps each variant's median.
func timeCalls(b *testing.B, vs []loraVariant, rounds int) {
	u := vs[0].m.Config.UNet
	x := tensor.New(2, u.InChannels, 16, 16)
	cond := tensor.New(2, 77, u.ContextDim)
	y := tensor.New(2, u.ADMInChannels)
	times := make([][]time.Duration, len(vs))
	for r := 0; r < rounds+1; r++ {
		for k, v := range vs {
			t0 := time.Now()
			if v.perCall != nil {
				v.perCall()
			}
			if _, err := v.m.UNet(context.Background(), x, []float64{500, 500}, cond, y); err != nil {
				b.Fatal(err)
			}
			if r > 0 { // the first round warms up
				times[k] = append(times[k], time.Since(t0))
			}
		}
	}
	for k := range vs {
		slices.Sort(times[k])
		vs[k].stepMs = float64(times[k][len(times[k])/2].Microseconds()) / 1000
	}
}

// transformerLoRA builds random rank-r patches for every linear weight of
// the UNet's transformer blocks, as a typical SDXL LoRA covers.
func transformerLoRA(m *sdxl.Model, r int) []lora.Patch {
	rng := rand.New(rand.NewPCG(1, 2))
	var out []lora.Patch
	for name, ti := range m.Header() {
		if !strings.HasPrefix(name, unetPrefix) || !strings.Contains(name, "transformer_blocks") ||
			!strings.HasSuffix(name, ".weight") || len(ti.Shape) != 2 || strings.Contains(name, ".norm") {
			continue
		}
		up, down := tensor.New(ti.Shape[0], r), tensor.New(r, ti.Shape[1])
		for i := range up.Data {
			up.Data[i] = float32(rng.NormFloat64()) * 0.01
		}
		for i := range down.Data {
			down.Data[i] = float32(rng.NormFloat64()) * 0.01
		}
		out = append(out, lora.Patch{Key: name, Up: up, Down: down, Scale: 0.5, Source: name})
	}
	return out
}

// rssBytes is the process's resident set size.
func rssBytes() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb << 10
		}
	}
	return 0
}
