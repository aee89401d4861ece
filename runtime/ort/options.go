package ort

import (
	"fmt"
	"strconv"

	ortgo "github.com/yalue/onnxruntime_go"
)

// Provider selects the execution provider of a session.
type Provider string

// The execution providers sumi uses.
const (
	CPU  Provider = "cpu"
	CUDA Provider = "cuda"
)

// OptLevel is ONNX Runtime's graph optimization level.
type OptLevel int

// Graph optimization levels; the zero value means ORT's default (all).
const (
	OptAll OptLevel = iota
	OptDisable
	OptBasic
	OptExtended
)

// Options configure a session. The zero value is a CPU session with ORT's
// default threads and full graph optimization.
type Options struct {
	// Provider is CPU (default) or CUDA.
	Provider Provider
	// Threads is the intra-op thread count; 0 lets ORT choose (one per core).
	Threads int
	// InterOpThreads is the inter-op thread count; 0 lets ORT choose.
	InterOpThreads int
	// OptLevel is the graph optimization level (default OptAll). OptDisable
	// keeps external weights memory-mapped and loads fast but skips all
	// fusions (sdxl.md §7.5).
	OptLevel OptLevel
	// DisablePrepacking stops CPU kernels from keeping a repacked copy of
	// constant weights (session.disable_prepacking), trading speed for RAM.
	DisablePrepacking bool
	// Config holds extra session config entries (AddSessionConfigEntry).
	Config map[string]string

	// DeviceID is the CUDA device ordinal (default 0).
	DeviceID int
	// CUDNNConvAlgoSearch is "EXHAUSTIVE", "HEURISTIC" or "DEFAULT"; empty
	// keeps ORT's default (EXHAUSTIVE).
	CUDNNConvAlgoSearch string
	// PreferNHWC asks the CUDA provider to use NHWC kernels where it can.
	PreferNHWC bool
	// GPUMemLimit caps the CUDA arena in bytes; 0 means no limit.
	GPUMemLimit int64
	// ArenaExtendStrategy is "kNextPowerOfTwo" or "kSameAsRequested"; empty
	// keeps ORT's default.
	ArenaExtendStrategy string
	// EnableCUDAGraph captures the graph on the first run (needs fixed
	// shapes and device-resident inputs; see sdxl.md §7.4).
	EnableCUDAGraph bool
	// CUDAExtra holds further CUDA provider options passed unchanged.
	CUDAExtra map[string]string
}

// cudaOptions is the provider option map for the CUDA EP.
func (o Options) cudaOptions() map[string]string {
	m := map[string]string{"device_id": strconv.Itoa(o.DeviceID)}
	if o.CUDNNConvAlgoSearch != "" {
		m["cudnn_conv_algo_search"] = o.CUDNNConvAlgoSearch
	}
	if o.PreferNHWC {
		m["prefer_nhwc"] = "1"
	}
	if o.GPUMemLimit > 0 {
		m["gpu_mem_limit"] = strconv.FormatInt(o.GPUMemLimit, 10)
	}
	if o.ArenaExtendStrategy != "" {
		m["arena_extend_strategy"] = o.ArenaExtendStrategy
	}
	if o.EnableCUDAGraph {
		m["enable_cuda_graph"] = "1"
	}
	for k, v := range o.CUDAExtra {
		m[k] = v
	}
	return m
}

// sessionOptions builds ORT session options for a model whose external
// data lives under dataDir. The caller destroys the result.
func (o Options) sessionOptions(dataDir string) (*ortgo.SessionOptions, error) {
	so, err := ortgo.NewSessionOptions()
	if err != nil {
		return nil, err
	}
	if err := o.apply(so, dataDir); err != nil {
		so.Destroy()
		return nil, err
	}
	return so, nil
}

func (o Options) apply(so *ortgo.SessionOptions, dataDir string) error {
	config := map[string]string{}
	if dataDir != "" {
		config["session.model_external_initializers_file_folder_path"] = dataDir
	}
	if o.DisablePrepacking {
		config["session.disable_prepacking"] = "1"
	}
	for k, v := range o.Config {
		config[k] = v
	}
	for k, v := range config {
		if err := so.AddSessionConfigEntry(k, v); err != nil {
			return fmt.Errorf("config %s=%s: %w", k, v, err)
		}
	}
	if err := o.applyThreads(so); err != nil {
		return err
	}
	levels := map[OptLevel]ortgo.GraphOptimizationLevel{
		OptAll: ortgo.GraphOptimizationLevelEnableAll, OptDisable: ortgo.GraphOptimizationLevelDisableAll,
		OptBasic: ortgo.GraphOptimizationLevelEnableBasic, OptExtended: ortgo.GraphOptimizationLevelEnableExtended,
	}
	level, ok := levels[o.OptLevel]
	if !ok {
		return fmt.Errorf("unknown optimization level %d", o.OptLevel)
	}
	if err := so.SetGraphOptimizationLevel(level); err != nil {
		return err
	}
	switch o.Provider {
	case "", CPU:
		return nil
	case CUDA:
		return appendCUDA(so, o.cudaOptions())
	}
	return fmt.Errorf("unknown provider %q", o.Provider)
}

func (o Options) applyThreads(so *ortgo.SessionOptions) error {
	if o.Threads > 0 {
		if err := so.SetIntraOpNumThreads(o.Threads); err != nil {
			return err
		}
	}
	if o.InterOpThreads > 0 {
		if err := so.SetInterOpNumThreads(o.InterOpThreads); err != nil {
			return err
		}
	}
	return nil
}

func appendCUDA(so *ortgo.SessionOptions, m map[string]string) error {
	co, err := ortgo.NewCUDAProviderOptions()
	if err != nil {
		return fmt.Errorf("cuda provider: %w", err)
	}
	defer co.Destroy()
	if err := co.Update(m); err != nil {
		return fmt.Errorf("cuda provider options %v: %w (the CUDA provider needs `make ort-cuda` and the CUDA 13 libraries)", m, err)
	}
	if err := so.AppendExecutionProviderCUDA(co); err != nil {
		return fmt.Errorf("cuda provider: %w (the CUDA provider needs `make ort-cuda` and the CUDA 13 libraries)", err)
	}
	return nil
}
