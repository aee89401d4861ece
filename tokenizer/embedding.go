package tokenizer

import (
	"strings"
	"unicode/utf8"

	"sumi/pyfmt"
)

// embeddingPrefix marks a textual-inversion embedding in a prompt.
const embeddingPrefix = "embedding:"

// EmbeddingLookup finds the textual-inversion embedding called name for one
// encoder. key is ComfyUI's embedding key of that encoder ("clip_l" or
// "clip_g"); the vectors are rows of that encoder's hidden size. ok is false
// when there is no such embedding (or it cannot be used), in which case the
// name is dropped from the prompt with a warning, as ComfyUI does.
type EmbeddingLookup func(name, key string) (vectors [][]float32, ok bool)

// splitEmbeddingWords is ComfyUI's re.split(' embedding:|\nembedding:') with
// the marker put back on every piece after the first, and empty pieces
// dropped.
func splitEmbeddingWords(s string) []string {
	var words []string
	add := func(w string) {
		if w != "" {
			words = append(words, w)
		}
	}
	start, from, first := 0, 0, true
	for {
		i := strings.Index(s[from:], embeddingPrefix)
		if i < 0 {
			break
		}
		i += from
		from = i + len(embeddingPrefix)
		// The separator before the marker must lie after the previous match.
		if i-1 < start || (s[i-1] != ' ' && s[i-1] != '\n') {
			continue
		}
		piece := s[start : i-1]
		if !first {
			piece = embeddingPrefix + piece
		}
		add(piece)
		start, first = from, false
	}
	piece := s[start:]
	if !first {
		piece = embeddingPrefix + piece
	}
	add(piece)
	return words
}

// embeddingWord handles one word that starts with "embedding:" the way
// ComfyUI's _try_get_embedding does. It returns the vectors (nil when the
// embedding is missing), the text left over to tokenize normally, and the
// name as ComfyUI prints it in its warning.
func embeddingWord(word, key string, lookup EmbeddingLookup) (vectors [][]float32, found bool, leftover, name string) {
	name = strings.Trim(word[len(embeddingPrefix):], "\n")
	fields := strings.FieldsFunc(name, pyfmt.IsSpace)
	if len(fields) == 0 {
		// ComfyUI fails here with an IndexError; treating it as a missing
		// embedding keeps the rest of the prompt usable.
		return nil, false, "", name
	}
	first := fields[0]
	leftover = strings.Join(fields[1:], " ")
	if vectors, found = find(lookup, first, key); found {
		return vectors, true, leftover, name
	}
	stripped := strings.Trim(first, ",")
	if len(stripped) < len(first) {
		vectors, found = find(lookup, stripped, key)
		// Python slices the unstripped name by the stripped name's length in
		// characters; with leading commas that keeps a bit of the name.
		rest := skipRunes(first, utf8.RuneCountInString(stripped))
		return vectors, found, rest + " " + leftover, name
	}
	return nil, false, leftover, name
}

func find(lookup EmbeddingLookup, name, key string) ([][]float32, bool) {
	if lookup == nil {
		return nil, false
	}
	return lookup(name, key)
}

// skipRunes drops the first n runes of s.
func skipRunes(s string, n int) string {
	for ; n > 0 && s != ""; n-- {
		_, size := utf8.DecodeRuneInString(s)
		s = s[size:]
	}
	return s
}
