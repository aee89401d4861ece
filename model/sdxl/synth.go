package sdxl

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"sumi/safetensors"
)

// Synthetic checkpoints: every tensor of a configuration's key layout,
// filled with deterministic random float16 values, for load tests and
// benchmarks that must not depend on a downloaded model.

// SynthConfig describes a synthetic checkpoint.
type SynthConfig struct {
	// Config lists the networks to write; its layout (Config.Validate's key
	// list) decides every name and shape.
	Config *Config
	// Seed picks the random values; equal seeds give identical files.
	Seed uint64
	// Sparse writes only the header and extends the file to its full size:
	// all weights read as zero and take no disk blocks (graph construction
	// and load tests).
	Sparse bool
}

// Known synthetic configurations, by name (SynthConfigByName).
const (
	SynthSDXL  = "sdxl"  // SDXL base: all 2,515 keys, 6.9 GB
	SynthSmall = "small" // same key layout, narrow and shallow: ~30 MB
)

// SynthConfigByName returns the configuration called SynthSDXL or SynthSmall.
func SynthConfigByName(name string) (SynthConfig, error) {
	switch name {
	case SynthSDXL:
		return SynthConfig{Config: SDXLBaseConfig(), Seed: 1}, nil
	case SynthSmall:
		return SynthConfig{Config: SmallConfig(), Seed: 1}, nil
	}
	return SynthConfig{}, fmt.Errorf("sdxl: unknown synthetic configuration %q (want %q or %q)", name, SynthSDXL, SynthSmall)
}

// SDXLBaseConfig is the configuration Detect reports for SDXL base 1.0 and
// its fine-tunes (Animagine XL, Pony, ...).
func SDXLBaseConfig() *Config {
	return &Config{
		Architecture: ArchSDXL, Prediction: PredEps,
		UNet: &UNetConfig{InChannels: 4, OutChannels: 4, ModelChannels: 320,
			ChannelMult: []int{1, 2, 4}, NumResBlocks: []int{2, 2, 2},
			TransformerDepth: []int{0, 0, 2, 2, 10, 10}, TransformerDepthMiddle: 10,
			TransformerDepthOutput: []int{0, 0, 0, 2, 2, 2, 10, 10, 10},
			ContextDim:             2048, ADMInChannels: 2816, UseLinearInTransformer: true,
			NumHeadChannels: sdxlHeadCh, NumHeads: -1, TimeEmbedDim: 1280},
		CLIPL: &CLIPConfig{HiddenSize: 768, NumHiddenLayers: 12, NumAttentionHeads: 12,
			IntermediateSize: 3072, HiddenAct: "quick_gelu", ProjectionDim: 768,
			VocabSize: 49408, MaxPositionEmbeddings: 77},
		CLIPG: &CLIPConfig{HiddenSize: 1280, NumHiddenLayers: 32, NumAttentionHeads: 20,
			IntermediateSize: 5120, HiddenAct: "gelu", ProjectionDim: 1280,
			VocabSize: 49408, MaxPositionEmbeddings: 77, HasProjection: true},
		VAE: sdVAE(128),
	}
}

// SmallConfig keeps SDXL's structure (three UNet levels with transformers
// on the lower two, two text encoders, a four-level VAE, the same key
// names) at a width a CPU runs in milliseconds: UNet 32/64/128 channels
// with depth-1 transformers, 64- and 128-wide text encoders of 4 layers,
// a 32-channel VAE. The real vocabulary is kept so any prompt tokenizes.
func SmallConfig() *Config {
	return &Config{
		Architecture: ArchSDXL, Prediction: PredEps,
		UNet: &UNetConfig{InChannels: 4, OutChannels: 4, ModelChannels: 32,
			ChannelMult: []int{1, 2, 4}, NumResBlocks: []int{2, 2, 2},
			TransformerDepth: []int{0, 0, 1, 1, 1, 1}, TransformerDepthMiddle: 1,
			TransformerDepthOutput: []int{0, 0, 0, 1, 1, 1, 1, 1, 1},
			ContextDim:             192, ADMInChannels: 128 + 6*256, UseLinearInTransformer: true,
			NumHeadChannels: sdxlHeadCh, NumHeads: -1, TimeEmbedDim: 128},
		CLIPL: &CLIPConfig{HiddenSize: 64, NumHiddenLayers: 4, NumAttentionHeads: 1,
			IntermediateSize: 256, HiddenAct: "quick_gelu", ProjectionDim: 64,
			VocabSize: 49408, MaxPositionEmbeddings: 77},
		CLIPG: &CLIPConfig{HiddenSize: 128, NumHiddenLayers: 4, NumAttentionHeads: 2,
			IntermediateSize: 512, HiddenAct: "gelu", ProjectionDim: 128,
			VocabSize: 49408, MaxPositionEmbeddings: 77, HasProjection: true},
		VAE: sdVAE(32),
	}
}

// sdVAE is the SD/SDXL autoencoder layout with base width ch.
func sdVAE(ch int) *VAEConfig {
	return &VAEConfig{Ch: ch, ChMult: []int{1, 2, 4, 4}, NumResBlocks: 2, ZChannels: 4,
		EmbedDim: 4, InChannels: 3, OutCh: 3, DoubleZ: true, Downscale: 8,
		ScaleFactor: scaleSDXL, HasEncoder: true}
}

// Keys SGM-written SDXL files carry that no network reads.
const (
	keyPositionIDs = prefixCLIPL + "embeddings.position_ids"
	keyLogitScale  = prefixCLIPG + "logit_scale"
)

// synthTensor is one entry of a synthetic file.
type synthTensor struct {
	name  string
	dtype safetensors.DType
	shape []int
	size  int64 // bytes
}

// synthTensors lists the file's tensors in name order: the layout of
// sc.Config in float16, plus position_ids and logit_scale for SDXL.
func (sc SynthConfig) synthTensors() []synthTensor {
	var ts []synthTensor
	add := func(name string, dt safetensors.DType, shape ...int) {
		n := int64(dt.Size())
		for _, d := range shape {
			n *= int64(d)
		}
		ts = append(ts, synthTensor{name: name, dtype: dt, shape: shape, size: n})
	}
	for _, s := range sc.Config.tensors() {
		add(s.key, safetensors.F16, s.shape...)
	}
	if sc.Config.Architecture == ArchSDXL {
		if sc.Config.CLIPL != nil {
			add(keyPositionIDs, safetensors.I64, 1, sc.Config.CLIPL.MaxPositionEmbeddings)
		}
		if sc.Config.CLIPG != nil {
			add(keyLogitScale, safetensors.F16)
		}
	}
	slices.SortFunc(ts, func(a, b synthTensor) int { return strings.Compare(a.name, b.name) })
	return ts
}

// WriteSynthetic writes the checkpoint sc describes to path and returns its
// size. Linear and conv weights and all biases are N(0, 0.02²) in float16,
// 1-D norm weights are 1 (so activations keep their scale through the
// depth), position_ids count 0..n-1 and logit_scale is ln 100. Values come
// from one random block reused at shifting offsets, which keeps a 6.9 GB
// file disk-bound. The file is written under a temporary name and renamed,
// so a reader never sees a partial checkpoint.
func WriteSynthetic(path string, sc SynthConfig) (int64, error) {
	if sc.Config == nil {
		return 0, fmt.Errorf("sdxl: synthetic %s: no configuration", path)
	}
	ts := sc.synthTensors()
	header, err := synthHeader(ts)
	if err != nil {
		return 0, fmt.Errorf("sdxl: synthetic %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return 0, fmt.Errorf("sdxl: synthetic: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	var size int64
	if sc.Sparse {
		size, err = writeSparse(tmp, header, ts)
	} else {
		size, err = writeSynthData(tmp, header, ts, sc.Seed)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return 0, fmt.Errorf("sdxl: synthetic %s: %w", path, err)
	}
	return size, nil
}

func synthHeader(ts []synthTensor) ([]byte, error) {
	h := map[string]any{"__metadata__": map[string]string{"format": "pt", "sumi_synthetic": "1"}}
	var off int64
	for _, t := range ts {
		shape := t.shape
		if shape == nil {
			shape = []int{}
		}
		h[t.name] = map[string]any{"dtype": t.dtype, "shape": shape, "data_offsets": []int64{off, off + t.size}}
		off += t.size
	}
	return json.Marshal(h)
}

func writeSynthData(f *os.File, header []byte, ts []synthTensor, seed uint64) (int64, error) {
	w := bufio.NewWriterSize(f, 4<<20)
	var n8 [8]byte
	binary.LittleEndian.PutUint64(n8[:], uint64(len(header)))
	w.Write(n8[:])
	w.Write(header)
	size := int64(8 + len(header))
	block := randomHalves(1<<20, seed)
	one := make([]byte, 0, 2*4096)
	pos := 0
	for _, t := range ts {
		size += t.size
		switch {
		case t.dtype == safetensors.I64:
			for i := int64(0); i < t.size/8; i++ {
				binary.LittleEndian.PutUint64(n8[:], uint64(i))
				w.Write(n8[:])
			}
		case len(t.shape) == 0: // logit_scale
			var h [2]byte
			binary.LittleEndian.PutUint16(h[:], safetensors.Float32ToFloat16(float32(math.Log(100))))
			w.Write(h[:])
		case len(t.shape) == 1 && strings.HasSuffix(t.name, ".weight"): // norm scales
			for left := t.size; left > 0; {
				one = one[:0]
				for i := 0; i < 4096 && int64(len(one)) < left; i++ {
					one = binary.LittleEndian.AppendUint16(one, 0x3c00) // 1.0
				}
				w.Write(one)
				left -= int64(len(one))
			}
		default:
			for left := t.size; left > 0; {
				chunk := int(min(left, int64(len(block)-pos)))
				w.Write(block[pos : pos+chunk])
				left -= int64(chunk)
				pos = (pos + chunk) % len(block)
			}
			pos = (pos + 2*7919) % len(block) // shift the pattern between tensors
		}
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	return size, nil
}

func writeSparse(f *os.File, header []byte, ts []synthTensor) (int64, error) {
	var n8 [8]byte
	binary.LittleEndian.PutUint64(n8[:], uint64(len(header)))
	if _, err := f.Write(append(n8[:], header...)); err != nil {
		return 0, err
	}
	size := int64(8 + len(header))
	for _, t := range ts {
		size += t.size
	}
	return size, f.Truncate(size)
}

// randomHalves is n float16 values drawn from N(0, 0.02²).
func randomHalves(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	b := make([]byte, 2*n)
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint16(b[2*i:], safetensors.Float32ToFloat16(float32(r.NormFloat64()*0.02)))
	}
	return b
}
