package sdxl

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotVAE matches (errors.Is) the *NotVAEError of DetectVAE and LoadVAE
// for a file that holds no KL autoencoder (a LoRA, an embedding, a
// checkpoint without a VAE, ...).
var ErrNotVAE = errors.New("sdxl: not a vae file")

// NotVAEError says what a file without a usable VAE holds instead.
type NotVAEError struct {
	// Reason names what was found, e.g. "a LoRA file (lora_unet_ keys)".
	Reason string
}

func (e *NotVAEError) Error() string { return ErrNotVAE.Error() + ": " + e.Reason }

// Is makes errors.Is(err, ErrNotVAE) true.
func (e *NotVAEError) Is(target error) bool { return target == ErrNotVAE }

// vaePrefixes are the key prefixes a standalone VAE file may use, in the
// order DetectVAE tries them: bare keys (sdxl_vae.safetensors and most VAE
// downloads), then the checkpoint's prefix (VAEs extracted from a checkpoint).
var vaePrefixes = []string{"", prefixVAE}

// DetectVAE finds the KL autoencoder of a standalone VAE file from names and
// shapes, as Detect does inside a checkpoint, and returns its configuration
// and key prefix. Tensors outside the VAE are ignored, so a full checkpoint
// also yields its VAE. ScaleFactor is left 0: the latent format belongs to
// the diffusion model, not to the VAE file.
func DetectVAE(h Header) (*VAEConfig, string, error) {
	for _, p := range vaePrefixes {
		if !has(h, p+"decoder.conv_in.weight") || has(h, p+"decoder.up_blocks.0.resnets.0.norm1.weight") {
			continue
		}
		if err := checkDimsUnder(h, p+"encoder.", p+"decoder.", p+"quant_conv.", p+"post_quant_conv."); err != nil {
			return nil, "", err
		}
		v, err := detectVAE(h, p, "")
		if err != nil {
			return nil, "", err
		}
		v.ScaleFactor = 0
		var l layout
		v.layout(&l, p)
		if err := l.validate(h); err != nil {
			return nil, "", err
		}
		return v, p, nil
	}
	return nil, "", &NotVAEError{Reason: notVAEReason(h)}
}

// notVAEReason names what a file without a usable VAE holds.
func notVAEReason(h Header) string {
	for _, p := range vaePrefixes {
		if has(h, p+"decoder.up_blocks.0.resnets.0.norm1.weight") {
			return "a diffusers-format vae (decoder.up_blocks); use the single-file version (keys decoder.up.N.block.M)"
		}
	}
	var u *UnsupportedError
	if err := rejectForeign(h); errors.As(err, &u) {
		return strings.TrimSuffix(u.Found, ", not a checkpoint")
	}
	if has(h, prefixUNet+"input_blocks.0.0.weight") {
		return "a checkpoint without a vae (no first_stage_model. keys)"
	}
	return fmt.Sprintf("no decoder.conv_in.weight, with or without the %q prefix, among %d tensors", prefixVAE, len(h))
}
