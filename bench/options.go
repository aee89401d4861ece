package bench

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"sumi/model/sdxl"
	"sumi/runtime/onnx"
	"sumi/runtime/ort"
)

// Options configure Run. The zero value (after defaults) is the small
// model on CPU in float32, 25 steps.
type Options struct {
	// Device is "cpu", "cuda" or "cuda:N".
	Device string
	// Size is sdxl.SynthSmall or sdxl.SynthSDXL.
	Size string
	// Steps is the end-to-end step count (default 25).
	Steps int
	// Width and Height are the end-to-end image size (EmptyLatentImage's
	// width/height); zero takes the size's default (SDXL 1024×1024, small
	// 128×128). Step times are measured at the two reference sizes and at
	// this one.
	Width, Height int
	// CacheDir holds the generated checkpoints (default
	// $XDG_CACHE_HOME/sumi, else ~/.cache/sumi).
	CacheDir string
	// ORTLib is the ONNX Runtime library (ort.LibraryPath rules).
	ORTLib string
	// DType is the UNet/text-encoder compute type: "" picks float16 on
	// CUDA and float32 on CPU.
	DType string
	// VAEDType is the VAE decoder's compute type: "" picks float32 (SDXL's
	// VAE overflows in float16) except on CPU where it follows DType.
	VAEDType string
	// Plain disables the CUDA fusions (contrib GroupNorm, BiasSplitGelu,
	// MultiHeadAttention) to measure what they bring.
	Plain bool
	// NHWC sets the CUDA provider's prefer_nhwc.
	NHWC bool
	// CUDNNSearch is the CUDA provider's cudnn_conv_algo_search
	// (EXHAUSTIVE, HEURISTIC or DEFAULT; empty keeps ORT's EXHAUSTIVE): the
	// first step at each new image size pays for the search.
	CUDNNSearch string
	// CUDAGraph measures only the UNet step, with the provider's CUDA graph
	// capture on (see measureCUDAGraph): what removing launch gaps would
	// save.
	CUDAGraph bool
	// Threads is the CPU intra-op thread count (0: ORT's default).
	Threads int
	// Runs is how many timed runs each step/decode measurement takes
	// after its warm-up (default 3).
	Runs int
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// Reference sizes of the report (issue 10): square and SDXL's portrait bucket.
var referenceSizes = [][2]int{{1024, 1024}, {832, 1216}}

// smallScale divides the reference sizes for the small model: an eighth of
// each side (128×128 and 104×152, latents 16×16 and 13×19, the second
// exercising odd latent sizes) keeps the whole run within seconds on two
// cores.
const smallScale = 8

func (o Options) withDefaults() (Options, error) {
	if o.Device == "" {
		o.Device = "cpu"
	}
	if o.Size == "" {
		o.Size = sdxl.SynthSmall
	}
	if o.Steps == 0 {
		o.Steps = 25
	}
	if o.Runs <= 0 {
		o.Runs = 3
	}
	if o.Steps < 1 || o.Steps > 1000 {
		return o, fmt.Errorf("bench: steps %d not in 1..1000", o.Steps)
	}
	if o.Width == 0 && o.Height == 0 {
		o.Width, o.Height = o.scaled(referenceSizes[0])
	}
	if o.Width < 64 || o.Height < 64 || o.Width%8 != 0 || o.Height%8 != 0 || o.Width > 8192 || o.Height > 8192 {
		return o, fmt.Errorf("bench: resolution %dx%d: want multiples of 8 in 64..8192", o.Width, o.Height)
	}
	switch o.CUDNNSearch = strings.ToUpper(o.CUDNNSearch); o.CUDNNSearch {
	case "", "EXHAUSTIVE", "HEURISTIC", "DEFAULT":
	default:
		return o, fmt.Errorf("bench: cudnn search %q: want exhaustive, heuristic or default", o.CUDNNSearch)
	}
	if o.CUDAGraph && !strings.HasPrefix(o.Device, "cuda") {
		return o, fmt.Errorf("bench: --cuda-graph needs a cuda device, not %q", o.Device)
	}
	if o.CacheDir == "" {
		dir, err := defaultCacheDir()
		if err != nil {
			return o, err
		}
		o.CacheDir = dir
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return o, nil
}

func (o Options) scaled(wh [2]int) (int, int) {
	if o.Size == sdxl.SynthSmall {
		return wh[0] / smallScale, wh[1] / smallScale
	}
	return wh[0], wh[1]
}

func defaultCacheDir() (string, error) {
	if x := os.Getenv("XDG_CACHE_HOME"); x != "" {
		return filepath.Join(x, "sumi"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("bench: no cache directory (set --cache-dir or XDG_CACHE_HOME): %w", err)
	}
	return filepath.Join(home, ".cache", "sumi"), nil
}

// ParseResolution reads "WxH".
func ParseResolution(s string) (w, h int, err error) {
	a, b, ok := strings.Cut(strings.ToLower(s), "x")
	if ok {
		w, err = strconv.Atoi(a)
		if err == nil {
			h, err = strconv.Atoi(b)
		}
	}
	if !ok || err != nil {
		return 0, 0, fmt.Errorf("bench: resolution %q: want WIDTHxHEIGHT, e.g. 1024x1024", s)
	}
	return w, h, nil
}

// device is a parsed --device.
// parseDevice reads --device ("cpu", "cuda", "cuda:N").
func parseDevice(s string) (ort.Device, error) {
	d, err := ort.ParseDevice(s)
	if err != nil {
		return d, fmt.Errorf("bench: %w", err)
	}
	return d, nil
}

func parseDType(s string) (onnx.DataType, error) {
	switch s {
	case "float32", "fp32":
		return onnx.Float, nil
	case "float16", "fp16":
		return onnx.Float16, nil
	}
	return 0, fmt.Errorf("bench: dtype %q: want float32 or float16", s)
}

// graphs picks the graph options of the UNet/text model and of the VAE.
func (o Options) graphs(d ort.Device) (main, vae sdxl.GraphOptions, err error) {
	dt, vdt := onnx.Float, onnx.Float
	if d.Provider == ort.CUDA {
		dt = onnx.Float16
	}
	if o.DType != "" {
		if dt, err = parseDType(o.DType); err != nil {
			return main, vae, err
		}
	}
	if d.Provider == ort.CPU {
		vdt = dt
	}
	if o.VAEDType != "" {
		if vdt, err = parseDType(o.VAEDType); err != nil {
			return main, vae, err
		}
	}
	main, vae = sdxl.GraphOptions{DType: dt}, sdxl.GraphOptions{DType: vdt}
	if d.Provider == ort.CUDA && !o.Plain {
		main, vae = sdxl.CUDAGraphOptions(), sdxl.CUDAGraphOptions()
		main.DType, vae.DType = dt, vdt
	}
	return main, vae, nil
}

// runtime is the ORT session configuration for d.
func (o Options) runtime(d ort.Device) ort.Options {
	rt := ort.Options{Provider: d.Provider, Threads: o.Threads, DeviceID: d.ID, PreferNHWC: o.NHWC && d.Provider == ort.CUDA,
		EnableCUDAGraph: o.CUDAGraph && d.Provider == ort.CUDA}
	if d.Provider == ort.CUDA {
		rt.CUDNNConvAlgoSearch = o.CUDNNSearch
	}
	if d.Provider == ort.CPU {
		// Each fp32 CPU session folds the weight casts once; prepacked
		// copies would double the weights again.
		rt.DisablePrepacking = o.Size == sdxl.SynthSDXL
	}
	return rt
}
