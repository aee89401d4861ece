// Package builtin implements ComfyUI's core nodes that need no model:
// empty latents and images, latent and image resizing, image inversion, and
// loading and saving images (with the prompt and workflow in the PNG). Each
// spec matches ComfyUI's /object_info entry for that class.
//
// Model nodes (checkpoint loading, text encoding, sampling, VAE) live in
// their own files and register through the same Register function.
package builtin

import (
	"math/rand/v2"
	"time"

	"sumi/folders"
	"sumi/nodes"
)

// Env is what the nodes need from their surroundings.
type Env struct {
	// Folders is the input/output/temp layout. Required by LoadImage,
	// SaveImage and PreviewImage.
	Folders *folders.Folders
	// DisableMetadata leaves the prompt and workflow out of saved PNGs
	// (ComfyUI's --disable-metadata).
	DisableMetadata bool
	// Now is the clock for %year%-style filename tokens; nil means time.Now.
	Now func() time.Time
	// RandIntN picks PreviewImage's random name suffix; nil means
	// math/rand/v2.IntN. Tests fix it.
	RandIntN func(n int) int
}

func (e Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e Env) randIntN(n int) int {
	if e.RandIntN != nil {
		return e.RandIntN(n)
	}
	return rand.IntN(n)
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
	var specs []nodes.Spec
	specs = append(specs, latentSpecs()...)
	specs = append(specs, imageSpecs()...)
	specs = append(specs, loadImageSpec(env), saveImageSpec(env), previewImageSpec(env))
	return specs
}
