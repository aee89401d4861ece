package sdxl

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"sync"
	"time"

	"sumi/lora"
	"sumi/runtime/onnx"
	"sumi/runtime/ort"
	"sumi/safetensors"
	"sumi/tensor"
)

// ErrNoNetwork is returned when a checkpoint lacks the network a call needs
// (for example EncodeText on a UNet-only file).
var ErrNoNetwork = errors.New("sdxl: checkpoint has no such network")

// Options configure Load.
type Options struct {
	// Graph chooses the compute dtype and attention form of the graphs.
	Graph GraphOptions
	// Runtime configures the ONNX Runtime sessions (provider, threads, ...).
	Runtime ort.Options
	// Cache shares sessions between models; nil gives the model its own.
	// Free and Close release only this checkpoint's sessions.
	Cache *ort.Cache
	// Device names the device in cache keys; "cpu" when empty.
	Device string
	// Patches are weight changes (LoRA) by checkpoint tensor name, applied
	// in order in float32 when a network's graph is built; the checkpoint
	// file is never modified (patch.go).
	Patches map[string][]lora.Patch
	// PatchForm chooses how patched weights enter the graphs (PatchAuto:
	// merged in Go once per session, then fed from host memory on CPU or
	// inlined on CUDA; see patchform.go).
	PatchForm PatchForm
	// PatchInlineBytes caps the inlined patched weights per graph for
	// PatchInline (and PatchAuto on CUDA); 0 means DefaultPatchInlineBytes.
	PatchInlineBytes int64

	// emulateCUDA lets in-package tests run the CUDA graph form on CPU with
	// the CUDA-only operators replaced by equivalents (cuda.go).
	emulateCUDA bool
}

// Model is one opened checkpoint. Sessions are built on first use and kept
// in the cache; its methods are safe for concurrent use.
type Model struct {
	// Config is the detected configuration.
	Config *Config

	path    string // resolved checkpoint path (cache key)
	dataDir string // external-data folder given to ORT
	loc     string // checkpoint location relative to dataDir
	// vaePrefix is where the VAE's tensors live: "first_stage_model." in
	// a checkpoint, often "" in a standalone VAE file.
	vaePrefix string
	file      *safetensors.File
	opts      Options
	cache     *ort.Cache

	mu       sync.Mutex
	closed   bool
	variants map[string]string // patchVariant by network
	builds   map[string]BuildStats

	unetInputs inputCache // the UNet's last context and ADM vector
}

// Load opens a checkpoint, detects its architecture and validates its
// layout. No session is created until a network is first used.
func Load(path string, opts Options) (*Model, error) {
	return open(path, opts, func(h Header) (*Config, string, error) {
		c, err := Detect(h)
		return c, prefixVAE, err
	})
}

// LoadVAE opens a standalone VAE file (models/vae): its tensors with or
// without the checkpoint's "first_stage_model." prefix, any float dtype.
// The returned Model has only Config.VAE; its VAE graphs are those of a
// checkpoint, with the weights read in place from this file. A file
// without a VAE gives an error wrapping ErrNotVAE.
func LoadVAE(path string, opts Options) (*Model, error) {
	return open(path, opts, func(h Header) (*Config, string, error) {
		v, prefix, err := DetectVAE(h)
		if err != nil {
			return nil, "", err
		}
		return &Config{VAE: v}, prefix, nil
	})
}

// open maps a safetensors file and detects what it holds with detect,
// which also names the VAE's key prefix.
func open(path string, opts Options, detect func(Header) (*Config, string, error)) (*Model, error) {
	if opts.Graph.CUDAOnly() && opts.Runtime.Provider != ort.CUDA && !opts.emulateCUDA {
		return nil, fmt.Errorf("%w (provider %q)", ErrCUDAOnly, opts.Runtime.Provider)
	}
	// ORT refuses external data reached through a symlink that leaves the
	// folder, so point it at the real file; the file's own folder is the
	// session's external-data folder and its base name the location.
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil, fmt.Errorf("sdxl: load %s: %w", path, err)
	}
	if real, err = filepath.Abs(real); err != nil {
		return nil, fmt.Errorf("sdxl: load %s: %w", path, err)
	}
	f, err := safetensors.Open(real)
	if err != nil {
		return nil, fmt.Errorf("sdxl: load: %w", err)
	}
	c, prefix, err := detect(HeaderOf(f))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("sdxl: load %s: %w", path, err)
	}
	m := &Model{Config: c, path: real, dataDir: filepath.Dir(real), loc: filepath.Base(real),
		vaePrefix: prefix, file: f, opts: opts, cache: opts.Cache}
	if m.cache == nil {
		m.cache = ort.NewCache()
	}
	if m.opts.Device == "" {
		m.opts.Device = "cpu"
	}
	return m, nil
}

// Free closes every session of this model; they are rebuilt on next use.
func (m *Model) Free() error {
	return m.cache.FreeWhere(func(k ort.Key) bool { return k.Checkpoint == m.path })
}

// Close frees the sessions and unmaps the checkpoint. Using the model
// afterwards returns an error.
func (m *Model) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	err := m.Free()
	if cerr := m.file.Close(); err == nil {
		err = cerr
	}
	return err
}

// session returns the cached session for network, building its graph with
// build on first use.
func (m *Model) session(network string, build func(b *builder) (*onnx.Graph, error)) (*ort.Session, error) {
	m.mu.Lock()
	closed := m.closed
	m.mu.Unlock()
	if closed {
		return nil, errors.New("sdxl: model is closed")
	}
	network += m.opts.Graph.variant() + m.patchVariant(network)
	if m.opts.emulateCUDA {
		network += "/emulated"
	}
	key := ort.Key{Checkpoint: m.path, Network: network, DType: m.opts.Graph.dtype().String(), Device: m.opts.Device}
	return m.cache.Get(key, func() (*ort.Session, error) {
		start := time.Now()
		nb := newBuilder(network, m.file, m.loc, m.opts.Graph)
		nb.emulate = m.opts.emulateCUDA
		nb.patches = m.opts.Patches
		merged, err := m.mergePatches(network, nb.dt)
		if err != nil {
			return nil, err
		}
		nb.merged = merged
		g, err := build(nb)
		if err != nil {
			return nil, err
		}
		built := time.Now()
		s, err := ort.NewSessionFromGraph(g, m.dataDir, m.opts.Runtime, nb.bound...)
		if err != nil {
			return nil, fmt.Errorf("sdxl: %s: %w", network, err)
		}
		m.recordBuild(network, BuildStats{Graph: built.Sub(start), Session: time.Since(built), Nodes: g.NumNodes()})
		return s, nil
	})
}

// BuildStats splits the creation of one session: Graph is sumi's side
// (building the ONNX graph from the header, merging LoRA patches), Session
// is ONNX Runtime's (parsing, optimizing, placing weights on the device).
type BuildStats struct {
	Graph, Session time.Duration
	Nodes          int // nodes of the graph sumi built
}

func (m *Model) recordBuild(network string, st BuildStats) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.builds == nil {
		m.builds = map[string]BuildStats{}
	}
	m.builds[network] = st
}

// Builds reports how each session this Model created was built, keyed by
// the session's network name (e.g. "unet/mha/gn/bsg").
func (m *Model) Builds() map[string]BuildStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.builds)
}

// input converts a float32 tensor to the graph's compute type.
func (m *Model) input(t *tensor.Tensor) *ort.Tensor {
	shape := int64s(t.Shape)
	if m.opts.Graph.dtype() == onnx.Float16 {
		return ort.FromFloat16(shape, t.Data)
	}
	return ort.FromFloat32(shape, t.Data)
}

// output preallocates a result in the compute type.
func (m *Model) output(shape ...int) *ort.Tensor {
	return ort.NewTensor(m.opts.Graph.dtype(), int64s(shape)...)
}

// toTensor reads a result back as float32.
func toTensor(t *ort.Tensor) (*tensor.Tensor, error) {
	data, err := t.Float32()
	if err != nil {
		return nil, fmt.Errorf("sdxl: %w", err)
	}
	shape := make([]int, len(t.Shape))
	for i, d := range t.Shape {
		shape[i] = int(d)
	}
	return tensor.FromData(data, shape...), nil
}

func int64s(s []int) []int64 {
	out := make([]int64, len(s))
	for i, d := range s {
		out[i] = int64(d)
	}
	return out
}
