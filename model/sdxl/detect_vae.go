package sdxl

import (
	"fmt"
	"strings"
)

// detectVAE reads the KL autoencoder's configuration (sdxl.md §3 step 10).
// A file without VAE tensors gives a nil config.
func detectVAE(h Header, p string, arch Architecture) (*VAEConfig, error) {
	if !has(h, p+"decoder.conv_in.weight") {
		return nil, nil
	}
	for k := range h {
		inVAE := strings.HasPrefix(k, p+"encoder.") || strings.HasPrefix(k, p+"decoder.")
		if inVAE && (strings.Contains(k, ".up.") || strings.Contains(k, ".down.")) && strings.Contains(k, ".attn.") {
			return nil, &UnsupportedError{Found: "a vae with attention inside its levels (" + k + ")"}
		}
	}
	cin, err := shape(h, p+"decoder.conv_in.weight", 4)
	if err != nil {
		return nil, err
	}
	cout, err := shape(h, p+"decoder.conv_out.weight", 4)
	if err != nil {
		return nil, err
	}
	v := &VAEConfig{ZChannels: cin[1], Ch: cout[1], OutCh: cout[0], EmbedDim: cin[1], InChannels: cout[0]}
	levels := countIndexed(h, p+"decoder.up.")
	if levels == 0 {
		return nil, missing(p + "decoder.up.0.block.0.conv1.weight")
	}
	for n := 0; n < levels; n++ {
		key := fmt.Sprintf("%sdecoder.up.%d.block.0.conv1.weight", p, n)
		s, err := shape(h, key, 4)
		if err != nil {
			return nil, err
		}
		if v.Ch == 0 || s[0]%v.Ch != 0 {
			return nil, &LayoutError{Key: key, Problem: fmt.Sprintf("%d channels is not a multiple of ch %d", s[0], v.Ch)}
		}
		v.ChMult = append(v.ChMult, s[0]/v.Ch)
	}
	v.NumResBlocks = countIndexed(h, p+"decoder.up.0.block.") - 1
	if v.NumResBlocks < 1 {
		return nil, missing(p + "decoder.up.0.block.1.conv1.weight")
	}
	if pq, ok := h[p+"post_quant_conv.weight"]; ok && len(pq.Shape) == 4 {
		v.EmbedDim = pq.Shape[1]
	}
	if ci, ok := h[p+"encoder.conv_in.weight"]; ok && len(ci.Shape) == 4 {
		v.HasEncoder = true
		v.InChannels = ci.Shape[1]
		if co, ok := h[p+"encoder.conv_out.weight"]; ok && len(co.Shape) == 4 {
			v.DoubleZ = co.Shape[0] == 2*v.ZChannels
		}
	}
	v.Downscale = 1 << (levels - 1)
	v.ScaleFactor = scaleSDXL
	if arch == ArchSD15 {
		v.ScaleFactor = scaleSD15
	}
	return v, nil
}
