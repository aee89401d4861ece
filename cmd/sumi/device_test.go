package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sumi/nodes/modelnodes"
	"sumi/runtime/ort"
)

// fakeCUDALib lays out a library folder holding the real ORT library and a
// CUDA provider file that cannot load, as on a machine whose CUDA runtime is
// missing or broken.
func fakeCUDALib(t *testing.T) string {
	t.Helper()
	lib := coreOnlyLib(t)
	if err := os.WriteFile(filepath.Join(filepath.Dir(lib), cudaProviderLib), []byte("not a library"), 0o644); err != nil {
		t.Fatal(err)
	}
	return lib
}

// coreOnlyLib lays out a library folder holding only the real ORT library
// (the installed folder may also hold `make ort-cuda`'s providers).
func coreOnlyLib(t *testing.T) string {
	t.Helper()
	real, err := filepath.Abs(ort.LibraryPath(""))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	lib := filepath.Join(dir, "libonnxruntime.so.1")
	if err := os.Symlink(real, lib); err != nil {
		t.Fatal(err)
	}
	return lib
}

func TestModelOptionsDevice(t *testing.T) {
	plain := coreOnlyLib(t)
	broken := fakeCUDALib(t)
	tests := []struct {
		name     string
		ff       folderFlags
		wantDev  string
		wantErr  string
		wantWarn string
	}{
		{"cpu", folderFlags{ortLib: plain, device: "cpu"}, "", "", ""},
		{"--cpu wins over cuda", folderFlags{ortLib: broken, device: "cuda", cpu: true}, "", "", ""},
		{"auto without the CUDA provider", folderFlags{ortLib: plain, device: "auto"}, "", "", ""},
		{"auto with a broken CUDA provider", folderFlags{ortLib: broken, device: "auto"}, "", "", "CUDA not usable"},
		{"cuda that cannot start", folderFlags{ortLib: broken, device: "cuda:0"}, "", "make ort-cuda", ""},
		{"unknown device", folderFlags{ortLib: plain, device: "tpu"}, "", "want auto, cpu, cuda or cuda:N", ""},
		{"bad ordinal", folderFlags{ortLib: plain, device: "cuda:x"}, "", "want auto, cpu, cuda or cuda:N", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var log bytes.Buffer
			o, err := tc.ff.modelOptions(&log)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.Device != tc.wantDev || o.VAEGraph != nil || o.Runtime.Provider == ort.CUDA {
				t.Errorf("options %+v, want the CPU defaults", o)
			}
			if got := log.String(); (tc.wantWarn == "") != (got == "") || !strings.Contains(got, tc.wantWarn) {
				t.Errorf("log %q, want %q", got, tc.wantWarn)
			}
		})
	}
}

func TestCUDAOptionsKeepVAEInFloat32(t *testing.T) {
	o := cudaOptions(modelnodes.CacheOptions{}, 1)
	if o.Device != "cuda:1" || o.Runtime.Provider != ort.CUDA || o.Runtime.DeviceID != 1 {
		t.Errorf("runtime %+v device %q", o.Runtime, o.Device)
	}
	if !o.Graph.CUDAOnly() || o.VAEGraph == nil || o.VAEGraph.CUDAOnly() || o.VAEGraph.DType.String() != "float32" {
		t.Errorf("graph %+v vae %+v: want fused float16 UNet, float32 VAE", o.Graph, o.VAEGraph)
	}
}
