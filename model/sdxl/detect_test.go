package sdxl

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const (
	fixtureDir   = "../../testdata/tiny-sdxl/"
	tinyCkpt     = fixtureDir + "tiny-sdxl-A.safetensors"
	tinyMultiCkp = fixtureDir + "tiny-sdxl-A-unet-multihead.safetensors"
	sdxlKeysFile = "../../testdata/spec/sdxl_keys.txt"
)

// modelInfo is the part of model_info.json the detector must reproduce.
type modelInfo struct {
	Unet  map[string]any `json:"detected_unet_config"`
	CLIPL map[string]any `json:"clip_l"`
	CLIPG map[string]any `json:"clip_g"`
	VAE   map[string]any `json:"vae_ddconfig"`
	Scale struct {
		ScaleFactor float64 `json:"scale_factor"`
	} `json:"latent_format"`
	Multi struct {
		Unet map[string]any `json:"detected_unet_config"`
	} `json:"unet_multihead"`
}

func readModelInfo(t *testing.T) modelInfo {
	t.Helper()
	b, err := os.ReadFile(fixtureDir + "model_info.json")
	if err != nil {
		t.Fatal(err)
	}
	var mi modelInfo
	if err := json.Unmarshal(b, &mi); err != nil {
		t.Fatal(err)
	}
	return mi
}

// asMap round-trips v through JSON so it compares with model_info.json.
func asMap(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// compareFields checks that every field of want that got also has is equal,
// and that at least the listed fields are present.
func compareFields(t *testing.T, what string, got, want map[string]any, required ...string) {
	t.Helper()
	for _, k := range required {
		if _, ok := got[k]; !ok {
			t.Errorf("%s: field %q missing", what, k)
		}
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			continue
		}
		wb, _ := json.Marshal(w)
		gb, _ := json.Marshal(g)
		if string(wb) != string(gb) {
			t.Errorf("%s.%s = %s, want %s", what, k, gb, wb)
		}
	}
}

var unetFields = []string{"in_channels", "out_channels", "model_channels", "channel_mult", "num_res_blocks",
	"transformer_depth", "transformer_depth_middle", "transformer_depth_output", "context_dim",
	"adm_in_channels", "use_linear_in_transformer"}

var clipFields = []string{"hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
	"hidden_act", "projection_dim", "vocab_size", "max_position_embeddings"}

func TestDetectTinyFixtures(t *testing.T) {
	mi := readModelInfo(t)
	c, err := Inspect(tinyCkpt)
	if err != nil {
		t.Fatal(err)
	}
	if c.Architecture != ArchSDXL || c.Prediction != PredEps {
		t.Errorf("architecture %s prediction %s, want sdxl eps", c.Architecture, c.Prediction)
	}
	compareFields(t, "unet", asMap(t, c.UNet), mi.Unet, unetFields...)
	if c.UNet.NumHeadChannels != 64 || c.UNet.Heads(64) != 1 {
		t.Errorf("head rule: num_head_channels %d, heads(64) %d", c.UNet.NumHeadChannels, c.UNet.Heads(64))
	}
	compareFields(t, "clip_l", asMap(t, c.CLIPL), mi.CLIPL, clipFields...)
	compareFields(t, "clip_g", asMap(t, c.CLIPG), mi.CLIPG, clipFields...)
	compareFields(t, "vae", asMap(t, c.VAE), mi.VAE, "ch", "ch_mult", "num_res_blocks", "z_channels", "double_z", "in_channels", "out_ch")
	if c.VAE.ScaleFactor != mi.Scale.ScaleFactor || c.VAE.Downscale != 2 {
		t.Errorf("vae scale %v downscale %d, want %v and 2", c.VAE.ScaleFactor, c.VAE.Downscale, mi.Scale.ScaleFactor)
	}

	m, err := Inspect(tinyMultiCkp)
	if err != nil {
		t.Fatal(err)
	}
	compareFields(t, "multihead unet", asMap(t, m.UNet), mi.Multi.Unet, unetFields...)
	if m.CLIPL != nil || m.CLIPG != nil || m.VAE != nil {
		t.Errorf("unet-only file: got text encoders or vae: %+v", m)
	}
	if m.UNet.Heads(128) != 2 {
		t.Errorf("multihead: heads(128) = %d, want 2", m.UNet.Heads(128))
	}
}

// sdxlKeys reads testdata/spec/sdxl_keys.txt: "name [d0,d1] DTYPE" lines.
func sdxlKeys(t testing.TB) Header {
	t.Helper()
	f, err := os.Open(sdxlKeysFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := Header{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Fields(line)
		if len(parts) != 3 {
			t.Fatalf("bad line %q", line)
		}
		shape := []int{}
		if dims := strings.Trim(parts[1], "[]"); dims != "" {
			for _, d := range strings.Split(dims, ",") {
				n, err := strconv.Atoi(d)
				if err != nil {
					t.Fatalf("bad line %q", line)
				}
				shape = append(shape, n)
			}
		}
		h[parts[0]] = TensorInfo{Shape: shape, DType: parts[2]}
	}
	return h
}

func TestDetectRealSDXLLayout(t *testing.T) {
	h := sdxlKeys(t)
	c, err := Detect(h)
	if err != nil {
		t.Fatal(err)
	}
	u := c.UNet
	checks := []struct {
		name      string
		got, want any
	}{
		{"arch", c.Architecture, ArchSDXL},
		{"model_channels", u.ModelChannels, 320},
		{"channel_mult", u.ChannelMult, []int{1, 2, 4}},
		{"num_res_blocks", u.NumResBlocks, []int{2, 2, 2}},
		{"transformer_depth", u.TransformerDepth, []int{0, 0, 2, 2, 10, 10}},
		{"transformer_depth_middle", u.TransformerDepthMiddle, 10},
		{"transformer_depth_output", u.TransformerDepthOutput, []int{0, 0, 0, 2, 2, 2, 10, 10, 10}},
		{"context_dim", u.ContextDim, 2048},
		{"adm", u.ADMInChannels, 2816},
		{"heads 640", u.Heads(640), 10},
		{"heads 1280", u.Heads(1280), 20},
		{"clip_l", *c.CLIPL, CLIPConfig{HiddenSize: 768, NumHiddenLayers: 12, NumAttentionHeads: 12, IntermediateSize: 3072,
			HiddenAct: "quick_gelu", ProjectionDim: 768, VocabSize: 49408, MaxPositionEmbeddings: 77}},
		{"clip_g", *c.CLIPG, CLIPConfig{HiddenSize: 1280, NumHiddenLayers: 32, NumAttentionHeads: 20, IntermediateSize: 5120,
			HiddenAct: "gelu", ProjectionDim: 1280, VocabSize: 49408, MaxPositionEmbeddings: 77, HasProjection: true}},
		{"vae ch_mult", c.VAE.ChMult, []int{1, 2, 4, 4}},
		{"vae", [...]int{c.VAE.Ch, c.VAE.NumResBlocks, c.VAE.ZChannels, c.VAE.Downscale}, [...]int{128, 2, 4, 8}},
	}
	for _, tc := range checks {
		gb, _ := json.Marshal(tc.got)
		wb, _ := json.Marshal(tc.want)
		if string(gb) != string(wb) {
			t.Errorf("%s = %s, want %s", tc.name, gb, wb)
		}
	}
	// The layout the graphs read is exactly the real key list, less the
	// two tensors no network uses.
	var want []string
	for k := range h {
		if !strings.HasSuffix(k, "position_ids") && !strings.HasSuffix(k, "logit_scale") {
			want = append(want, k)
		}
	}
	var got []string
	for _, s := range c.tensors() {
		got = append(got, s.key)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("layout has %d keys, sdxl_keys.txt %d (less optional)", len(got), len(want))
	}
}

func TestDetectPredictionMarkers(t *testing.T) {
	cases := []struct {
		name  string
		keys  []string
		pred  Prediction
		ztsnr bool
	}{
		{"eps", nil, PredEps, false},
		{"v", []string{"v_pred"}, PredV, false},
		{"v ztsnr", []string{"v_pred", "ztsnr"}, PredV, true},
		{"edm v", []string{"edm_vpred.sigma_max", "edm_vpred.sigma_min"}, PredVEDM, false},
		{"edm", []string{"edm_mean", "edm_std"}, PredEDM, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := sdxlKeys(t)
			for _, k := range tc.keys {
				h[k] = TensorInfo{Shape: []int{}, DType: "F32"}
			}
			c, err := Detect(h)
			if err != nil {
				t.Fatal(err)
			}
			if c.Prediction != tc.pred || c.ZeroTerminalSNR != tc.ztsnr {
				t.Errorf("got %s ztsnr=%v, want %s ztsnr=%v", c.Prediction, c.ZeroTerminalSNR, tc.pred, tc.ztsnr)
			}
		})
	}
}

func TestDetectErrors(t *testing.T) {
	const u = prefixUNet
	cases := []struct {
		name   string
		edit   func(h Header)
		unsupp string // substring of UnsupportedError.Found
		key    string // LayoutError.Key
	}{
		{"flux", func(h Header) { h[u+"double_blocks.0.img_attn.qkv.weight"] = TensorInfo{[]int{9, 3}, "F16"} }, "flux", ""},
		{"sd3", func(h Header) { h[u+"joint_blocks.0.x_block.attn.qkv.weight"] = TensorInfo{[]int{9, 3}, "F16"} }, "sd3", ""},
		{"sd2", func(h Header) { setCtx(h, 1024); delete(h, u+"label_emb.0.0.weight") }, "stable diffusion 2", ""},
		{"refiner", func(h Header) { setCtx(h, 1280); h[u+"label_emb.0.0.weight"] = TensorInfo{[]int{1280, 2560}, "F16"} }, "refiner", ""},
		{"lora", func(h Header) {
			clear(h)
			h["lora_unet_down_blocks_0.lora_down.weight"] = TensorInfo{[]int{4, 4}, "F16"}
		}, "LoRA", ""},
		{"empty", func(h Header) { clear(h) }, "no diffusion model", ""},
		{"missing attn2", func(h Header) { delete(h, u+"output_blocks.4.1.transformer_blocks.1.attn2.to_v.weight") }, "", u + "output_blocks.4.1.transformer_blocks.1.attn2.to_v.weight"},
		{"missing clip g", func(h Header) { delete(h, prefixCLIPG+"transformer.resblocks.7.mlp.c_fc.bias") }, "", prefixCLIPG + "transformer.resblocks.7.mlp.c_fc.bias"},
		{"missing vae", func(h Header) { delete(h, prefixVAE+"decoder.up.2.upsample.conv.weight") }, "", prefixVAE + "decoder.up.2.upsample.conv.weight"},
		{"wrong shape", func(h Header) { h[u+"middle_block.0.in_layers.2.weight"] = TensorInfo{[]int{1280, 1280, 3, 1}, "F16"} }, "", u + "middle_block.0.in_layers.2.weight"},
		{"wrong rank", func(h Header) { h[u+"time_embed.0.weight"] = TensorInfo{[]int{1280}, "F16"} }, "", u + "time_embed.0.weight"},
		{"wrong dtype", func(h Header) { h[prefixCLIPL+"final_layer_norm.weight"] = TensorInfo{[]int{768}, "I64"} }, "", prefixCLIPL + "final_layer_norm.weight"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := sdxlKeys(t)
			tc.edit(h)
			_, err := Detect(h)
			if err == nil {
				t.Fatal("no error")
			}
			var ue *UnsupportedError
			var le *LayoutError
			switch {
			case tc.unsupp != "":
				if !errors.As(err, &ue) || !strings.Contains(ue.Found, tc.unsupp) {
					t.Errorf("error %v, want unsupported %q", err, tc.unsupp)
				}
			case !errors.As(err, &le) || le.Key != tc.key:
				t.Errorf("error %v, want layout error for %q", err, tc.key)
			}
		})
	}
}

// setCtx rewrites every cross-attention k/v width.
func setCtx(h Header, ctx int) {
	for k, v := range h {
		if strings.Contains(k, "attn2.to_k") || strings.Contains(k, "attn2.to_v") {
			h[k] = TensorInfo{[]int{v.Shape[0], ctx}, v.DType}
		}
	}
}

// TestDetectSD15RoundTrip builds SD 1.5's key layout from its known
// configuration and checks that detection reads the same configuration back.
func TestDetectSD15RoundTrip(t *testing.T) {
	want := &Config{Architecture: ArchSD15, Prediction: PredEps,
		UNet: &UNetConfig{InChannels: 4, OutChannels: 4, ModelChannels: 320, ChannelMult: []int{1, 2, 4, 4},
			NumResBlocks: []int{2, 2, 2, 2}, TransformerDepth: []int{1, 1, 1, 1, 1, 1, 0, 0}, TransformerDepthMiddle: 1,
			TransformerDepthOutput: []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0}, ContextDim: 768,
			NumHeadChannels: -1, NumHeads: 8, TimeEmbedDim: 1280},
		CLIPL: &CLIPConfig{HiddenSize: 768, NumHiddenLayers: 12, NumAttentionHeads: 12, IntermediateSize: 3072,
			HiddenAct: "quick_gelu", ProjectionDim: 768, VocabSize: 49408, MaxPositionEmbeddings: 77},
		VAE: &VAEConfig{Ch: 128, ChMult: []int{1, 2, 4, 4}, NumResBlocks: 2, ZChannels: 4, EmbedDim: 4, InChannels: 3,
			OutCh: 3, DoubleZ: true, Downscale: 8, ScaleFactor: scaleSD15, HasEncoder: true},
	}
	h := Header{}
	for _, s := range want.tensors() {
		h[s.key] = TensorInfo{Shape: s.shape, DType: "F16"}
	}
	got, err := Detect(h)
	if err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	if string(gb) != string(wb) {
		t.Errorf("detected\n%s\nwant\n%s", gb, wb)
	}
	if got.UNet.Heads(640) != 8 {
		t.Errorf("sd15 heads = %d, want 8", got.UNet.Heads(640))
	}
}
