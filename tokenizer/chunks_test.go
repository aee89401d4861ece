package tokenizer

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// tokens makes a group of n tokens with distinct ids.
func tokens(first, n int) []Token {
	g := make([]Token, n)
	for i := range g {
		g[i] = Token{ID: first + i, Weight: 1}
	}
	return g
}

func TestChunkGroups(t *testing.T) {
	const start, end, pad = 1000, 1001, 0
	tests := []struct {
		name   string
		groups []int // group sizes
		rows   []int // content tokens per row
	}{
		{"empty", nil, []int{0}},
		{"exactly full", []int{75}, []int{75}},
		{"small word moves", []int{70, 7}, []int{70, 7}},
		{"small word fits", []int{70, 5}, []int{75}},
		{"large word splits", []int{70, 8}, []int{75, 3}},
		{"huge word", []int{200}, []int{75, 75, 50}},
		{"full then small", []int{75, 1}, []int{75, 1}},
		{"empty groups", []int{0, 3, 0}, []int{3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var groups [][]Token
			next := 0
			for _, n := range tc.groups {
				groups = append(groups, tokens(next, n))
				next += n
			}
			rows := chunkGroups(groups, start, end, pad)
			if len(rows) != len(tc.rows) {
				t.Fatalf("%d rows, want %d", len(rows), len(tc.rows))
			}
			want := 0 // content ids come out in order 0, 1, 2, ...
			for r, row := range rows {
				checkRow(t, row, start, end, pad, tc.rows[r])
				for _, tok := range row[1 : 1+tc.rows[r]] {
					if tok.ID != want {
						t.Fatalf("row %d: id %d, want %d", r, tok.ID, want)
					}
					want++
				}
			}
			if want != next {
				t.Fatalf("%d content tokens in rows, want %d", want, next)
			}
		})
	}
}

// checkRow asserts the shape every row must have: start, n content tokens,
// end, padding, all 77 long, with weight 1 outside the content.
func checkRow(t *testing.T, row []Token, start, end, pad, n int) {
	t.Helper()
	if len(row) != ChunkLen {
		t.Fatalf("row of %d tokens", len(row))
	}
	if n < 0 || n > ChunkLen-2 {
		t.Fatalf("%d content tokens", n)
	}
	if row[0].ID != start || row[0].Weight != 1 {
		t.Fatalf("row starts with %+v", row[0])
	}
	if row[n+1].ID != end || row[n+1].Weight != 1 {
		t.Fatalf("token after %d content tokens is %+v, want end", n, row[n+1])
	}
	for _, tok := range row[n+2:] {
		if tok.ID != pad || tok.Weight != 1 {
			t.Fatalf("padding token %+v, want id %d", tok, pad)
		}
	}
}

// gContent is the number of content tokens of a CLIP-G row: its end token
// is the last token that is not 0 padding.
func gContent(row []Token) int {
	i := len(row) - 1
	for i > 0 && row[i].ID == 0 {
		i--
	}
	return i - 1
}

func TestEmbeddings(t *testing.T) {
	vec := [][]float32{{1, 2}, {3, 4}}
	lookup := func(name, key string) ([][]float32, bool) {
		if name == "good" {
			return vec, true
		}
		return nil, false
	}
	tok := New()
	tests := []struct {
		prompt   string
		embedded int    // embedding tokens expected (CLIP-L)
		text     string // the rest must tokenize like this text
		warnings int
	}{
		// "good," is not found, so ComfyUI retries without the comma and
		// keeps the comma as text.
		{"embedding:good, 1girl", 2, ", 1girl", 0},
		{"embedding:good 1girl", 2, "1girl", 0},
		{"1girl embedding:good", 2, "1girl", 0},
		{"(embedding:good:1.2) x", 2, "x", 0},
		{"embedding:missing, 1girl", 0, ", 1girl", 1},
		{"a embedding:missing\nembedding:good b", 2, "a b", 1},
		{"embedding:", 0, "", 1},
		// Python slices ",,missing" by len("missing"), leaving "ng".
		{"embedding:,,missing", 0, "ng ", 1},
		{"xembedding:good", 0, "xembedding:good", 0},
	}
	for _, tc := range tests {
		t.Run(tc.prompt, func(t *testing.T) {
			var warnings []string
			opts := Options{Embeddings: lookup, Warn: func(m string) { warnings = append(warnings, m) }}
			rows, err := tok.Chunks(tc.prompt, ClipL, opts)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int
			embedded := 0
			for _, tk := range rows[0][1:] {
				switch {
				case tk.ID == EmbeddingID:
					embedded++
					if want := embeddingWeight(tc.prompt); tk.Weight != want {
						t.Fatalf("embedding token weight %v, want %v", tk.Weight, want)
					}
					if &tk.Embedding[0] != &vec[embedded-1][0] {
						t.Fatalf("embedding token %d does not carry vector %d", embedded, embedded-1)
					}
				case tk.ID == EndID:
				default:
					ids = append(ids, tk.ID)
				}
			}
			if embedded != tc.embedded {
				t.Fatalf("%d embedding tokens, want %d", embedded, tc.embedded)
			}
			if want := tok.Encode(tc.text); !equalInts(ids, want) {
				t.Fatalf("ids %v, want those of %q: %v", ids, tc.text, want)
			}
			if len(warnings) != tc.warnings {
				t.Fatalf("warnings %q, want %d", warnings, tc.warnings)
			}
		})
	}
}

// embeddingWeight is the weight the embedding in the TestEmbeddings
// prompts carries: only the parenthesized one is weighted.
func embeddingWeight(prompt string) float64 {
	if strings.HasPrefix(prompt, "(embedding:good:1.2)") {
		return 1.2
	}
	return 1
}

func TestEmptyPrompt(t *testing.T) {
	got, err := New().SDXL("", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.L) != 1 || len(got.G) != 1 {
		t.Fatalf("%d/%d rows, want 1", len(got.L), len(got.G))
	}
	checkRow(t, got.L[0], StartID, EndID, EndID, 0)
	checkRow(t, got.G[0], StartID, EndID, 0, 0)
}

func TestLoadFromFiles(t *testing.T) {
	loaded, err := LoadFromFiles(filepath.Join("clipvocab", "vocab.json"), filepath.Join("clipvocab", "merges.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, gc := range loadGoldens(t) {
		if got, want := loaded.Encode(gc.Prompt), New().Encode(gc.Prompt); !equalInts(got, want) {
			t.Fatalf("%q: loaded %v, embedded %v", gc.Prompt, got, want)
		}
	}
	if _, err := LoadFromFiles("missing.json", "missing.txt"); err == nil {
		t.Fatal("no error for missing files")
	}
	if _, err := Load(strings.NewReader("{"), strings.NewReader("")); err == nil {
		t.Fatal("no error for broken vocab.json")
	}
}

func TestText(t *testing.T) {
	tok := New()
	ids := tok.Encode("masterpiece 日本 turtleneck")
	var b strings.Builder
	for _, id := range ids {
		text, end := tok.Text(id)
		b.WriteString(text)
		if end {
			b.WriteByte(' ')
		}
	}
	if got := b.String(); got != "masterpiece 日 本 turtleneck " {
		t.Fatalf("decoded %q", got)
	}
	if text, end := tok.Text(StartID); text != startText || !end {
		t.Fatalf("Text(StartID) = %q, %v", text, end)
	}
}

// TestConcurrent runs many tokenizations at once (meant for -race) and
// checks they agree with a serial run.
func TestConcurrent(t *testing.T) {
	tok := New()
	cases := loadGoldens(t)
	want := make([]string, len(cases))
	for i, gc := range cases {
		want[i] = fmt.Sprint(tok.Encode(gc.Prompt + " concurrency"))
	}
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, gc := range cases {
				if got := fmt.Sprint(tok.Encode(gc.Prompt + " concurrency")); got != want[i] {
					t.Errorf("concurrent Encode(%q) differs", gc.Prompt)
				}
			}
		}()
	}
	wg.Wait()
}
