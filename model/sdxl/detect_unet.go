package sdxl

import (
	"fmt"
	"strings"
)

// detectUNet walks the block lists as ComfyUI's detector does (sdxl.md §3).
func detectUNet(h Header, p string) (*UNetConfig, error) {
	convIn, ok := h[p+"input_blocks.0.0.weight"]
	if !ok {
		return nil, noUNet(h)
	}
	if len(convIn.Shape) != 4 {
		return nil, badShape(p+"input_blocks.0.0.weight", convIn.Shape, []int{-1, -1, 3, 3})
	}
	u := &UNetConfig{ModelChannels: convIn.Shape[0], InChannels: convIn.Shape[1]}
	te, err := shape(h, p+"time_embed.0.weight", 2)
	if err != nil {
		return nil, err
	}
	u.TimeEmbedDim = te[0]
	out, err := shape(h, p+"out.2.weight", 4)
	if err != nil {
		return nil, err
	}
	u.OutChannels = out[0]
	if adm, ok := h[p+"label_emb.0.0.weight"]; ok {
		if len(adm.Shape) != 2 {
			return nil, badShape(p+"label_emb.0.0.weight", adm.Shape, []int{u.TimeEmbedDim, -1})
		}
		u.ADMInChannels = adm.Shape[1]
	}
	if err := u.walkInput(h, p); err != nil {
		return nil, err
	}
	u.walkMiddleOutput(h, p)
	if err := u.detectContext(h, p); err != nil {
		return nil, err
	}
	return u, nil
}

// noUNet explains a file without an LDM UNet.
func noUNet(h Header) error {
	if has(h, "input_blocks.0.0.weight") {
		return &UnsupportedError{Found: "a bare unet without the model.diffusion_model. prefix"}
	}
	for k := range h {
		if strings.HasPrefix(k, prefixUNet) {
			return &UnsupportedError{Found: "an unknown diffusion model layout (no model.diffusion_model.input_blocks.0.0.weight)"}
		}
	}
	return &UnsupportedError{Found: fmt.Sprintf("no diffusion model (no %sinput_blocks.0.0.weight among %d tensors)", prefixUNet, len(h))}
}

// walkInput reads levels, channel multipliers, res blocks and input
// transformer depths: a Downsample block ends a level.
func (u *UNetConfig) walkInput(h Header, p string) error {
	resInLevel, mult := 0, 0
	for k := 1; ; k++ {
		blk := fmt.Sprintf("%sinput_blocks.%d.", p, k)
		if has(h, blk+"0.op.weight") {
			if resInLevel == 0 {
				return &LayoutError{Key: blk + "0.op.weight", Problem: "downsample without res blocks before it"}
			}
			u.ChannelMult = append(u.ChannelMult, mult)
			u.NumResBlocks = append(u.NumResBlocks, resInLevel)
			resInLevel = 0
			continue
		}
		o, ok := h[blk+"0.out_layers.3.weight"]
		if !ok {
			break
		}
		if len(o.Shape) != 4 || o.Shape[0]%u.ModelChannels != 0 {
			return &LayoutError{Key: blk + "0.out_layers.3.weight", Problem: fmt.Sprintf("shape %v is not a multiple of model_channels %d", o.Shape, u.ModelChannels)}
		}
		m := o.Shape[0] / u.ModelChannels
		if resInLevel > 0 && m != mult {
			return &LayoutError{Key: blk + "0.out_layers.3.weight", Problem: fmt.Sprintf("%d channels inside a level of %d", o.Shape[0], mult*u.ModelChannels)}
		}
		mult = m
		resInLevel++
		u.TransformerDepth = append(u.TransformerDepth, countIndexed(h, blk+"1.transformer_blocks."))
	}
	if resInLevel == 0 {
		return &LayoutError{Key: p + "input_blocks.1.0.out_layers.3.weight", Problem: "missing (no res blocks after a downsample)"}
	}
	u.ChannelMult = append(u.ChannelMult, mult)
	u.NumResBlocks = append(u.NumResBlocks, resInLevel)
	return nil
}

// walkMiddleOutput counts the middle and output transformer depths. The
// output list is kept in ComfyUI's order, which is the reverse of the block
// order (its UNet pops the list from the end).
func (u *UNetConfig) walkMiddleOutput(h Header, p string) {
	u.TransformerDepthMiddle = -1
	if has(h, p+"middle_block.1.proj_in.weight") {
		u.TransformerDepthMiddle = countIndexed(h, p+"middle_block.1.transformer_blocks.")
	}
	n := 0
	for _, r := range u.NumResBlocks {
		n += r + 1
	}
	u.TransformerDepthOutput = make([]int, n)
	for k := 0; k < n; k++ {
		u.TransformerDepthOutput[n-1-k] = countIndexed(h, fmt.Sprintf("%soutput_blocks.%d.1.transformer_blocks.", p, k))
	}
}

// firstTransformer is the key prefix of the first spatial transformer.
func (u *UNetConfig) firstTransformer(p string) string {
	k, i := 1, 0
	for _, nrb := range u.NumResBlocks {
		for r := 0; r < nrb; r++ {
			if u.TransformerDepth[i] > 0 {
				return fmt.Sprintf("%sinput_blocks.%d.1.", p, k)
			}
			k++
			i++
		}
		k++ // downsample
	}
	if u.TransformerDepthMiddle > 0 {
		return p + "middle_block.1."
	}
	return ""
}

func (u *UNetConfig) detectContext(h Header, p string) error {
	st := u.firstTransformer(p)
	if st == "" {
		return &UnsupportedError{Found: "a unet without spatial transformers"}
	}
	k, err := shape(h, st+"transformer_blocks.0.attn2.to_k.weight", 2)
	if err != nil {
		return err
	}
	u.ContextDim = k[1]
	pin, ok := h[st+"proj_in.weight"]
	if !ok {
		return missing(st + "proj_in.weight")
	}
	u.UseLinearInTransformer = len(pin.Shape) == 2
	return nil
}

// attentionChannels lists the channel count of every spatial transformer.
func (u *UNetConfig) attentionChannels() []int {
	var out []int
	i := 0
	for level, nrb := range u.NumResBlocks {
		for r := 0; r < nrb; r++ {
			if u.TransformerDepth[i] > 0 {
				out = append(out, u.ChannelMult[level]*u.ModelChannels)
			}
			i++
		}
	}
	return out
}
