package bench

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"sumi/internal/testutil"
	"sumi/model/sdxl"
	"sumi/runtime/onnx"
	"sumi/runtime/ort"
)

func TestOptions(t *testing.T) {
	cases := []struct {
		name          string
		o             Options
		err           string
		dt, vdt       onnx.DataType
		fused, nhwc   bool
		width, height int
	}{
		{name: "cpu defaults", o: Options{}, dt: onnx.Float, vdt: onnx.Float, width: 128, height: 128},
		{name: "cpu fp16", o: Options{DType: "float16", NHWC: true}, dt: onnx.Float16, vdt: onnx.Float16, width: 128, height: 128},
		{name: "cuda", o: Options{Device: "cuda:1", Size: "sdxl", NHWC: true}, dt: onnx.Float16, vdt: onnx.Float, fused: true, nhwc: true, width: 1024, height: 1024},
		{name: "cuda plain fp16 vae", o: Options{Device: "cuda", Size: "sdxl", Plain: true, VAEDType: "fp16", Width: 832, Height: 1216}, dt: onnx.Float16, vdt: onnx.Float16, width: 832, height: 1216},
		{name: "bad device", o: Options{Device: "cuda:x"}, err: "device"},
		{name: "bad dtype", o: Options{DType: "bf16"}, err: "dtype"},
		{name: "bad resolution", o: Options{Width: 100, Height: 64}, err: "multiples of 8"},
		{name: "bad steps", o: Options{Steps: -1}, err: "steps"},
		{name: "cuda graph on cpu", o: Options{CUDAGraph: true}, err: "cuda-graph"},
		{name: "bad cudnn search", o: Options{Device: "cuda", CUDNNSearch: "fast"}, err: "cudnn search"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.CacheDir = t.TempDir()
			o, err := tc.o.withDefaults()
			var d ort.Device
			if err == nil {
				d, err = parseDevice(o.Device)
			}
			var main, vae sdxl.GraphOptions
			if err == nil {
				main, vae, err = o.graphs(d)
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want one mentioning %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			rt := o.runtime(d)
			got := []any{main.DType, vae.DType, main.CUDAOnly(), vae.CUDAOnly(), rt.PreferNHWC, o.Width, o.Height}
			want := []any{tc.dt, tc.vdt, tc.fused, tc.fused, tc.nhwc, tc.width, tc.height}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("dtype, vae dtype, fused, vae fused, nhwc, width, height = %v, want %v", got, want)
					break
				}
			}
			if (d.Provider == ort.CUDA) != strings.HasPrefix(tc.o.Device, "cuda") {
				t.Errorf("provider %s for device %q", d.Provider, tc.o.Device)
			}
		})
	}
}

func TestParseResolution(t *testing.T) {
	if w, h, err := ParseResolution("832x1216"); err != nil || w != 832 || h != 1216 {
		t.Errorf("832x1216: %d %d %v", w, h, err)
	}
	for _, bad := range []string{"", "1024", "x", "10x", "axb", "1024*1024"} {
		if _, _, err := ParseResolution(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// BenchmarkUNetStepSmall times the batch-2 UNet call on the small
// synthetic model at 128×128 in each CPU-runnable graph form, on one
// intra-op thread. cpu-ms/op (process CPU time per call) is the number to
// compare on a shared machine, where wall time mostly measures neighbours.
func BenchmarkUNetStepSmall(b *testing.B) {
	testutil.InitORT(b)
	path := filepath.Join(b.TempDir(), "small.safetensors")
	sc, _ := sdxl.SynthConfigByName(sdxl.SynthSmall)
	if _, err := sdxl.WriteSynthetic(path, sc); err != nil {
		b.Fatal(err)
	}
	forms := []struct {
		name string
		g    sdxl.GraphOptions
	}{
		{"float32", sdxl.GraphOptions{DType: onnx.Float}},
		{"float32-mha", sdxl.GraphOptions{DType: onnx.Float, Attention: sdxl.AttentionMHA}},
		{"float16", sdxl.GraphOptions{DType: onnx.Float16}},
		{"float16-mha", sdxl.GraphOptions{DType: onnx.Float16, Attention: sdxl.AttentionMHA}},
	}
	for _, f := range forms {
		b.Run(f.name, func(b *testing.B) {
			m, err := sdxl.Load(path, sdxl.Options{Graph: f.g, Runtime: ort.Options{Threads: 1}})
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			p := &Pipeline{Model: m}
			ctx := context.Background()
			pos, err := p.Encode(ctx, benchPositive, 128, 128)
			if err != nil {
				b.Fatal(err)
			}
			x := randomLatent(2, 4, 16, 16)
			net := unetNet{m: m}
			if _, err := net.Predict(ctx, x, 500, []any{pos, pos}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			cpu := cpuTime()
			for range b.N {
				if _, err := net.Predict(ctx, x, 500, []any{pos, pos}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestCUDNNSearchReachesTheProvider(t *testing.T) {
	o, err := Options{Device: "cuda", CUDNNSearch: "heuristic", CacheDir: t.TempDir()}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	d, _ := parseDevice(o.Device)
	if got := o.runtime(d).CUDNNConvAlgoSearch; got != "HEURISTIC" {
		t.Errorf("cuda: cudnn_conv_algo_search %q, want HEURISTIC", got)
	}
	o.Device = "cpu"
	d, _ = parseDevice(o.Device)
	if got := o.runtime(d).CUDNNConvAlgoSearch; got != "" {
		t.Errorf("cpu: cudnn_conv_algo_search %q, want none", got)
	}
}
