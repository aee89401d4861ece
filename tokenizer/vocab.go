package tokenizer

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

//go:embed clipvocab/vocab.json
var vocabJSON []byte

//go:embed clipvocab/merges.txt
var mergesTXT []byte

// maxMerges is CLIPTokenizer's cut of merges.txt: 49152 - 256 - 2 rules.
const maxMerges = 49152 - 256 - 2

// vocab holds the BPE tables. BPE runs on symbol numbers (sym) rather than
// strings; a symbol is a vocabulary piece or an intermediate merge result.
type vocab struct {
	pieces     map[int]string // vocab id -> piece, for display
	start, end int            // special ids; end doubles as the unknown id

	symIDs   map[string]int32
	symVocab []int // sym -> vocab id (the unknown id when absent)
	merges   map[uint64]merge
	byteSym  [256]int32 // sym of a byte inside a word
	byteLast [256]int32 // sym of a byte ending a word ("</w>" attached)
	ids      map[string]int
}

type merge struct {
	rank   int32
	result int32
}

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

func parseVocab(vocabJSON, mergesTXT io.Reader) (*vocab, error) {
	ids := map[string]int{}
	if err := json.NewDecoder(vocabJSON).Decode(&ids); err != nil {
		return nil, fmt.Errorf("tokenizer: vocab.json: %w", err)
	}
	if len(ids) == 0 {
		return nil, errors.New("tokenizer: vocab.json: empty vocabulary")
	}
	v := &vocab{ids: ids, pieces: make(map[int]string, len(ids)), symIDs: map[string]int32{}}
	for s, id := range ids {
		v.pieces[id] = s
	}
	v.end = v.lookup(endText, EndID)
	v.start = v.lookup(startText, StartID)
	for b := 0; b < 256; b++ {
		v.byteSym[b] = v.sym(byteRunes[b])
		v.byteLast[b] = v.sym(byteRunes[b] + "</w>")
	}
	if err := v.readMerges(mergesTXT); err != nil {
		return nil, err
	}
	return v, nil
}

func (v *vocab) lookup(s string, fallback int) int {
	if id, ok := v.ids[s]; ok {
		return id
	}
	return fallback
}

// id returns the vocabulary id of piece s, or the unknown id.
func (v *vocab) id(s string) int { return v.lookup(s, v.end) }

// sym returns the symbol number of s, adding it if new.
func (v *vocab) sym(s string) int32 {
	if n, ok := v.symIDs[s]; ok {
		return n
	}
	n := int32(len(v.symVocab))
	v.symIDs[s] = n
	v.symVocab = append(v.symVocab, v.id(s))
	return n
}

func (v *vocab) readMerges(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	v.merges = make(map[uint64]merge, maxMerges)
	// The first line is the "#version" header; CLIPTokenizer skips it
	// unconditionally, and so do we.
	for line := 0; sc.Scan(); line++ {
		if line == 0 {
			continue
		}
		if line > maxMerges {
			break
		}
		parts := strings.Fields(sc.Text())
		if len(parts) != 2 {
			// CLIPTokenizer keeps such a line as a rule that never matches:
			// it still takes up a rank.
			continue
		}
		a, b := v.sym(parts[0]), v.sym(parts[1])
		key := pairKey(a, b)
		// A repeated rule keeps its last rank, as a Python dict built from
		// the list does.
		v.merges[key] = merge{rank: int32(line - 1), result: v.sym(parts[0] + parts[1])}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("tokenizer: merges.txt: %w", err)
	}
	return nil
}

// byteRunes maps each byte to the printable character that stands for it in
// the vocabulary (the GPT-2 byte-to-unicode table): printable Latin-1 bytes
// map to themselves, the other 68 to U+0100 onwards in byte order.
var byteRunes = func() (t [256]string) {
	next := rune(256)
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			t[b] = string(rune(b))
			continue
		}
		t[b] = string(next)
		next++
	}
	return t
}()

// runeBytes is the inverse of byteRunes.
var runeBytes = func() map[rune]byte {
	m := make(map[rune]byte, 256)
	for b, s := range byteRunes {
		m[[]rune(s)[0]] = byte(b)
	}
	return m
}()

// decodeBytes turns a byte-level piece back into the bytes it encodes.
func decodeBytes(p string) string {
	out := make([]byte, 0, len(p))
	for _, r := range p {
		if b, ok := runeBytes[r]; ok {
			out = append(out, b)
		} else {
			out = append(out, string(r)...)
		}
	}
	return string(out)
}
