package tokenizer

import (
	"bytes"
	"strconv"

	"sumi/pyfmt"
)

// Layout is the JSON shape of ComfyUI's CLIP.tokenize result for SDXL, as in
// the tokenizer goldens: {"l": {"ids": [[77 ids]...], "weights": [[...]...]},
// "g": {...}}.
type Layout struct {
	L EncoderLayout `json:"l"`
	G EncoderLayout `json:"g"`
}

// EncoderLayout holds one encoder's rows as parallel id and weight tables.
// Embedding tokens appear with id EmbeddingID.
type EncoderLayout struct {
	IDs     [][]int     `json:"ids"`
	Weights [][]float64 `json:"weights"`
}

// Layout converts the rows to the golden layout.
func (s SDXLTokens) Layout() Layout {
	return Layout{L: encoderLayout(s.L), G: encoderLayout(s.G)}
}

func encoderLayout(rows [][]Token) EncoderLayout {
	out := EncoderLayout{IDs: make([][]int, len(rows)), Weights: make([][]float64, len(rows))}
	for i, row := range rows {
		out.IDs[i] = make([]int, len(row))
		out.Weights[i] = make([]float64, len(row))
		for j, tok := range row {
			out.IDs[i][j], out.Weights[i][j] = tok.ID, tok.Weight
		}
	}
	return out
}

// MarshalJSON writes {"l":...,"g":...} compactly; see
// [EncoderLayout.MarshalJSON] for how weights are written.
func (l Layout) MarshalJSON() ([]byte, error) {
	lj, _ := l.L.MarshalJSON()
	gj, _ := l.G.MarshalJSON()
	out := append([]byte(`{"l":`), lj...)
	out = append(out, `,"g":`...)
	out = append(append(out, gj...), '}')
	return out, nil
}

// MarshalJSON writes weights as Python's json module does (1.0, not 1;
// 1.2100000000000002), so the text matches ComfyUI's. Like Python it writes
// NaN and Infinity for such weights (from "(x:nan)"); json.Marshal refuses
// that output, so call MarshalJSON directly when weights may be non-finite.
func (e EncoderLayout) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"ids":`)
	writeRows(&b, e.IDs, strconv.Itoa)
	b.WriteString(`,"weights":`)
	writeRows(&b, e.Weights, pyfmt.Float)
	b.WriteByte('}')
	return b.Bytes(), nil
}

// writeRows writes rows as a JSON array of arrays, each value as format
// prints it.
func writeRows[T any](b *bytes.Buffer, rows [][]T, format func(T) string) {
	b.WriteByte('[')
	for i, row := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('[')
		for j, v := range row {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(format(v))
		}
		b.WriteByte(']')
	}
	b.WriteByte(']')
}
