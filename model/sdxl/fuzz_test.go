package sdxl

import (
	"strconv"
	"strings"
	"testing"
)

// parseKeyLines reads "name d0,d1,... DTYPE" lines (a compact header form
// for fuzzing); malformed lines are skipped.
func parseKeyLines(s string) Header {
	h := Header{}
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		shape := []int{}
		if f[1] != "-" {
			for _, d := range strings.Split(f[1], ",") {
				n, err := strconv.Atoi(d)
				if err != nil {
					break
				}
				shape = append(shape, n)
			}
		}
		h[f[0]] = TensorInfo{Shape: shape, DType: f[2]}
	}
	return h
}

// FuzzDetect feeds arbitrary headers to Detect: it must return a config or
// an error, never panic.
func FuzzDetect(f *testing.F) {
	const u = prefixUNet
	seeds := []string{
		"",
		u + "input_blocks.0.0.weight 0,4,3,3 F16\n" + u + "time_embed.0.weight 0,0 F16\n" + u + "out.2.weight 4,0,3,3 F16\n" + u + "input_blocks.1.0.out_layers.3.weight 0,0,3,3 F16",
		u + "input_blocks.0.0.weight 32,4,3,3 F16\n" + u + "time_embed.0.weight 128,32 F16\n" + u + "out.2.weight 4,32,3,3 F16\n" +
			u + "input_blocks.1.0.out_layers.3.weight 32,32,3,3 F16\n" + u + "input_blocks.2.0.op.weight 32,32,3,3 F16\n" +
			u + "input_blocks.3.0.out_layers.3.weight 64,64,3,3 F16\n" + u + "input_blocks.3.1.proj_in.weight 64,64 F16\n" +
			u + "input_blocks.3.1.transformer_blocks.0.attn2.to_k.weight 64,192 F16\n" + u + "label_emb.0.0.weight 128,1664 F16\n" +
			u + "middle_block.1.proj_in.weight 64,64 F16\n" + u + "output_blocks.7.1.transformer_blocks.3.x 1 F16\n" +
			"first_stage_model.decoder.conv_in.weight 64,4,3,3 F16\nfirst_stage_model.decoder.conv_out.weight 3,0,3,3 F16\n" +
			"first_stage_model.decoder.up.0.block.0.conv1.weight 32,64,3,3 F16\n" + prefixCLIPL + "embeddings.token_embedding.weight 10,64 F16",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	var real strings.Builder
	for k, v := range sdxlKeys(f) {
		dims := make([]string, len(v.Shape))
		for i, d := range v.Shape {
			dims[i] = strconv.Itoa(d)
		}
		shape := strings.Join(dims, ",")
		if shape == "" {
			shape = "-"
		}
		real.WriteString(k + " " + shape + " " + v.DType + "\n")
	}
	f.Add(real.String())
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Detect(parseKeyLines(s))
		if err == nil && c.UNet == nil {
			t.Fatal("nil error without a unet")
		}
	})
}

// FuzzDetectVAE feeds arbitrary headers to DetectVAE: it must return a
// config or an error, never panic.
func FuzzDetectVAE(f *testing.F) {
	seeds := []string{
		"",
		"decoder.conv_in.weight 0,4,3,3 F16\ndecoder.conv_out.weight 3,0,3,3 F16\ndecoder.up.0.block.0.conv1.weight 0,0,3,3 F16",
		"decoder.conv_in.weight 64,4,3,3 F16\ndecoder.conv_out.weight 3,32,3,3 F16\ndecoder.up.0.block.0.conv1.weight 32,64,3,3 F16\n" +
			"decoder.up.0.block.1.conv1.weight 32,32,3,3 F16\nencoder.conv_in.weight 32,3,3,3 F16\nencoder.conv_out.weight 8,64,3,3 F16",
		"first_stage_model.decoder.conv_in.weight 4 F16\nfirst_stage_model.decoder.up.0.attn.0.q.weight 1 F16",
		"decoder.conv_in.weight 1,1,1,1 I64\ndecoder.up_blocks.0.resnets.0.norm1.weight 1 F16\nlora_unet_x.lora_down.weight 1,1 F16",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, p, err := DetectVAE(parseKeyLines(s))
		if err == nil && (v == nil || (p != "" && p != prefixVAE)) {
			t.Fatalf("nil error with config %v prefix %q", v, p)
		}
	})
}
