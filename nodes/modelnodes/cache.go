package modelnodes

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"sumi/lora"
	"sumi/model/sdxl"
	"sumi/runtime/ort"
)

// CacheOptions configure how checkpoints are opened.
type CacheOptions struct {
	// ORTLib is the ONNX Runtime library (--ort-lib); "" uses
	// ort.LibraryPath's lookup (SUMI_ORT_LIB, .ort/).
	ORTLib string
	// Graph, Runtime and PatchForm (how LoRA-patched weights enter the
	// graphs; sdxl.PatchAuto by default) are passed to sdxl.Load.
	Graph     sdxl.GraphOptions
	Runtime   ort.Options
	PatchForm sdxl.PatchForm
	// VAEGraph, when set, is the graph form of every VAE (float32 VAEs with
	// float16 UNets on CUDA: SDXL's VAE overflows in float16).
	VAEGraph *sdxl.GraphOptions
	// Device names the device in session cache keys ("cpu" when empty).
	Device string
	// MaxCheckpoints is how many checkpoint files keep their sessions at
	// once; using another one frees the least recently used. 0 means 2.
	MaxCheckpoints int
}

// Cache keeps opened checkpoints (one sdxl.Model per file and patch set)
// and the ONNX Runtime sessions built from them. Free releases the
// sessions; the opened models stay valid and rebuild them on next use.
type Cache struct {
	opts     CacheOptions
	sessions *ort.Cache

	// embeds holds textual-inversion files read for prompts.
	embeds embedCache

	mu      sync.Mutex
	models  map[string]*sdxl.Model // by path + patch fingerprint
	recent  []string               // checkpoint paths, most recent last
	initErr error
	inited  bool
}

// NewCache returns an empty cache.
func NewCache(opts CacheOptions) *Cache {
	if opts.MaxCheckpoints <= 0 {
		opts.MaxCheckpoints = 2
	}
	return &Cache{opts: opts, sessions: ort.NewCache(), models: map[string]*sdxl.Model{}}
}

// initORT loads the runtime library once; the error is kept so every node
// reports it.
func (c *Cache) initORT() error {
	if !c.inited {
		c.inited = true
		if err := ort.Init(ort.LibraryPath(c.opts.ORTLib)); err != nil {
			c.initErr = fmt.Errorf("modelnodes: %w", err)
		}
	}
	return c.initErr
}

// Open returns the model for a checkpoint file with the given weight
// patches (nil for none), opening it on first use.
func (c *Cache) Open(path string, patches []lora.Patch) (*sdxl.Model, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.initORT(); err != nil {
		return nil, err
	}
	key := path + "\x00" + lora.Fingerprint(patches)
	c.touch(path)
	if m, ok := c.models[key]; ok {
		return m, nil
	}
	m, err := sdxl.Load(path, sdxl.Options{Graph: c.opts.Graph, Runtime: c.opts.Runtime,
		Cache: c.sessions, Device: c.opts.Device, Patches: byKey(patches), PatchForm: c.opts.PatchForm})
	if err != nil {
		return nil, fmt.Errorf("modelnodes: %w", err)
	}
	c.models[key] = m
	return m, nil
}

// OpenVAE returns the model for a standalone VAE file (sdxl.LoadVAE),
// opening it on first use. A full checkpoint yields its VAE.
func (c *Cache) OpenVAE(path string) (*sdxl.Model, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.initORT(); err != nil {
		return nil, err
	}
	key := path + "\x00vae"
	c.touch(path)
	if m, ok := c.models[key]; ok {
		return m, nil
	}
	g := c.opts.Graph
	if c.opts.VAEGraph != nil {
		g = *c.opts.VAEGraph
	}
	m, err := sdxl.LoadVAE(path, sdxl.Options{Graph: g, Runtime: c.opts.Runtime,
		Cache: c.sessions, Device: c.opts.Device})
	if err != nil {
		return nil, fmt.Errorf("modelnodes: %w", err)
	}
	c.models[key] = m
	return m, nil
}

// SeparateVAE reports whether VAEs use another graph form than the UNet,
// so a checkpoint's VAE must be opened on its own (OpenVAE).
func (c *Cache) SeparateVAE() bool { return c.opts.VAEGraph != nil }

// byKey groups patches by checkpoint key, keeping their order.
func byKey(ps []lora.Patch) map[string][]lora.Patch {
	if len(ps) == 0 {
		return nil
	}
	out := map[string][]lora.Patch{}
	for _, p := range ps {
		out[p.Key] = append(out[p.Key], p)
	}
	return out
}

// touch marks path as just used and frees the sessions of checkpoints
// beyond MaxCheckpoints (least recently used first). Called with mu held.
func (c *Cache) touch(path string) {
	for i, p := range c.recent {
		if p == path {
			c.recent = append(c.recent[:i], c.recent[i+1:]...)
			break
		}
	}
	c.recent = append(c.recent, path)
	for len(c.recent) > c.opts.MaxCheckpoints {
		old := c.recent[0]
		c.recent = c.recent[1:]
		for key, m := range c.models {
			if strings.HasPrefix(key, old+"\x00") {
				m.Free()
			}
		}
	}
}

// Free closes every session (POST /free with unload_models). Models that
// nodes still hold rebuild their sessions when used again.
func (c *Cache) Free() error {
	c.embeds.clear()
	return c.sessions.FreeAll()
}

// Sessions lists the networks that have a live session, sorted (tests,
// diagnostics).
func (c *Cache) Sessions() []string {
	var out []string
	for _, k := range c.sessions.Keys() {
		out = append(out, k.Network)
	}
	sort.Strings(out)
	return out
}

// Close frees the sessions and closes every opened checkpoint.
func (c *Cache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var first error
	for key, m := range c.models {
		if err := m.Close(); err != nil && first == nil {
			first = err
		}
		delete(c.models, key)
	}
	c.recent = nil
	return first
}
