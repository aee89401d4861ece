package sdxl

import (
	"context"
	"errors"
	"math"
	"testing"

	"sumi/tensor"
	"sumi/tokenizer"
)

func TestLayerChoice(t *testing.T) {
	cases := []struct {
		arch      Architecture
		layers    int
		last      int
		wantLayer int
		wantNorm  bool
	}{
		{ArchSDXL, 12, 0, 10, false},  // SDXL default: penultimate, no final norm
		{ArchSDXL, 32, 0, 30, false},  // same rule for bigG
		{ArchSDXL, 12, -1, 11, false}, // last layer, still without final norm
		{ArchSDXL, 12, -2, 10, false},
		{ArchSDXL, 12, -12, 0, false},
		{ArchSDXL, 12, -13, 11, true}, // beyond the layer count: last layer with final norm
		{ArchSDXL, 3, -5, 2, true},
		{ArchSD15, 12, 0, 11, true}, // SD 1.5 default: last layer, final norm
		{ArchSD15, 12, -2, 10, true},
	}
	for _, tc := range cases {
		m := &Model{Config: &Config{Architecture: tc.arch}}
		l, n := m.layerChoice(tc.layers, tc.last)
		if l != tc.wantLayer || n != tc.wantNorm {
			t.Errorf("%s %d layers, last %d: got (%d, %v), want (%d, %v)", tc.arch, tc.layers, tc.last, l, n, tc.wantLayer, tc.wantNorm)
		}
	}
}

// TestLastLayer checks that CLIPSetLastLayer's choice reaches the graphs:
// -2 equals the default, -1 and an out-of-range value differ from it, and
// the pooled output never changes.
func TestLastLayer(t *testing.T) {
	m := loadModel(t, tinyCkpt, Options{})
	tk := promptTokens(t, tokenCases(t), pipelinePrompt(t))
	enc := func(last int) (*tensor.Tensor, *tensor.Tensor) {
		c, p, err := m.EncodeText(context.Background(), tk, TextOptions{LastLayer: last})
		if err != nil {
			t.Fatal(err)
		}
		return c, p
	}
	def, defPooled := enc(0)
	for _, tc := range []struct {
		last int
		same bool
	}{{-2, true}, {-1, false}, {-3, false}, {-24, false}} {
		c, p := enc(tc.last)
		if e := relErr(t, "cond", c, def); (e == 0) != tc.same {
			t.Errorf("last layer %d: relative difference to default %g, want same=%v", tc.last, e, tc.same)
		}
		// Graph variants may fuse differently: equal up to rounding.
		if e := relErr(t, "pooled", p, defPooled); e > 1e-6 {
			t.Errorf("last layer %d changed pooled by %g", tc.last, e)
		}
	}
}

func TestEncodeTextErrors(t *testing.T) {
	m := loadModel(t, tinyCkpt, Options{})
	good := promptTokens(t, tokenCases(t), pipelinePrompt(t))
	short := tokenizer.SDXLTokens{L: [][]tokenizer.Token{good.L[0][:10]}, G: good.G}
	badID := tokenizer.SDXLTokens{L: good.L, G: [][]tokenizer.Token{append([]tokenizer.Token{{ID: 60000, Weight: 1}}, good.G[0][1:]...)}}
	badEmb := tokenizer.SDXLTokens{L: [][]tokenizer.Token{append([]tokenizer.Token{{ID: tokenizer.EmbeddingID, Weight: 1, Embedding: []float32{1}}}, good.L[0][1:]...)}, G: good.G}
	cases := []struct {
		name string
		toks tokenizer.SDXLTokens
		opts TextOptions
	}{
		{"no rows", tokenizer.SDXLTokens{}, TextOptions{}},
		{"short row", short, TextOptions{}},
		{"id out of range", badID, TextOptions{}},
		{"embedding width", badEmb, TextOptions{}},
		{"last layer positive", good, TextOptions{LastLayer: 1}},
		{"last layer too low", good, TextOptions{LastLayer: -25}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := m.EncodeText(context.Background(), tc.toks, tc.opts); err == nil {
				t.Error("no error")
			}
		})
	}
	unet := loadModel(t, tinyMultiCkp, Options{})
	if _, _, err := unet.EncodeText(context.Background(), good, TextOptions{}); !errors.Is(err, ErrNoNetwork) {
		t.Errorf("unet-only file: %v, want ErrNoNetwork", err)
	}
	if _, err := unet.DecodeVAE(context.Background(), tensor.New(1, 4, 8, 8)); !errors.Is(err, ErrNoNetwork) {
		t.Errorf("unet-only file: decode %v, want ErrNoNetwork", err)
	}
}

// TestEmbeddingToken checks that a textual-inversion vector equal to a
// vocabulary row gives exactly the result of that token id.
func TestEmbeddingToken(t *testing.T) {
	m := loadModel(t, tinyCkpt, Options{})
	tk := promptTokens(t, tokenCases(t), pipelinePrompt(t))
	want, _, err := m.EncodeText(context.Background(), tk, TextOptions{})
	if err != nil {
		t.Fatal(err)
	}
	row, err := m.file.Float32(prefixCLIPL + "embeddings.token_embedding.weight")
	if err != nil {
		t.Fatal(err)
	}
	d := m.Config.CLIPL.HiddenSize
	id := tk.L[0][1].ID
	emb := tokenizer.SDXLTokens{L: [][]tokenizer.Token{append([]tokenizer.Token{}, tk.L[0]...)}, G: tk.G}
	emb.L[0][1] = tokenizer.Token{ID: tokenizer.EmbeddingID, Weight: 1, Embedding: row[id*d : (id+1)*d]}
	got, _, err := m.EncodeText(context.Background(), emb, TextOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if e := relErr(t, "cond", got, want); e != 0 {
		t.Errorf("embedding token differs from its id by %g", e)
	}
}

func TestADMErrorsAndLayout(t *testing.T) {
	if _, err := ADM(nil, 1, 1, 0, 0, 1, 1); err == nil {
		t.Error("nil pooled: no error")
	}
	if _, err := ADM(tensor.New(3), 1, 1, 0, 0, 1, 1); err == nil {
		t.Error("rank-1 pooled: no error")
	}
	p := tensor.New(2, 3)
	for i := range p.Data {
		p.Data[i] = float32(i)
	}
	y, err := ADM(p, 64, 32, 0, 0, 64, 32)
	if err != nil {
		t.Fatal(err)
	}
	if len(y.Shape) != 2 || y.Shape[0] != 2 || y.Shape[1] != 3+6*256 {
		t.Fatalf("shape %v", y.Shape)
	}
	// Pooled first, then E(height), E(width), E(crop_h), ...: index 0 of
	// each embedding is cos(value·1), index 128 sin(value·1).
	checks := []struct {
		i    int
		want float64
	}{
		{3, math.Cos(32)}, {3 + 128, math.Sin(32)}, {3 + 256, math.Cos(64)},
		{3 + 2*256, 1}, {3 + 2*256 + 128, 0}, {3 + 4*256, math.Cos(32)}, {3 + 5*256, math.Cos(64)},
		{3 + 6*256 + 2, 5},
	}
	for _, c := range checks {
		if math.Abs(float64(y.Data[c.i])-c.want) > 1e-6 {
			t.Errorf("y[%d] = %v, want %v", c.i, y.Data[c.i], c.want)
		}
	}
}
