package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"sumi/bench"
)

func init() {
	register("bench", command{summary: "time the SDXL networks on a synthetic checkpoint", run: runBench})
}

func runBench(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o bench.Options
	fs.StringVar(&o.Device, "device", "cpu", "cpu, cuda or cuda:N")
	fs.StringVar(&o.Size, "size", "small", "small (reduced model, CPU-friendly) or sdxl (real SDXL shapes, 6.9 GB)")
	fs.IntVar(&o.Steps, "steps", 25, "euler_ancestral steps of the end-to-end run")
	res := fs.String("resolution", "", "end-to-end image size WxH (default 1024x1024; small: 128x128)")
	fs.StringVar(&o.ORTLib, "ort-lib", "", "ONNX Runtime library (default $SUMI_ORT_LIB, then .ort/)")
	fs.StringVar(&o.CacheDir, "cache-dir", "", "where generated checkpoints are kept (default $XDG_CACHE_HOME/sumi)")
	fs.StringVar(&o.DType, "dtype", "", "UNet and text encoder precision: float32 or float16 (default: float16 on CUDA, float32 on CPU)")
	fs.StringVar(&o.VAEDType, "vae-dtype", "", "VAE precision (default float32; on CPU the --dtype)")
	fs.BoolVar(&o.Plain, "plain", false, "CUDA: no contrib fusions (plain attention, GroupNorm and GEGLU)")
	fs.BoolVar(&o.NHWC, "nhwc", true, "CUDA: set the provider's prefer_nhwc")
	fs.StringVar(&o.CUDNNSearch, "cudnn-search", "", "CUDA: cudnn_conv_algo_search, exhaustive (ORT's default), heuristic or default")
	fs.BoolVar(&o.CUDAGraph, "cuda-graph", false, "CUDA: time only the UNet step with CUDA graph capture on (timing only: replays reuse the captured inputs)")
	fs.IntVar(&o.Threads, "threads", 0, "CPU intra-op threads (0: one per core)")
	fs.IntVar(&o.Runs, "runs", 3, "timed runs per step/decode measurement after a warm-up")
	quiet := fs.Bool("q", false, "no progress lines on stderr")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sumi bench [flags]")
		fmt.Fprintln(stderr, "Generates (once, cached) a synthetic SDXL-layout checkpoint and prints one JSON line of timings.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	if *res != "" {
		w, h, err := bench.ParseResolution(*res)
		if err != nil {
			fmt.Fprintf(stderr, "sumi bench: %v\n", err)
			return 2
		}
		o.Width, o.Height = w, h
	}
	if !*quiet {
		o.Log = stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	r, err := bench.Run(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "sumi bench: %v\n", err)
		return 1
	}
	if err := json.NewEncoder(stdout).Encode(r); err != nil {
		fmt.Fprintf(stderr, "sumi bench: %v\n", err)
		return 1
	}
	return 0
}
