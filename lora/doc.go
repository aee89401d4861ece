// Package lora reads LoRA adapter files (kohya / A1111 / diffusers key
// names) and turns them into weight patches for a Stable Diffusion
// checkpoint, with ComfyUI's key mapping and arithmetic:
//
//	W' = W + strength · (alpha/rank) · (up @ down)
//
// computed in float32 (scale 1 when a LoRA has no alpha). The checkpoint is
// never rewritten: a Patch names the checkpoint tensor (and, for OpenCLIP's
// fused q/k/v projection, the rows) it changes, and the consumer merges it
// in Go (Merge, the parallel form of Apply) or emits the sum into its
// compute graph (package sdxl does either, see sdxl.PatchForm).
//
//	f, err := lora.Open(path)
//	km := lora.NewKeyMap(shapes) // checkpoint tensor name -> shape
//	set, err := f.Patches(km, strengthModel, strengthClip)
//	// set.UNet and set.Text hold the patches; set.Unmatched the ignored keys
//
// A LoRA none of whose keys names a weight of the checkpoint is an error
// (ErrNoMatch): it is almost always a LoRA for another architecture.
// ComfyUI only logs "lora key not loaded" for each key in that case.
package lora
