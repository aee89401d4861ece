package sdxl

// Architecture names the model family found in a checkpoint.
type Architecture string

// Supported architectures.
const (
	ArchSDXL Architecture = "sdxl"
	ArchSD15 Architecture = "sd15"
)

// Prediction is the parameterisation of the UNet output.
type Prediction string

// Prediction types read from marker keys (sdxl.md §3.1).
const (
	PredEps    Prediction = "eps"
	PredV      Prediction = "v"
	PredVEDM   Prediction = "v_edm"
	PredEDM    Prediction = "edm"
	sdxlHeadCh            = 64 // channels per attention head (SDXL, SD2, both CLIPs)
	sd15Heads             = 8  // SD 1.5's UNet uses a fixed head count
)

// Config is everything detection reads from a checkpoint. Absent networks are
// nil. JSON field names follow ComfyUI's so users can compare with it.
type Config struct {
	Architecture Architecture `json:"architecture"`
	// Prediction is eps unless a marker key says otherwise.
	Prediction Prediction `json:"prediction"`
	// ZeroTerminalSNR is set by the `ztsnr` marker key.
	ZeroTerminalSNR bool        `json:"ztsnr,omitempty"`
	UNet            *UNetConfig `json:"unet,omitempty"`
	CLIPL           *CLIPConfig `json:"clip_l,omitempty"`
	CLIPG           *CLIPConfig `json:"clip_g,omitempty"`
	VAE             *VAEConfig  `json:"vae,omitempty"`
}

// UNetConfig mirrors ComfyUI's unet_config for the fields a loader needs.
type UNetConfig struct {
	InChannels    int   `json:"in_channels"`
	OutChannels   int   `json:"out_channels"`
	ModelChannels int   `json:"model_channels"`
	ChannelMult   []int `json:"channel_mult"`
	NumResBlocks  []int `json:"num_res_blocks"`
	// TransformerDepth has one entry per input ResBlock (levels × res blocks).
	TransformerDepth []int `json:"transformer_depth"`
	// TransformerDepthMiddle is -1 when the middle block has no transformer.
	TransformerDepthMiddle int `json:"transformer_depth_middle"`
	// TransformerDepthOutput has one entry per output block (levels × (res blocks + 1)).
	TransformerDepthOutput []int `json:"transformer_depth_output"`
	ContextDim             int   `json:"context_dim"`
	// ADMInChannels is 0 when the UNet has no label embedding (SD 1.5).
	ADMInChannels          int  `json:"adm_in_channels"`
	UseLinearInTransformer bool `json:"use_linear_in_transformer"`
	// NumHeadChannels is 64 for SDXL (-1 when NumHeads is fixed instead).
	NumHeadChannels int `json:"num_head_channels"`
	// NumHeads is 8 for SD 1.5 (-1 when NumHeadChannels is used instead).
	NumHeads int `json:"num_heads"`
	// TimeEmbedDim is the width of the time embedding (4 × model_channels).
	TimeEmbedDim int `json:"time_embed_dim"`
}

// CLIPConfig mirrors the Hugging Face CLIPTextConfig fields ComfyUI uses.
type CLIPConfig struct {
	HiddenSize            int    `json:"hidden_size"`
	NumHiddenLayers       int    `json:"num_hidden_layers"`
	NumAttentionHeads     int    `json:"num_attention_heads"`
	IntermediateSize      int    `json:"intermediate_size"`
	HiddenAct             string `json:"hidden_act"`
	ProjectionDim         int    `json:"projection_dim"`
	VocabSize             int    `json:"vocab_size"`
	MaxPositionEmbeddings int    `json:"max_position_embeddings"`
	// HasProjection reports a stored text_projection (bigG only).
	HasProjection bool `json:"has_text_projection"`
}

// VAEConfig mirrors the ddconfig of ComfyUI's AutoencoderKL plus the latent format.
type VAEConfig struct {
	Ch           int   `json:"ch"`
	ChMult       []int `json:"ch_mult"`
	NumResBlocks int   `json:"num_res_blocks"`
	ZChannels    int   `json:"z_channels"`
	EmbedDim     int   `json:"embed_dim"`
	InChannels   int   `json:"in_channels"`
	OutCh        int   `json:"out_ch"`
	DoubleZ      bool  `json:"double_z"`
	// Downscale is the pixel-to-latent size ratio, 2^(levels-1) (8 for real VAEs).
	Downscale int `json:"downscale_factor"`
	// ScaleFactor multiplies latents going into the sampler (SDXL 0.13025, SD1.5 0.18215).
	ScaleFactor float64 `json:"scale_factor"`
	// ShiftFactor is subtracted before scaling; 0 for both supported families.
	ShiftFactor float64 `json:"shift_factor"`
	// HasEncoder is false for decoder-only files.
	HasEncoder bool `json:"has_encoder"`
}

// Heads is the attention head count for a transformer with ch channels.
func (u *UNetConfig) Heads(ch int) int {
	if u.NumHeads > 0 {
		return u.NumHeads
	}
	return ch / u.NumHeadChannels
}

// Levels is the number of resolution levels.
func (u *UNetConfig) Levels() int { return len(u.ChannelMult) }

// Levels is the number of resolution levels.
func (v *VAEConfig) Levels() int { return len(v.ChMult) }
