package main

import (
	"errors"
	"sync"

	"sumi/folders"
	"sumi/nodes"
	"sumi/nodes/builtin"
	"sumi/nodes/modelnodes"
)

// registryConfig is what building the node registry needs from the command
// line; serve and run fill it from their flags.
type registryConfig struct {
	// Folders is the folder layout (required).
	Folders *folders.Folders
	// ORTLib is --ort-lib, the ONNX Runtime library the model nodes will
	// load ("" means the runtime's default lookup, SUMI_ORT_LIB).
	ORTLib string
	// DisableMetadata is --disable-metadata: saved PNGs carry no prompt or
	// workflow.
	DisableMetadata bool
	// Models is the loaded-model cache of the model nodes; nil makes one.
	// The server keeps it to free sessions on POST /free.
	Models *modelnodes.Cache
}

// newRegistry builds the registry every command shares, so the server and
// `sumi run` offer exactly the same nodes.
func newRegistry(cfg registryConfig) (*nodes.Registry, error) {
	if cfg.Folders == nil {
		return nil, errors.New("sumi: registry needs folders")
	}
	reg := nodes.NewRegistry()
	builtin.Register(reg, builtin.Env{Folders: cfg.Folders, DisableMetadata: cfg.DisableMetadata})
	models := cfg.Models
	if models == nil {
		models = processModels(cfg.ORTLib)
	}
	modelnodes.Register(reg, modelnodes.Env{Folders: cfg.Folders, Cache: models, DisableMetadata: cfg.DisableMetadata})
	return reg, nil
}

// processModels returns the process's model cache for an ORT library. One
// `sumi run` builds one registry, so this is the same as a fresh cache; it
// lets in-process callers (tests) reuse built sessions.
func processModels(ortLib string) *modelnodes.Cache {
	return processModelsWith(modelnodes.CacheOptions{ORTLib: ortLib})
}

// processModelsWith is processModels for given cache options; one cache per
// library and device.
func processModelsWith(o modelnodes.CacheOptions) *modelnodes.Cache {
	modelsMu.Lock()
	defer modelsMu.Unlock()
	key := o.ORTLib + "\x00" + o.Device
	if c, ok := modelCaches[key]; ok {
		return c
	}
	c := modelnodes.NewCache(o)
	modelCaches[key] = c
	return c
}

var (
	modelsMu    sync.Mutex
	modelCaches = map[string]*modelnodes.Cache{}
)
