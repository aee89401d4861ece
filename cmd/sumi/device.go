package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

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
	d, err := ort.ParseDevice(dev)
	if err != nil || d.Provider != ort.CUDA {
		return base, fmt.Errorf("sumi: --device %q: want auto, cpu, cuda or cuda:N", dev)
	}
	if err := probeCUDA(lib, d.ID); err != nil {
		return base, fmt.Errorf("sumi: --device %s: %w (install the provider with `make ort-cuda`; CUDA 13, cuBLAS and cuRAND must be on the loader path)", dev, err)
	}
	return cudaOptions(base, d.ID), nil
}

// cudaOptions runs the UNet and text encoders as float16 graphs with the
// CUDA fusions, and the VAE in float32: SDXL's VAE overflows in float16.
func cudaOptions(base modelnodes.CacheOptions, id int) modelnodes.CacheOptions {
	vae := sdxl.GraphOptions{DType: onnx.Float, Attention: sdxl.AttentionMHA}
	base.Graph = sdxl.CUDAGraphOptions()
	base.VAEGraph = &vae
	base.Runtime = ort.Options{Provider: ort.CUDA, DeviceID: id, PreferNHWC: true}
	base.Device = ort.Device{Provider: ort.CUDA, ID: id}.Name()
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
