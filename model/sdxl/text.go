package sdxl

import (
	"context"
	"fmt"
	"math"

	"sumi/runtime/onnx"
	"sumi/runtime/ort"
	"sumi/safetensors"
	"sumi/tensor"
	"sumi/tokenizer"
)

// CLIP special tokens and the padding each SDXL encoder uses (sdxl.md §5.4).
const (
	tokenStart = 49406
	tokenEnd   = 49407
	padL       = tokenEnd
	padG       = 0
)

// TextOptions modify text encoding.
type TextOptions struct {
	// LastLayer is CLIPSetLastLayer's stop_at_clip_layer (-1 .. -24); 0
	// keeps the model's default (SDXL: -2 without final norm; SD 1.5: the
	// last layer with final norm).
	LastLayer int
}

// EncodeText runs the text encoders on a tokenized prompt as ComfyUI's
// CLIPTextEncode does and returns cond [1,77·rows,context_dim] and, for
// SDXL, the pooled bigG output [1,proj] (nil for SD 1.5, which reads only
// toks.L). Textual-inversion tokens (Token.Embedding) replace the lookup.
func (m *Model) EncodeText(ctx context.Context, toks tokenizer.SDXLTokens, opts TextOptions) (cond, pooled *tensor.Tensor, err error) {
	c := m.Config
	if c.CLIPL == nil || (c.Architecture == ArchSDXL && c.CLIPG == nil) {
		return nil, nil, fmt.Errorf("%w: text encoders", ErrNoNetwork)
	}
	if opts.LastLayer > 0 || opts.LastLayer < -24 {
		return nil, nil, fmt.Errorf("sdxl: encode text: last layer %d not in -24..-1", opts.LastLayer)
	}
	l, _, err := m.encodeOne(ctx, c.CLIPL, clipHF, toks.L, padL, opts, false)
	if err != nil {
		return nil, nil, err
	}
	if c.Architecture == ArchSD15 {
		return l, nil, nil
	}
	g, pooled, err := m.encodeOne(ctx, c.CLIPG, clipOpenCLIP, toks.G, padG, opts, true)
	if err != nil {
		return nil, nil, err
	}
	cond, err = concatLast(l, g)
	return cond, pooled, err
}

// layerChoice maps LastLayer to (hidden layer index, final norm) for an
// encoder of n layers, following ComfyUI's clip_layer.
func (m *Model) layerChoice(n, last int) (int, bool) {
	sd15 := m.Config.Architecture == ArchSD15
	switch {
	case last == 0 && sd15:
		return n - 1, true
	case last == 0:
		last = -2
	}
	if -last > n {
		return n - 1, true
	}
	return n + last, sd15
}

// encodeOne encodes every row (plus an empty row when weights need it) in
// one batch, applies the weights and concatenates the rows.
func (m *Model) encodeOne(ctx context.Context, c *CLIPConfig, kind clipKind, rows [][]tokenizer.Token, pad int, opts TextOptions, pooled bool) (*tensor.Tensor, *tensor.Tensor, error) {
	seq := c.MaxPositionEmbeddings
	if err := checkRows(rows, seq, c.HiddenSize, c.VocabSize); err != nil {
		return nil, nil, err
	}
	weighted := hasWeights(rows)
	batch := rows
	if weighted {
		batch = append(append([][]tokenizer.Token{}, rows...), emptyRow(seq, pad))
	}
	name := map[clipKind]string{clipHF: "clip_l", clipOpenCLIP: "clip_g"}[kind]
	prefix := map[clipKind]string{clipHF: m.clipLPrefix(), clipOpenCLIP: prefixCLIPG}[kind]
	s, err := m.clipSession(c, kind, opts, pooled)
	if err != nil {
		return nil, nil, err
	}
	embeds, err := m.embed(c, kind, prefix, batch)
	if err != nil {
		return nil, nil, err
	}
	hidden, pool, err := m.runCLIP(ctx, s, c, batch, embeds, pooled)
	if err != nil {
		return nil, nil, fmt.Errorf("sdxl: %s: %w", name, err)
	}
	if weighted {
		applyWeights(hidden, rows, seq, c.HiddenSize)
	}
	n := len(rows)
	return tensor.FromData(hidden.Data[:n*seq*c.HiddenSize], 1, n*seq, c.HiddenSize), pool, nil
}

// clipSession is the session of one text encoder for the layer opts select.
func (m *Model) clipSession(c *CLIPConfig, kind clipKind, opts TextOptions, pooled bool) (*ort.Session, error) {
	layer, norm := m.layerChoice(c.NumHiddenLayers, opts.LastLayer)
	name := map[clipKind]string{clipHF: "clip_l", clipOpenCLIP: "clip_g"}[kind]
	prefix := map[clipKind]string{clipHF: m.clipLPrefix(), clipOpenCLIP: prefixCLIPG}[kind]
	network := fmt.Sprintf("%s/layer%d/norm%v", name, layer, norm)
	return m.session(network, func(b *builder) (*onnx.Graph, error) {
		return b.clipGraph(c, kind, prefix, layer, norm, pooled)
	})
}

func (m *Model) clipLPrefix() string {
	if m.Config.Architecture == ArchSD15 {
		return prefixSD15CLIP
	}
	return prefixCLIPL
}

// embed looks the token embeddings up in Go, reading only the needed rows
// of the mapped table, so textual-inversion vectors slot in directly and ORT
// never holds a converted copy of the 49408-row table.
func (m *Model) embed(c *CLIPConfig, kind clipKind, prefix string, rows [][]tokenizer.Token) (*tensor.Tensor, error) {
	name := prefix + "embeddings.token_embedding.weight"
	if kind == clipOpenCLIP {
		name = prefix + "token_embedding.weight"
	}
	ti, _ := m.file.Tensor(name)
	raw, err := m.file.Bytes(name)
	if err != nil {
		return nil, fmt.Errorf("sdxl: %w", err)
	}
	d, seq := c.HiddenSize, c.MaxPositionEmbeddings
	rowBytes := d * ti.DType.Size()
	out := tensor.New(len(rows), seq, d)
	for r, row := range rows {
		for j, tok := range row {
			dst := out.Data[(r*seq+j)*d : (r*seq+j+1)*d]
			if tok.Embedding != nil {
				copy(dst, tok.Embedding)
				continue
			}
			v, err := safetensors.ToFloat32(ti.DType, raw[tok.ID*rowBytes:(tok.ID+1)*rowBytes])
			if err != nil {
				return nil, fmt.Errorf("sdxl: %s: %w", name, err)
			}
			copy(dst, v)
		}
	}
	return out, nil
}

// runCLIP runs one batch of rows; pooled comes from row 0 only.
func (m *Model) runCLIP(ctx context.Context, s *ort.Session, c *CLIPConfig, rows [][]tokenizer.Token, embeds *tensor.Tensor, pooled bool) (*tensor.Tensor, *tensor.Tensor, error) {
	seq, n := c.MaxPositionEmbeddings, len(rows)
	in := []*ort.Tensor{m.input(embeds)}
	out := []*ort.Tensor{m.output(n, seq, c.HiddenSize)}
	if pooled {
		idx := make([]int64, n)
		for r, row := range rows {
			idx[r] = int64(r*seq + firstEnd(row))
		}
		in = append(in, ort.FromInt64([]int64{int64(n)}, idx))
		out = append(out, m.output(n, c.ProjectionDim))
	}
	if err := s.Run(ctx, in, out); err != nil {
		return nil, nil, err
	}
	hidden, err := toTensor(out[0])
	if err != nil || !pooled {
		return hidden, nil, err
	}
	p, err := toTensor(out[1])
	if err != nil {
		return nil, nil, err
	}
	return hidden, tensor.FromData(p.Data[:c.ProjectionDim], 1, c.ProjectionDim), nil
}

// firstEnd is the position of the first end token (0 when there is none,
// as torch's argmax of an all-false mask gives).
func firstEnd(row []tokenizer.Token) int {
	for i, t := range row {
		if t.ID == tokenEnd {
			return i
		}
	}
	return 0
}

func checkRows(rows [][]tokenizer.Token, seq, d, vocab int) error {
	if len(rows) == 0 {
		return fmt.Errorf("sdxl: encode text: no token rows")
	}
	for i, row := range rows {
		if len(row) != seq {
			return fmt.Errorf("sdxl: encode text: row %d has %d tokens, want %d", i, len(row), seq)
		}
		for _, t := range row {
			switch {
			case t.Embedding != nil && len(t.Embedding) != d:
				return fmt.Errorf("sdxl: encode text: row %d: embedding of width %d, encoder has %d", i, len(t.Embedding), d)
			case t.Embedding == nil && (t.ID < 0 || t.ID >= vocab):
				return fmt.Errorf("sdxl: encode text: row %d: token id %d out of range", i, t.ID)
			}
		}
	}
	return nil
}

func hasWeights(rows [][]tokenizer.Token) bool {
	for _, row := range rows {
		for _, t := range row {
			if t.Weight != 1 {
				return true
			}
		}
	}
	return false
}

func emptyRow(seq, pad int) []tokenizer.Token {
	row := make([]tokenizer.Token, seq)
	for i := range row {
		row[i] = tokenizer.Token{ID: pad, Weight: 1}
	}
	row[0].ID, row[1].ID = tokenStart, tokenEnd
	return row
}

// applyWeights moves each weighted token away from the empty prompt's
// token at the same position: z = (z - z_empty)·w + z_empty. The empty row
// is the last row of hidden.
func applyWeights(hidden *tensor.Tensor, rows [][]tokenizer.Token, seq, d int) {
	empty := hidden.Data[len(rows)*seq*d:]
	for r, row := range rows {
		for j, t := range row {
			w := t.Weight
			if w == 1 {
				continue
			}
			z := hidden.Data[(r*seq+j)*d : (r*seq+j+1)*d]
			e := empty[j*d : (j+1)*d]
			wf := float32(w)
			for k := range z {
				z[k] = (z[k]-e[k])*wf + e[k]
			}
		}
	}
}

// concatLast joins [1,T,a] and [1,T',b] along the feature axis, cutting both
// to the shorter token count.
func concatLast(a, b *tensor.Tensor) (*tensor.Tensor, error) {
	t := min(a.Shape[1], b.Shape[1])
	da, db := a.Shape[2], b.Shape[2]
	out := tensor.New(1, t, da+db)
	for i := 0; i < t; i++ {
		copy(out.Data[i*(da+db):], a.Data[i*da:(i+1)*da])
		copy(out.Data[i*(da+db)+da:], b.Data[i*db:(i+1)*db])
	}
	return out, nil
}

// ADM builds SDXL's label vector y [B, pooled+6·256] from pooled [B,P]:
// pooled, then the sinusoidal embeddings of height, width, crop_h, crop_w,
// target_height and target_width (in that order; sdxl.md §4.7).
func ADM(pooled *tensor.Tensor, width, height, cropW, cropH, targetW, targetH int) (*tensor.Tensor, error) {
	if pooled == nil || len(pooled.Shape) != 2 {
		return nil, fmt.Errorf("sdxl: adm: pooled must be [B,P], got %v", shapeOf(pooled))
	}
	b, p := pooled.Shape[0], pooled.Shape[1]
	vals := []int{height, width, cropH, cropW, targetH, targetW}
	w := p + 256*len(vals)
	out := tensor.New(b, w)
	freqs := timestepFreqs(256)
	for i := 0; i < b; i++ {
		row := out.Data[i*w : (i+1)*w]
		copy(row, pooled.Data[i*p:(i+1)*p])
		for k, v := range vals {
			sinusoid(row[p+256*k:p+256*(k+1)], float32(v), freqs)
		}
	}
	return out, nil
}

// sinusoid writes [cos(v·f), sin(v·f)] with the argument rounded to float32
// as torch computes it.
func sinusoid(dst []float32, v float32, freqs []float32) {
	half := len(freqs)
	for i, f := range freqs {
		arg := float64(v * f)
		dst[i] = float32(math.Cos(arg))
		dst[half+i] = float32(math.Sin(arg))
	}
}
