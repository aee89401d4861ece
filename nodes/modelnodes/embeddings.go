package modelnodes

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"sumi/safetensors"
	"sumi/tokenizer"
)

// Textual-inversion embeddings ("embedding:NAME" in a prompt), found and
// read as ComfyUI's load_embed does: the name is a path below one of the
// embeddings folders or any of their sub-folders, tried as given, then with
// ".safetensors", ".pt" and ".bin" appended. A .safetensors file gives the
// tensor named after the encoder ("clip_l", "clip_g") or else its first
// tensor in name order (SD 1.5's "emb_params"); rows are vectors. Other
// files are pickles, which sumi does not load. A missing or unusable
// embedding is dropped from the prompt with a warning, never an error.

// maxEmbeddingFile bounds what an embedding file may cost in memory; real
// ones are a few KB to about 1 MB.
const maxEmbeddingFile = 256 << 20

// maxEmbeddingDepth stops the sub-folder walk in symlink loops.
const maxEmbeddingDepth = 32

// embeddingSuffixes are tried after the name as given.
var embeddingSuffixes = []string{"", ".safetensors", ".pt", ".bin"}

// embedCache keeps decoded embedding files by path; a file is read again
// when its size or modification time changes.
type embedCache struct {
	mu    sync.Mutex
	files map[string]*embedFile
	loads int // files read (tests)
}

// embedFile is one decoded .safetensors embedding file.
type embedFile struct {
	size    int64
	mod     time.Time
	names   []string // sorted, the order safetensors' load_file yields
	tensors map[string]embedTensor
}

type embedTensor struct {
	shape []int64
	data  []float32
}

// load returns the decoded file at path, from the cache when unchanged.
func (c *embedCache) load(path string) (*embedFile, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.files[path]; ok && f.size == st.Size() && f.mod.Equal(st.ModTime()) {
		return f, nil
	}
	if st.Size() > maxEmbeddingFile {
		return nil, fmt.Errorf("%d bytes is too large for an embedding", st.Size())
	}
	f, err := readEmbedding(path)
	if err != nil {
		return nil, err
	}
	f.size, f.mod = st.Size(), st.ModTime()
	if c.files == nil {
		c.files = map[string]*embedFile{}
	}
	c.files[path] = f
	c.loads++
	return f, nil
}

// clear drops every cached file.
func (c *embedCache) clear() {
	c.mu.Lock()
	c.files = nil
	c.mu.Unlock()
}

func readEmbedding(path string) (*embedFile, error) {
	sf, err := safetensors.Open(path)
	if err != nil {
		return nil, err
	}
	defer sf.Close()
	f := &embedFile{names: sf.Names(), tensors: map[string]embedTensor{}}
	slices.Sort(f.names)
	for _, ti := range sf.Tensors() {
		if !ti.DType.IsFloat() {
			continue // never chosen: vectors must be float
		}
		data, err := sf.Float32(ti.Name)
		if err != nil {
			return nil, err
		}
		f.tensors[ti.Name] = embedTensor{shape: ti.Shape, data: data}
	}
	return f, nil
}

// vectors picks the tensor for an encoder key and splits it into vectors
// along its last axis (a 1-D tensor is one vector).
func (f *embedFile) vectors(key string) ([][]float32, error) {
	name := key
	if _, ok := f.tensors[key]; !ok {
		if len(f.names) == 0 {
			return nil, errors.New("the file holds no tensors")
		}
		name = f.names[0]
	}
	t, ok := f.tensors[name]
	switch {
	case !ok:
		return nil, fmt.Errorf("tensor %q is not a float tensor", name)
	case len(t.shape) == 0 || len(t.data) == 0:
		return nil, fmt.Errorf("tensor %q of shape %v holds no vectors", name, t.shape)
	}
	d := int(t.shape[len(t.shape)-1])
	out := make([][]float32, len(t.data)/d)
	for i := range out {
		out[i] = t.data[i*d : (i+1)*d : (i+1)*d]
	}
	return out, nil
}

// findEmbedding resolves an embedding name to a file: the folders first,
// then their sub-folders (ComfyUI searches them all, in no set order).
func findEmbedding(dirs []string, name string) (string, bool) {
	for _, d := range dirs {
		if p, ok := embeddingIn(d, name); ok {
			return p, true
		}
	}
	for _, d := range dirs {
		var found string
		walkDirs(d, 0, func(sub string) bool {
			if p, ok := embeddingIn(sub, name); ok {
				found = p
			}
			return found != ""
		})
		if found != "" {
			return found, true
		}
	}
	return "", false
}

// embeddingIn looks for name in one folder. Like ComfyUI, a name that
// leads outside the folder ("../x", an absolute path elsewhere) is skipped;
// unlike it, so is a candidate with a suffix appended that does ("." +
// ".safetensors" would name a file beside the folder).
func embeddingIn(dir, name string) (string, bool) {
	dir, err := filepath.Abs(dir)
	if err != nil || name == "" || strings.ContainsRune(name, 0) {
		return "", false
	}
	p := filepath.Join(dir, name)
	if filepath.IsAbs(name) {
		p = filepath.Clean(name)
	}
	for _, suffix := range embeddingSuffixes {
		c := p + suffix
		if rel, err := filepath.Rel(dir, c); err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			continue
		}
		if st, err := os.Stat(c); err == nil && st.Mode().IsRegular() {
			return c, true
		}
	}
	return "", false
}

// walkDirs calls fn for every folder below dir (following symlinks, in
// name order, depth first) until fn returns true.
func walkDirs(dir string, depth int, fn func(string) bool) bool {
	if depth > maxEmbeddingDepth {
		return false
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if st, err := os.Stat(p); err != nil || !st.IsDir() {
			continue
		}
		if fn(p) || walkDirs(p, depth+1, fn) {
			return true
		}
	}
	return false
}

// embeddingLookup is the tokenizer hook for one CLIPTextEncode call.
// Files that cannot be used are reported once per call (the tokenizer asks
// once per encoder), then treated as missing, which the tokenizer reports
// in ComfyUI's words.
func (env Env) embeddingLookup() tokenizer.EmbeddingLookup {
	dirs, _ := env.Folders.ModelDirs("embeddings")
	warned := map[string]bool{}
	problem := func(name, path string, err error) {
		if !warned[path] {
			warned[path] = true
			env.warn(fmt.Sprintf("error loading embedding, skipping loading: %s (%s: %v)", name, path, err))
		}
	}
	return func(name, key string) ([][]float32, bool) {
		path, ok := findEmbedding(dirs, name)
		if !ok {
			return nil, false
		}
		if !strings.HasSuffix(strings.ToLower(path), ".safetensors") {
			problem(name, path, errors.New("not a .safetensors file; sumi does not load pickled (.pt, .bin) embeddings, convert it to .safetensors"))
			return nil, false
		}
		f, err := env.Cache.embeds.load(path)
		if err != nil {
			problem(name, path, err)
			return nil, false
		}
		v, err := f.vectors(key)
		if err != nil {
			problem(name, path, err)
			return nil, false
		}
		return v, true
	}
}

// dropMismatched removes embedding vectors whose width is not the
// encoder's, as ComfyUI's process_tokens does after chunking: the other
// tokens of the row move left, pad tokens fill the end, and the weights stay
// with their positions (ComfyUI applies weights by the original position).
func dropMismatched(rows [][]tokenizer.Token, width, pad int, warn func(string)) [][]tokenizer.Token {
	out, cloned := rows, false
	for r, row := range rows {
		kept := make([]tokenizer.Token, 0, len(row))
		for _, t := range row {
			if t.Embedding != nil && len(t.Embedding) != width {
				warn(fmt.Sprintf("WARNING: shape mismatch when trying to apply embedding, embedding will be ignored %d != %d", len(t.Embedding), width))
				continue
			}
			kept = append(kept, t)
		}
		if len(kept) == len(row) {
			continue
		}
		if !cloned {
			out, cloned = slices.Clone(rows), true
		}
		fixed := make([]tokenizer.Token, len(row))
		for j := range row {
			t := tokenizer.Token{ID: pad}
			if j < len(kept) {
				t = kept[j]
			}
			t.Weight = row[j].Weight
			fixed[j] = t
		}
		out[r] = fixed
	}
	return out
}
