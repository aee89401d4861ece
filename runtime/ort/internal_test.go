package ort

import (
	"errors"
	"maps"
	"strings"
	"testing"
)

func TestCheckVersion(t *testing.T) {
	for _, tc := range []struct {
		v  string
		ok bool
	}{{"1.29.0", true}, {"1.29.12", true}, {"1.24.3", false}, {"1.290.0", false}, {"2.29.0", false}, {"", false}} {
		err := checkVersion("/x/libonnxruntime.so.1", tc.v)
		if (err == nil) != tc.ok {
			t.Errorf("checkVersion(%q) = %v, want ok=%v", tc.v, err, tc.ok)
		}
		if err != nil && (!errors.Is(err, ErrLibrary) || !strings.Contains(err.Error(), "make ort") || !strings.Contains(err.Error(), EnvLibrary)) {
			t.Errorf("checkVersion(%q) error %q lacks the install hint", tc.v, err)
		}
	}
}

func TestCUDAOptionsMap(t *testing.T) {
	o := Options{Provider: CUDA, DeviceID: 1, CUDNNConvAlgoSearch: "HEURISTIC", PreferNHWC: true,
		GPUMemLimit: 8 << 30, ArenaExtendStrategy: "kSameAsRequested", EnableCUDAGraph: true,
		CUDAExtra: map[string]string{"use_tf32": "0"}}
	want := map[string]string{"device_id": "1", "cudnn_conv_algo_search": "HEURISTIC", "prefer_nhwc": "1",
		"gpu_mem_limit": "8589934592", "arena_extend_strategy": "kSameAsRequested", "enable_cuda_graph": "1", "use_tf32": "0"}
	if got := o.cudaOptions(); !maps.Equal(got, want) {
		t.Errorf("cudaOptions = %v, want %v", got, want)
	}
	if got := (Options{}).cudaOptions(); !maps.Equal(got, map[string]string{"device_id": "0"}) {
		t.Errorf("default cudaOptions = %v", got)
	}
}

func TestEnvLogLevel(t *testing.T) {
	for _, ok := range []string{"", "verbose", "INFO", " warning ", "error", "fatal"} {
		if o, err := envLogLevel(ok); err != nil || o == nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"debug", "0", "all"} {
		if _, err := envLogLevel(bad); err == nil || !strings.Contains(err.Error(), LogEnv) {
			t.Errorf("%q: error %v, want one naming %s", bad, err, LogEnv)
		}
	}
}
