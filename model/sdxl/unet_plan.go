package sdxl

import "fmt"

// block is one entry of the UNet's input, middle or output block lists,
// with the channel counts the detector derived. Both the key layout and the
// graph builder walk the same plan, so they cannot disagree.
type block struct {
	name    string // key stem without prefix, e.g. "input_blocks.4"
	in, out int    // channels in (for output blocks: after the skip concat) and out
	depth   int    // spatial transformer depth, 0 for none
	down    bool   // Downsample block (input side)
	up      bool   // output block ending in an Upsample
	middle  bool   // the middle block (ResBlock, transformer, ResBlock)
	output  bool   // output block: concatenates a skip tensor first
}

// upIndex is the sub-module index of an output block's Upsample: it follows
// the transformer when there is one.
func (b block) upIndex() int {
	if b.depth > 0 {
		return 2
	}
	return 1
}

// blocks lays out every block after conv_in in execution order.
func (u *UNetConfig) blocks() []block {
	var bs []block
	mc := u.ModelChannels
	ch := mc
	skips := []int{mc}
	k, i := 1, 0
	for level, mult := range u.ChannelMult {
		for r := 0; r < u.NumResBlocks[level]; r++ {
			out := mult * mc
			bs = append(bs, block{name: fmt.Sprintf("input_blocks.%d", k), in: ch, out: out, depth: u.TransformerDepth[i]})
			ch = out
			skips = append(skips, ch)
			k++
			i++
		}
		if level < len(u.ChannelMult)-1 {
			bs = append(bs, block{name: fmt.Sprintf("input_blocks.%d", k), in: ch, out: ch, down: true})
			skips = append(skips, ch)
			k++
		}
	}
	bs = append(bs, block{name: "middle_block", in: ch, out: ch, depth: max(u.TransformerDepthMiddle, 0), middle: true})
	k, n := 0, len(u.TransformerDepthOutput)
	for level := len(u.ChannelMult) - 1; level >= 0; level-- {
		for r := 0; r <= u.NumResBlocks[level]; r++ {
			skip := skips[len(skips)-1]
			skips = skips[:len(skips)-1]
			out := u.ChannelMult[level] * mc
			bs = append(bs, block{name: fmt.Sprintf("output_blocks.%d", k), in: ch + skip, out: out,
				depth: u.TransformerDepthOutput[n-1-k], output: true,
				up: level > 0 && r == u.NumResBlocks[level]})
			ch = out
			k++
		}
	}
	return bs
}
