package tokenizer

import (
	"errors"
	"strings"
	"testing"
)

var fuzzSeeds = []string{
	"", "(", ")", "((((", "))))", ")(", "(a:1.2", "a:1.2)", "((a)", "(a))", `\(`, `\)`, `\\(x\\)`,
	"(x:1e308) (y:-1e308)", "(x:1e999)", "(x:nan)", "(x:-inf)", "(((x:1e300))):1e300",
	"a\x00b\x00\x01\x00\x02", "\xff\xfe\xfd invalid utf8 \xc3", "<|endoftext|><|startoftext|>", "<|ENDOFTEXT|>",
	"embedding:", "embedding:\n", " embedding: embedding:x", "embedding:,,,", "ſ 'ſ İ Σ aΣ ͅ",
	strings.Repeat("(", 1000) + "x" + strings.Repeat(")", 1000),
	strings.Repeat("masterpiece, ", 30), strings.Repeat("a", 600), strings.Repeat("日本", 100),
}

// FuzzSDXL feeds arbitrary prompts through the whole front end: it must not
// panic, must fail only with ErrNesting, and must give well-formed rows.
func FuzzSDXL(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	tok := New()
	lookup := func(name, key string) ([][]float32, bool) {
		if strings.HasPrefix(name, "e") {
			return [][]float32{{1}, {2}, {3}}, true
		}
		return nil, false
	}
	f.Fuzz(func(t *testing.T, prompt string) {
		got, err := tok.SDXL(prompt, Options{Embeddings: lookup, Warn: func(string) {}})
		if err != nil {
			if !errors.Is(err, ErrNesting) {
				t.Fatalf("%q: unexpected error %v", prompt, err)
			}
			return
		}
		if len(got.L) == 0 || len(got.L) != len(got.G) {
			t.Fatalf("%q: %d L rows, %d G rows", prompt, len(got.L), len(got.G))
		}
		groups, _ := tok.groups(prompt, ClipL, Options{Embeddings: lookup, Warn: func(string) {}})
		var flat []Token
		for _, g := range groups {
			flat = append(flat, g...)
		}
		k := 0 // every grouped token appears once, in order
		for r := range got.L {
			n := gContent(got.G[r])
			checkRow(t, got.L[r], StartID, EndID, EndID, n)
			checkRow(t, got.G[r], StartID, EndID, 0, n)
			for j := 1; j <= n; j++ {
				l, g := got.L[r][j], got.G[r][j]
				if l.ID != g.ID || !sameWeight(l.Weight, g.Weight) {
					t.Fatalf("%q row %d pos %d: L %+v, G %+v", prompt, r, j, l, g)
				}
				if l.ID != EmbeddingID && (l.ID < 0 || l.ID > EndID) {
					t.Fatalf("%q: id %d out of range", prompt, l.ID)
				}
				if k >= len(flat) || flat[k].ID != l.ID || !sameWeight(flat[k].Weight, l.Weight) {
					t.Fatalf("%q row %d pos %d: %+v is not grouped token %d", prompt, r, j, l, k)
				}
				k++
			}
		}
		if k != len(flat) {
			t.Fatalf("%q: rows hold %d tokens, groups %d", prompt, k, len(flat))
		}
	})
}

func sameWeight(a, b float64) bool { return a == b || (a != a && b != b) }

// FuzzEncode checks that plain BPE never panics and yields vocabulary ids.
func FuzzEncode(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	tok := New()
	f.Fuzz(func(t *testing.T, text string) {
		for _, id := range tok.Encode(text) {
			if id < 0 || id > EndID {
				t.Fatalf("%q: id %d out of range", text, id)
			}
		}
	})
}
