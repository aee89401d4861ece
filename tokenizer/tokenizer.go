// Package tokenizer turns prompts into the token ids and weights that
// ComfyUI feeds SDXL's two text encoders.
//
// It has two layers. [Tokenizer.Encode] is OpenAI's CLIP byte-level BPE as
// Hugging Face's slow CLIPTokenizer runs it without ftfy (control characters
// dropped, NFC, whitespace collapsed, lower case, the CLIP pre-tokenization
// pattern, BPE with a merge-rank table). [Tokenizer.Chunks] and
// [Tokenizer.SDXL] add ComfyUI's prompt front end on top: "(word:1.2)" weights,
// "\(" escapes, "embedding:NAME", and the split into 77-token chunks.
//
// The CLIP vocabulary (MIT, see clipvocab/LICENSE.md) is embedded, so [New]
// needs no files; [LoadFromFiles] reads another vocab.json and merges.txt.
package tokenizer

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// Special token ids of the CLIP vocabulary.
const (
	StartID = 49406 // <|startoftext|>, first token of every chunk
	EndID   = 49407 // <|endoftext|>, closes a chunk; also the unknown token and CLIP-L's padding
)

// ChunkLen is the number of tokens in one encoder input row: start, up to
// 75 content tokens, end, then padding.
const ChunkLen = 77

// MaxWordLength is ComfyUI's max_word_length: a weighted segment with at
// least this many tokens may be split across chunks; a shorter one that does
// not fit in the current chunk moves whole to the next one.
const MaxWordLength = 8

const (
	startText = "<|startoftext|>"
	endText   = "<|endoftext|>"
	// cacheLimit bounds the BPE cache so hostile prompts cannot grow it forever.
	cacheLimit = 1 << 16
	// cacheWordLimit keeps very long words out of the cache.
	cacheWordLimit = 128
)

// Tokenizer is a CLIP BPE tokenizer. It is safe for concurrent use.
type Tokenizer struct {
	v *vocab

	mu    sync.RWMutex
	cache map[string][]int
}

var (
	defaultOnce sync.Once
	defaultTok  *Tokenizer
)

// New returns the tokenizer for the embedded CLIP vocabulary. The vocabulary
// is parsed on the first call; every call returns the same shared tokenizer,
// so its BPE cache serves the whole process.
func New() *Tokenizer {
	defaultOnce.Do(func() {
		v, err := parseVocab(bytes.NewReader(vocabJSON), bytes.NewReader(mergesTXT))
		if err != nil {
			panic("tokenizer: embedded vocabulary: " + err.Error())
		}
		defaultTok = newTokenizer(v)
	})
	return defaultTok
}

// LoadFromFiles builds a tokenizer from a Hugging Face style vocab.json
// (token -> id) and merges.txt (a header line, then "left right" rules in
// rank order). As in CLIPTokenizer, at most 48894 merge rules are used.
func LoadFromFiles(vocabJSONPath, mergesTXTPath string) (*Tokenizer, error) {
	vf, err := os.Open(vocabJSONPath)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	defer vf.Close()
	mf, err := os.Open(mergesTXTPath)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	defer mf.Close()
	return Load(vf, mf)
}

// Load is [LoadFromFiles] for already opened data.
func Load(vocabJSON, mergesTXT io.Reader) (*Tokenizer, error) {
	v, err := parseVocab(vocabJSON, mergesTXT)
	if err != nil {
		return nil, err
	}
	return newTokenizer(v), nil
}

func newTokenizer(v *vocab) *Tokenizer {
	return &Tokenizer{v: v, cache: make(map[string][]int)}
}

// Encode returns the BPE token ids of text without the start and end tokens,
// i.e. CLIPTokenizer(text)["input_ids"][1:-1]. "<|startoftext|>" and
// "<|endoftext|>" typed in the text become their special ids.
func (t *Tokenizer) Encode(text string) []int {
	var ids []int
	for text != "" {
		i, special := nextSpecial(text)
		ids = t.encodePlain(text[:i], ids)
		if special == "" {
			break
		}
		ids = append(ids, t.v.id(special))
		text = text[i+len(special):]
	}
	return ids
}

// encodePlain appends the ids of text that holds no exact special token.
func (t *Tokenizer) encodePlain(text string, ids []int) []int {
	if text == "" {
		return ids
	}
	scanPreTokens(basicClean(text), func(word string) {
		ids = append(ids, t.word(word)...)
	})
	return ids
}

// nextSpecial finds the first exact special token in text, as the added-token
// split of Hugging Face tokenizers does (case-sensitive, leftmost).
func nextSpecial(text string) (int, string) {
	i, special := len(text), ""
	for _, s := range [...]string{startText, endText} {
		if j := strings.Index(text[:i], s); j >= 0 {
			i, special = j, s
		}
	}
	return i, special
}

// word returns the ids of one pre-token, from the cache when possible.
func (t *Tokenizer) word(w string) []int {
	t.mu.RLock()
	ids, ok := t.cache[w]
	t.mu.RUnlock()
	if ok {
		return ids
	}
	if w == startText || w == endText {
		// CLIPTokenizer seeds its BPE cache with the two special strings.
		ids = []int{t.v.id(w)}
	} else {
		ids = t.v.bpe(w)
	}
	if len(w) <= cacheWordLimit {
		t.mu.Lock()
		if len(t.cache) >= cacheLimit {
			t.cache = make(map[string][]int)
		}
		t.cache[w] = ids
		t.mu.Unlock()
	}
	return ids
}

// Piece returns the vocabulary string of id as stored in vocab.json
// (byte-level characters, "</w>" at the end of a word), or "" if unknown.
func (t *Tokenizer) Piece(id int) string {
	return t.v.pieces[id]
}

// Text returns the UTF-8 text that id stands for, without the "</w>" word
// end marker, and whether the token ends a word. A piece that holds part of
// a multi-byte character comes back with that partial UTF-8 sequence.
func (t *Tokenizer) Text(id int) (text string, endsWord bool) {
	p := t.v.pieces[id]
	if id == t.v.start || id == t.v.end {
		return p, true
	}
	p, endsWord = strings.CutSuffix(p, "</w>")
	return decodeBytes(p), endsWord
}

// StartID returns the id of <|startoftext|> in this vocabulary.
func (t *Tokenizer) StartID() int { return t.v.start }

// EndID returns the id of <|endoftext|> in this vocabulary.
func (t *Tokenizer) EndID() int { return t.v.end }
