package lora

import (
	"strconv"
	"strings"
)

// resnetNames maps the SGM ResBlock module names to diffusers' names.
var resnetNames = map[string]string{
	"in_layers.0": "norm1", "in_layers.2": "conv1", "emb_layers.1": "time_emb_proj",
	"out_layers.0": "norm2", "out_layers.3": "conv2", "skip_connection": "conv_shortcut",
}

// topNames maps the UNet's top-level SGM modules to diffusers' names.
var topNames = map[string]string{
	"time_embed.0": "time_embedding.linear_1", "time_embed.2": "time_embedding.linear_2",
	"label_emb.0.0": "add_embedding.linear_1", "label_emb.0.2": "add_embedding.linear_2",
	"out.0": "conv_norm_out", "out.2": "conv_out", "input_blocks.0.0": "conv_in",
}

// toDiffusers renames an SGM UNet module path (no ".weight") to the
// diffusers path SD 1.5-style LoRAs use, for r res blocks per level.
// Transformer internals keep their names on both sides.
func toDiffusers(path string, r int) (string, bool) {
	if d, ok := topNames[path]; ok {
		return d, true
	}
	parts := strings.SplitN(path, ".", 4)
	switch {
	case len(parts) < 3:
		return "", false
	case parts[0] == "middle_block":
		return middleToDiffusers(parts)
	case parts[0] != "input_blocks" && parts[0] != "output_blocks":
		return "", false
	}
	n, err1 := strconv.Atoi(parts[1])
	m, err2 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || len(parts) < 4 {
		return "", false
	}
	if parts[0] == "input_blocks" {
		return inputToDiffusers(n, m, parts[3], r)
	}
	return outputToDiffusers(n, m, parts[3], r)
}

func inputToDiffusers(n, m int, rest string, r int) (string, bool) {
	if n < 1 {
		return "", false
	}
	i, j := (n-1)/(r+1), (n-1)%(r+1)
	if j == r { // the level's downsampler: input_blocks.N.0.op
		op, ok := strings.CutPrefix(rest, "op")
		if !ok || m != 0 {
			return "", false
		}
		return "down_blocks." + strconv.Itoa(i) + ".downsamplers.0.conv" + op, true
	}
	return blockToDiffusers("down_blocks", i, j, m, rest)
}

func outputToDiffusers(n, m int, rest string, r int) (string, bool) {
	i, j := n/(r+1), n%(r+1)
	if m > 0 && j == r {
		if conv, ok := strings.CutPrefix(rest, "conv"); ok { // upsampler: output_blocks.N.(1|2).conv
			return "up_blocks." + strconv.Itoa(i) + ".upsamplers.0.conv" + conv, true
		}
	}
	return blockToDiffusers("up_blocks", i, j, m, rest)
}

// blockToDiffusers names module m (0 = ResBlock, 1 = transformer) of a block.
func blockToDiffusers(kind string, i, j, m int, rest string) (string, bool) {
	base := kind + "." + strconv.Itoa(i)
	switch m {
	case 0:
		r, ok := resnetRest(rest)
		if !ok {
			return "", false
		}
		return base + ".resnets." + strconv.Itoa(j) + "." + r, true
	case 1:
		return base + ".attentions." + strconv.Itoa(j) + "." + rest, true
	}
	return "", false
}

func middleToDiffusers(parts []string) (string, bool) {
	rest := strings.Join(parts[2:], ".")
	switch parts[1] {
	case "0", "2":
		r, ok := resnetRest(rest)
		if !ok {
			return "", false
		}
		idx := map[string]string{"0": "0", "2": "1"}[parts[1]]
		return "mid_block.resnets." + idx + "." + r, true
	case "1":
		return "mid_block.attentions.0." + rest, true
	}
	return "", false
}

// resnetRest renames the module inside a ResBlock.
func resnetRest(rest string) (string, bool) {
	for sgm, d := range resnetNames {
		if rest == sgm {
			return d, true
		}
		if tail, ok := strings.CutPrefix(rest, sgm+"."); ok {
			return d + "." + tail, true
		}
	}
	return "", false
}
