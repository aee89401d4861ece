package modelnodes

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"sumi/folders"
	"sumi/model/sdxl"
	"sumi/safetensors"
	"sumi/tokenizer"
)

// warnings collects an Env's warnings.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) add(msg string) {
	w.mu.Lock()
	w.msgs = append(w.msgs, msg)
	w.mu.Unlock()
}

func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.msgs
	w.msgs = nil
	return out
}

// vectors returns n deterministic random vectors of width d.
func vectors(seed uint64, n, d int) [][]float32 {
	t := randTensor(seed, -0.05, 0.05, n, d)
	out := make([][]float32, n)
	for i := range out {
		out[i] = t.Data[i*d : (i+1)*d]
	}
	return out
}

func flat(vs [][]float32) []float32 { return slices.Concat(vs...) }

// writeEmbedding writes models/embeddings/name with the given [n,d] tensors.
func writeEmbedding(t *testing.T, f *folders.Folders, name string, tensors map[string][][]float32) {
	t.Helper()
	var w safetensors.Writer
	for _, k := range slices.Sorted(maps.Keys(tensors)) {
		vs := tensors[k]
		w.AddFloat32(k, []int64{int64(len(vs)), int64(len(vs[0]))}, flat(vs))
	}
	writeModel(t, f, "embeddings", name, &w)
}

// handRow builds one encoder row as ComfyUI lays it out: start, the
// groups, end, then pad up to 77.
func handRow(pad int, groups ...[]tokenizer.Token) []tokenizer.Token {
	row := []tokenizer.Token{{ID: tokenizer.StartID, Weight: 1}}
	for _, g := range groups {
		row = append(row, g...)
	}
	row = append(row, tokenizer.Token{ID: tokenizer.EndID, Weight: 1})
	for len(row) < tokenizer.ChunkLen {
		row = append(row, tokenizer.Token{ID: pad, Weight: 1})
	}
	return row
}

func words(text string, w float64) []tokenizer.Token {
	var out []tokenizer.Token
	for _, id := range sharedTokenizer().Encode(text) {
		out = append(out, tokenizer.Token{ID: id, Weight: w})
	}
	return out
}

func injected(vs [][]float32, w float64) []tokenizer.Token {
	var out []tokenizer.Token
	for _, v := range vs {
		out = append(out, tokenizer.Token{ID: tokenizer.EmbeddingID, Weight: w, Embedding: v})
	}
	return out
}

// TestCLIPTextEncodeEmbeddings: "embedding:NAME" in CLIPTextEncode gives
// the conditioning of a direct sdxl.EncodeText run with the file's vectors
// injected as tokens, and missing or unusable embeddings are dropped with
// ComfyUI's warnings.
func TestCLIPTextEncodeEmbeddings(t *testing.T) {
	f := baseDir(t)
	var warned warnings
	env := Env{Folders: f, Cache: sharedCache(), Warn: warned.add}
	clip := mustRunNode(t, env, "CheckpointLoaderSimple", map[string]any{"ckpt_name": ckptName})[1].(*CLIP)
	dl, dg := clip.base.Config.CLIPL.HiddenSize, clip.base.Config.CLIPG.HiddenSize
	l, g := vectors(10, 3, dl), vectors(11, 3, dg)
	deepL, deepG := vectors(12, 2, dl), vectors(13, 2, dg)
	sd15 := vectors(14, 2, dl)
	writeEmbedding(t, f, "tinyemb.safetensors", map[string][][]float32{"clip_l": l, "clip_g": g})
	writeEmbedding(t, f, "style/deep.safetensors", map[string][][]float32{"clip_g": deepG, "clip_l": deepL})
	writeEmbedding(t, f, "sd15.safetensors", map[string][][]float32{"emb_params": sd15})
	writeModel(t, f, "", "secret.safetensors", &safetensors.Writer{})
	if err := os.WriteFile(filepath.Join(f.ModelsDir(), "embeddings", "old.pt"), []byte("PK\x03\x04"), 0o644); err != nil {
		t.Fatal(err)
	}
	plain := func(name string) (string, []tokenizer.Token, []tokenizer.Token) {
		return "a photo of embedding:" + name + " cat", words("a photo of", 1), words("cat", 1)
	}
	type want struct {
		lv, gv [][]float32 // injected vectors (nil: dropped)
		w      float64
		warn   []string
	}
	// ComfyUI names the rest of the prompt piece in its warning, once per
	// encoder.
	missing := func(name string, extra ...string) want {
		msg := "warning, embedding:" + name + " cat does not exist, ignoring"
		return want{w: 1, warn: append(extra, msg, msg)}
	}
	mismatch := fmt.Sprintf("WARNING: shape mismatch when trying to apply embedding, embedding will be ignored %d != %d", dl, dg)
	cases := []struct {
		name, embed string
		want        want
	}{
		{"bare name", "tinyemb", want{l, g, 1, nil}},
		{"with extension", "tinyemb.safetensors", want{l, g, 1, nil}},
		{"sub-folder path", "style/deep", want{deepL, deepG, 1, nil}},
		{"found in a sub-folder", "deep", want{deepL, deepG, 1, nil}},
		{"sd1.5 emb_params", "sd15", want{sd15, nil, 1, []string{mismatch, mismatch}}},
		{"missing", "nosuch", missing("nosuch")},
		{"other case", "TinyEmb", missing("TinyEmb")},
		{"outside the folder", "../secret", missing("../secret")},
		{"pickle", "old", missing("old", "error loading embedding, skipping loading: old")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			prompt, before, after := plain(tc.embed)
			checkEncode(t, env, clip, prompt, before, after, tc.want.lv, tc.want.gv, 1)
			if got := warned.take(); !sameWarnings(got, tc.want.warn) {
				t.Errorf("warnings %q, want %q", got, tc.want.warn)
			}
		})
	}
	t.Run("weighted", func(t *testing.T) {
		checkEncode(t, env, clip, "a photo of (embedding:tinyemb:1.3) cat", words("a photo of ", 1), words(" cat", 1), l, g, 1.3)
	})
	t.Run("the vectors matter", func(t *testing.T) {
		with := mustRunNode(t, env, "CLIPTextEncode", map[string]any{"text": "a photo of embedding:tinyemb cat", "clip": clip})[0].(Conditioning)
		without := mustRunNode(t, env, "CLIPTextEncode", map[string]any{"text": "a photo of cat", "clip": clip})[0].(Conditioning)
		if relErr(with[0].Cross, without[0].Cross) < 1e-3 {
			t.Error("the embedding hardly changes the conditioning; the test proves nothing")
		}
	})
}

// checkEncode runs CLIPTextEncode on prompt and compares it, exactly, with
// sdxl.EncodeText on rows built by hand: start, before, the vectors (nil:
// none) at weight w, after, end, padding.
func checkEncode(t *testing.T, env Env, clip *CLIP, prompt string, before, after []tokenizer.Token, lv, gv [][]float32, w float64) {
	t.Helper()
	got := mustRunNode(t, env, "CLIPTextEncode", map[string]any{"text": prompt, "clip": clip})[0].(Conditioning)
	toks := tokenizer.SDXLTokens{
		L: [][]tokenizer.Token{handRow(tokenizer.EndID, before, injected(lv, w), after)},
		G: [][]tokenizer.Token{handRow(0, before, injected(gv, w), after)},
	}
	cross, pooled, err := clip.base.EncodeText(context.Background(), toks, sdxl.TextOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sameTensor(t, "cond", got[0].Cross, cross)
	sameTensor(t, "pooled", got[0].Pooled, pooled)
}

// sameWarnings compares warnings, allowing extra text after each expected one.
func sameWarnings(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !strings.HasPrefix(got[i], want[i]) {
			return false
		}
	}
	return true
}

// TestEmbeddingMismatchKeepsWeightPositions: dropping a vector of the wrong
// width shifts the later tokens left and pads the end, while the weights
// stay with their positions, as ComfyUI applies them.
func TestEmbeddingMismatchKeepsWeightPositions(t *testing.T) {
	e := make([]float32, 3)
	row := []tokenizer.Token{{ID: 1, Weight: 1}, {ID: tokenizer.EmbeddingID, Weight: 2, Embedding: e}, {ID: 5, Weight: 3}, {ID: 7, Weight: 1}}
	var warned warnings
	out := dropMismatched([][]tokenizer.Token{row}, 4, 0, warned.add)
	want := []tokenizer.Token{{ID: 1, Weight: 1}, {ID: 5, Weight: 2}, {ID: 7, Weight: 3}, {ID: 0, Weight: 1}}
	if !slices.EqualFunc(out[0], want, func(a, b tokenizer.Token) bool { return a.ID == b.ID && a.Weight == b.Weight && a.Embedding == nil }) {
		t.Errorf("row %v, want %v", out[0], want)
	}
	if row[1].Embedding == nil || len(warned.take()) != 1 {
		t.Error("the input row was modified, or the drop was not reported once")
	}
	if same := dropMismatched([][]tokenizer.Token{row}, 3, 0, warned.add); &same[0][0] != &row[0] {
		t.Error("a row without mismatches was copied")
	}
}

// TestEmbeddingCache: a file is read once, and again after it changes.
func TestEmbeddingCache(t *testing.T) {
	f := baseDir(t)
	env := Env{Folders: f, Cache: NewCache(CacheOptions{}), Warn: func(string) {}}
	writeEmbedding(t, f, "e.safetensors", map[string][][]float32{"clip_l": vectors(1, 2, 4)})
	lookup := env.embeddingLookup()
	for i := 0; i < 3; i++ {
		if _, ok := lookup("e", "clip_l"); !ok {
			t.Fatal("embedding not found")
		}
	}
	if env.Cache.embeds.loads != 1 {
		t.Fatalf("read %d times, want once", env.Cache.embeds.loads)
	}
	newer := vectors(2, 3, 4)
	writeEmbedding(t, f, "e.safetensors", map[string][][]float32{"clip_l": newer})
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(filepath.Join(f.ModelsDir(), "embeddings", "e.safetensors"), later, later); err != nil {
		t.Fatal(err)
	}
	got, ok := lookup("e", "clip_l")
	if !ok || !slices.Equal(flat(got), flat(newer)) || env.Cache.embeds.loads != 2 {
		t.Errorf("after a change: %v %v (%d reads), want the new vectors from a second read", ok, got, env.Cache.embeds.loads)
	}
	env.Cache.Free()
	if _, ok := lookup("e", "clip_l"); !ok || env.Cache.embeds.loads != 3 {
		t.Errorf("after Free: %d reads, want 3", env.Cache.embeds.loads)
	}
}
