package tokenizer

import (
	"fmt"
	"log/slog"
	"strings"
)

// EmbeddingID is the ID of a token that carries an embedding vector instead
// of a vocabulary id (see [Token.Embedding]).
const EmbeddingID = -1

// Token is one position of an encoder input row.
type Token struct {
	ID     int     // vocabulary id, or EmbeddingID
	Weight float64 // prompt weight; 1.0 for start, end and padding
	// Embedding replaces the token embedding lookup for textual-inversion
	// tokens (ID == EmbeddingID); nil otherwise. It is the slice the
	// EmbeddingLookup returned, not a copy.
	Embedding []float32
}

// Encoder describes how one text encoder's rows are built.
type Encoder struct {
	// Key names the encoder for embedding lookups ("clip_l", "clip_g").
	Key string
	// PadWithEnd pads rows with the end token; otherwise they pad with 0.
	PadWithEnd bool
}

// SDXL's encoders: CLIP-L pads with the end token, OpenCLIP bigG with 0.
var (
	ClipL = Encoder{Key: "clip_l", PadWithEnd: true}
	ClipG = Encoder{Key: "clip_g", PadWithEnd: false}
)

// Options are the optional parts of prompt tokenization.
type Options struct {
	// Embeddings resolves "embedding:NAME"; nil means no embedding exists.
	Embeddings EmbeddingLookup
	// Warn receives warnings, such as ComfyUI's "warning, embedding:NAME
	// does not exist, ignoring" (once per encoder, as in ComfyUI); nil logs
	// them with log/slog.
	Warn func(msg string)
}

func (o Options) warn(msg string) {
	if o.Warn != nil {
		o.Warn(msg)
		return
	}
	slog.Warn("tokenizer: " + msg)
}

// Chunks tokenizes a prompt for one encoder as ComfyUI's
// SDTokenizer.tokenize_with_weights does, returning rows of exactly
// [ChunkLen] tokens: start, up to 75 weighted tokens, end, padding. The only
// error is [ErrNesting].
func (t *Tokenizer) Chunks(prompt string, enc Encoder, opts Options) ([][]Token, error) {
	groups, err := t.groups(prompt, enc, opts)
	if err != nil {
		return nil, err
	}
	pad := 0
	if enc.PadWithEnd {
		pad = t.v.end
	}
	return chunkGroups(groups, t.v.start, t.v.end, pad), nil
}

// groups returns the tokens of each weighted word (a segment, or a piece of
// one split off by "embedding:"), in prompt order.
func (t *Tokenizer) groups(prompt string, enc Encoder, opts Options) ([][]Token, error) {
	segs, err := weightSegments(escapeParens(prompt))
	if err != nil {
		return nil, err
	}
	var groups [][]Token
	for _, seg := range segs {
		for _, word := range splitEmbeddingWords(unescapeParens(seg.text)) {
			if strings.HasPrefix(word, embeddingPrefix) {
				vectors, found, leftover, name := embeddingWord(word, enc.Key, opts.Embeddings)
				if found {
					groups = append(groups, embeddingTokens(vectors, seg.weight))
				} else {
					opts.warn(fmt.Sprintf("warning, embedding:%s does not exist, ignoring", name))
				}
				if leftover == "" {
					continue
				}
				word = leftover
			}
			ids := t.Encode(word)
			g := make([]Token, len(ids))
			for i, id := range ids {
				g[i] = Token{ID: id, Weight: seg.weight}
			}
			groups = append(groups, g)
		}
	}
	return groups, nil
}

func embeddingTokens(vectors [][]float32, weight float64) []Token {
	g := make([]Token, len(vectors))
	for i, v := range vectors {
		g[i] = Token{ID: EmbeddingID, Weight: weight, Embedding: v}
	}
	return g
}

// chunkGroups packs word groups into rows the way ComfyUI does: a group that
// does not fit in the current row is split at the row boundary when it has
// at least MaxWordLength tokens; otherwise the row is closed and padded and
// the group starts the next row.
func chunkGroups(groups [][]Token, start, end, pad int) [][]Token {
	const room = ChunkLen - 1 // the end token takes the last place
	var rows [][]Token
	newRow := func() []Token {
		r := make([]Token, 1, ChunkLen)
		r[0] = Token{ID: start, Weight: 1}
		return r
	}
	row := newRow()
	closeRow := func() {
		row = append(row, Token{ID: end, Weight: 1})
		for len(row) < ChunkLen {
			row = append(row, Token{ID: pad, Weight: 1})
		}
		rows = append(rows, row)
		row = newRow()
	}
	for _, g := range groups {
		large := len(g) >= MaxWordLength
		for len(g) > 0 {
			if len(row)+len(g) <= room {
				row = append(row, g...)
				break
			}
			if large {
				n := room - len(row)
				row = append(row, g[:n]...)
				g = g[n:]
			}
			closeRow()
		}
	}
	closeRow()
	return rows
}

// SDXLTokens holds a prompt's rows for both SDXL encoders; they always have
// the same number of rows.
type SDXLTokens struct {
	L, G [][]Token
}

// SDXL tokenizes a prompt for SDXL's CLIP-L and CLIP-G encoders, as
// ComfyUI's SDXLTokenizer does.
func (t *Tokenizer) SDXL(prompt string, opts Options) (SDXLTokens, error) {
	l, err := t.Chunks(prompt, ClipL, opts)
	if err != nil {
		return SDXLTokens{}, err
	}
	g, err := t.Chunks(prompt, ClipG, opts)
	if err != nil {
		return SDXLTokens{}, err
	}
	return SDXLTokens{L: l, G: g}, nil
}
