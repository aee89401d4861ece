package tokenizer

import (
	"bufio"
	"encoding/json"
	"math/rand"
	"os"
	"strings"
	"testing"
)

// refBPE is CLIPTokenizer.bpe written the slow, literal way on strings:
// repeatedly take the lowest-ranked pair and merge all its occurrences.
type refBPE struct {
	ranks map[[2]string]int
	ids   map[string]int
}

func loadRefBPE(t testing.TB) *refBPE {
	t.Helper()
	data, err := os.ReadFile("clipvocab/vocab.json")
	if err != nil {
		t.Fatal(err)
	}
	r := &refBPE{ranks: map[[2]string]int{}}
	if err := json.Unmarshal(data, &r.ids); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("clipvocab/merges.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for line := 0; sc.Scan(); line++ {
		if p := strings.Fields(sc.Text()); line > 0 && len(p) == 2 {
			r.ranks[[2]string{p[0], p[1]}] = line - 1
		}
	}
	return r
}

func (r *refBPE) encode(word string) []int {
	var parts []string
	for i := 0; i < len(word); i++ {
		parts = append(parts, byteRunes[word[i]])
	}
	parts[len(parts)-1] += "</w>"
	for len(parts) > 1 {
		best, bestRank := -1, 0
		for i := 0; i+1 < len(parts); i++ {
			if rk, ok := r.ranks[[2]string{parts[i], parts[i+1]}]; ok && (best < 0 || rk < bestRank) {
				best, bestRank = i, rk
			}
		}
		if best < 0 {
			break
		}
		a, b := parts[best], parts[best+1]
		var merged []string
		for i := 0; i < len(parts); i++ {
			if i+1 < len(parts) && parts[i] == a && parts[i+1] == b {
				merged = append(merged, a+b)
				i++
				continue
			}
			merged = append(merged, parts[i])
		}
		parts = merged
	}
	ids := make([]int, len(parts))
	for i, p := range parts {
		id, ok := r.ids[p]
		if !ok {
			id = EndID
		}
		ids[i] = id
	}
	return ids
}

// TestBPEMatchesReference compares the heap-based BPE with the literal
// algorithm on real words, repetitive words (overlapping pairs) and random
// byte strings.
func TestBPEMatchesReference(t *testing.T) {
	ref := loadRefBPE(t)
	v := New().v
	words := []string{"a", "aa", "aaa", "aaaaaaaaaaaaaaaaaaaaaaa", "abababababab", "masterpiece",
		"supercalifragilisticexpialidocious", "!!!!!!!!!!!!!!!!!!!!!!!!", "lowres", "日本語", "😀🎉",
		"ssssssssssssssssssssssssssssssssss", "thighhighs", "absurdres"}
	rng := rand.New(rand.NewSource(1))
	alphabet := []rune("abcdeilnorst!.,é日😀")
	for n := 0; n < 2000; n++ {
		var b strings.Builder
		for k := rng.Intn(40) + 1; k > 0; k-- {
			b.WriteRune(alphabet[rng.Intn(len(alphabet))])
		}
		words = append(words, b.String())
	}
	for n := 0; n < 200; n++ {
		raw := make([]byte, rng.Intn(30)+1)
		rng.Read(raw)
		words = append(words, string(raw))
	}
	for _, w := range words {
		got, want := v.bpe(w), ref.encode(w)
		if !equalInts(got, want) {
			t.Fatalf("bpe(%q) = %v, want %v", w, got, want)
		}
	}
}

// TestBPELongWord checks long words: a few thousand bytes against the
// literal algorithm, and a 200 kB word (hopeless for a quadratic loop) for
// pieces that spell the word back.
func TestBPELongWord(t *testing.T) {
	ref := loadRefBPE(t)
	tok := New()
	mid := strings.Repeat("abcab", 800)
	if got, want := tok.v.bpe(mid), ref.encode(mid); !equalInts(got, want) {
		t.Fatalf("bpe of %d bytes differs from the reference", len(mid))
	}
	word := strings.Repeat("ab", 100000)
	var b strings.Builder
	for _, id := range tok.v.bpe(word) {
		b.WriteString(tok.Piece(id))
	}
	if b.String() != word+"</w>" {
		t.Fatalf("pieces of a %d byte word do not spell it", len(word))
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
