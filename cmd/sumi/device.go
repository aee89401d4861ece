package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"sumi/model/sdxl"
	"sumi/nodes/modelnodes"
	"sumi/runtime/onnx"
	"sumi/runtime/ort"
)

// cudaProviderLib is the file `make ort-cuda` puts next to the core library;
// ORT loads it from there when a session asks for the CUDA provider.
const cudaProviderLib = "libonnxruntime_providers_cuda.so"

// modelOptions picks where the model nodes run. "auto" uses CUDA device 0
// when the CUDA provider is installed next to the ORT library and a probe
// session starts on it, else the CPU; --cpu forces the CPU, as in ComfyUI.
func (ff *folderFlags) modelOptions(log io.Writer) (modelnodes.CacheOptions, error) {
	dev := ff.device
	if ff.cpu {
		dev = "cpu"
	}
	lib := ort.LibraryPath(ff.ortLib)
	base := modelnodes.CacheOptions{ORTLib: ff.ortLib}
	switch {
	case dev == "cpu":
		return base, nil
	case dev == "auto" || dev == "":
		if _, err := os.Stat(filepath.Join(filepath.Dir(lib), cudaProviderLib)); err != nil {
			return base, nil
		}
		if err := probeCUDA(lib, 0); err != nil {
			fmt.Fprintf(log, "sumi: CUDA not usable, running on the CPU: %v\n", err)
			return base, nil
		}
		return cudaOptions(base, 0), nil
	}
	id, err := cudaID(dev)
	if err != nil {
		return base, err
	}
	if err := probeCUDA(lib, id); err != nil {
		return base, fmt.Errorf("sumi: --device %s: %w (install the provider with `make ort-cuda`; CUDA 13, cuBLAS and cuRAND must be on the loader path)", dev, err)
	}
	return cudaOptions(base, id), nil
}

// cudaID parses "cuda" or "cuda:N".
func cudaID(dev string) (int, error) {
	if dev == "cuda" {
		return 0, nil
	}
	if n, ok := strings.CutPrefix(dev, "cuda:"); ok {
		if id, err := strconv.Atoi(n); err == nil && id >= 0 {
			return id, nil
		}
	}
	return 0, fmt.Errorf("sumi: --device %q: want auto, cpu, cuda or cuda:N", dev)
}

// cudaOptions runs the UNet and text encoders as float16 graphs with the
// CUDA fusions, and the VAE in float32: SDXL's VAE overflows in float16.
func cudaOptions(base modelnodes.CacheOptions, id int) modelnodes.CacheOptions {
	vae := sdxl.GraphOptions{DType: onnx.Float, Attention: sdxl.AttentionMHA}
	base.Graph = sdxl.CUDAGraphOptions()
	base.VAEGraph = &vae
	base.Runtime = ort.Options{Provider: ort.CUDA, DeviceID: id, PreferNHWC: true}
	base.Device = fmt.Sprintf("cuda:%d", id)
	return base
}

// probeCUDA starts a one-node session on the CUDA provider, so a missing
// CUDA runtime shows at startup and not in the middle of a prompt.
func probeCUDA(lib string, id int) error {
	if err := ort.Init(lib); err != nil {
		return err
	}
	g := onnx.NewGraph("probe")
	x := g.Input("x", onnx.Float, 1)
	g.Output(g.Add(x, x), "y", 1)
	s, err := ort.NewSessionFromGraph(g, os.TempDir(), ort.Options{Provider: ort.CUDA, DeviceID: id})
	if err != nil {
		return err
	}
	return s.Close()
}
