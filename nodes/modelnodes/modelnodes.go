// Package modelnodes implements ComfyUI's core nodes that need a model:
// checkpoint, VAE and LoRA loading, text encoding and conditioning, the
// KSampler nodes, VAE decoding and encoding, and latent files. Each spec
// matches ComfyUI's /object_info entry for that class.
//
// Values passed between these nodes: MODEL is a *Model, CLIP a *CLIP, VAE a
// *VAE (a checkpoint's, a standalone models/vae file's, or pixel_space) and
// CONDITIONING a Conditioning. Loaded checkpoints, VAE files and
// textual-inversion embeddings ("embedding:NAME" in CLIPTextEncode, from
// models/embeddings) live in a Cache, which the server frees on POST /free.
package modelnodes

import (
	"log/slog"

	"sumi/folders"
	"sumi/nodes"
)

// Env is what the model nodes need from their surroundings.
type Env struct {
	// Folders is the folder layout (model folders, input, output). Required.
	Folders *folders.Folders
	// Cache holds loaded checkpoints and their sessions; nil makes a new
	// one with default options (CPU).
	Cache *Cache
	// DisableMetadata leaves the prompt and workflow out of saved latents
	// (--disable-metadata).
	DisableMetadata bool
	// Warn receives warnings (LoRA keys that match nothing, prompt
	// embeddings that do not exist); nil logs them with log/slog.
	Warn func(msg string)
}

func (e Env) warn(msg string) {
	if e.Warn != nil {
		e.Warn(msg)
		return
	}
	slog.Warn(msg)
}

// Register adds every node of this package to reg. It panics when one is
// already registered (a programming error found at startup).
func Register(reg *nodes.Registry, env Env) {
	for _, s := range Specs(env) {
		reg.Register(s)
	}
}

// Specs returns the node specs of this package, in registration order.
func Specs(env Env) []nodes.Spec {
	if env.Cache == nil {
		env.Cache = NewCache(CacheOptions{})
	}
	var specs []nodes.Spec
	specs = append(specs, loaderSpecs(env)...)
	specs = append(specs, conditioningSpecs(env)...)
	specs = append(specs, samplerSpecs()...)
	specs = append(specs, vaeSpecs()...)
	specs = append(specs, latentFileSpecs(env)...)
	return specs
}
