// Package pngmeta reads and writes the textual chunks of PNG files (tEXt,
// zTXt, iTXt), where ComfyUI stores the API prompt ("prompt") and the UI
// workflow ("workflow") of every image it saves.
//
// The reader is built for untrusted files: it never panics, never allocates
// more than the data actually present (plus a bounded inflate budget), and
// ignores CRCs the way the ComfyUI frontend does when a PNG is dropped on the
// editor, so any file the frontend can load, sumi can load too. Chunks that
// are damaged beyond use are skipped; a file cut short returns the chunks read
// so far together with ErrTruncated.
package pngmeta

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Signature is the 8-byte magic number every PNG file starts with.
const Signature = "\x89PNG\r\n\x1a\n"

// MaxTextSize bounds the decompressed size of all zTXt and compressed iTXt
// chunks of one file together, so a small file cannot inflate into
// gigabytes; chunks beyond it are skipped. Real ComfyUI workflows are a few
// megabytes at most.
const MaxTextSize = 64 << 20

// textBudget is MaxTextSize; tests lower it to stay fast under -race.
var textBudget = MaxTextSize

// Chunk type names of the textual chunks.
const (
	TypeText  = "tEXt"
	TypeZText = "zTXt"
	TypeIText = "iTXt"
)

// Errors callers may branch on with errors.Is.
var (
	// ErrNotPNG means the data does not start with the PNG signature.
	ErrNotPNG = errors.New("pngmeta: not a png file")
	// ErrTruncated means the file ended inside a chunk or before IEND.
	ErrTruncated = errors.New("pngmeta: truncated png file")
)

// TextChunk is one keyword/text pair of a tEXt, zTXt or iTXt chunk.
type TextChunk struct {
	Keyword string
	// Text is UTF-8. tEXt/zTXt bytes that are not valid UTF-8 are read as
	// Latin-1 (the PNG standard's encoding); valid UTF-8 is kept as is,
	// since that is what browsers and many tools actually write.
	Text string
	// Type is TypeText, TypeZText or TypeIText. When writing, an empty Type
	// picks tEXt for Latin-1 text and iTXt otherwise.
	Type string
}

// ReadText returns the textual chunks of the PNG read from r, in file order.
// It stops at IEND. On a truncated file it returns what it read with an error
// wrapping ErrTruncated.
func ReadText(r io.Reader) ([]TextChunk, error) {
	br := bufio.NewReader(r)
	var sig [8]byte
	if _, err := io.ReadFull(br, sig[:]); err != nil || string(sig[:]) != Signature {
		return nil, ErrNotPNG
	}
	var out []TextChunk
	budget := textBudget
	for {
		typ, body, err := nextChunk(br)
		if err != nil {
			return out, err
		}
		if typ == "IEND" {
			return out, nil
		}
		if body == nil {
			continue
		}
		if c, ok := decodeText(typ, body, &budget); ok {
			out = append(out, c)
		}
	}
}

// ReadMap is ReadText folded into keyword -> text. A keyword that occurs
// twice keeps its last text, as in the ComfyUI frontend.
func ReadMap(r io.Reader) (map[string]string, error) {
	chunks, err := ReadText(r)
	m := make(map[string]string, len(chunks))
	for _, c := range chunks {
		m[c.Keyword] = c.Text
	}
	return m, err
}

// nextChunk reads one chunk. Bodies are returned only for textual chunks;
// the others are skipped without buffering them.
func nextChunk(br *bufio.Reader) (typ string, body []byte, err error) {
	var hdr [8]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return "", nil, fmt.Errorf("%w: chunk header: %v", ErrTruncated, err)
	}
	n := int64(binary.BigEndian.Uint32(hdr[:4]))
	typ = string(hdr[4:8])
	if !isTextType(typ) {
		if _, err := io.CopyN(io.Discard, br, n+4); err != nil {
			return typ, nil, fmt.Errorf("%w: %q chunk", ErrTruncated, typ)
		}
		return typ, nil, nil
	}
	// Grow with the data actually present rather than trusting the length.
	var buf bytes.Buffer
	if _, err := io.CopyN(&buf, br, n); err != nil {
		return typ, nil, fmt.Errorf("%w: %q chunk", ErrTruncated, typ)
	}
	// The CRC is read but not checked: the frontend does not check it either.
	if _, err := io.CopyN(io.Discard, br, 4); err != nil {
		return typ, nil, fmt.Errorf("%w: %q chunk crc", ErrTruncated, typ)
	}
	return typ, buf.Bytes(), nil
}

func isTextType(t string) bool {
	return t == TypeText || t == TypeZText || t == TypeIText
}

// decodeText parses a textual chunk body; ok is false for a body that is
// malformed (no keyword separator, bad compression, oversized text).
func decodeText(typ string, body []byte, budget *int) (TextChunk, bool) {
	kw, rest, found := bytes.Cut(body, []byte{0})
	if !found || len(kw) == 0 {
		return TextChunk{}, false
	}
	c := TextChunk{Keyword: latin1(kw), Type: typ}
	switch typ {
	case TypeText:
		c.Text = legacyText(rest)
		return c, true
	case TypeZText:
		if len(rest) < 1 || rest[0] != 0 {
			return c, false
		}
		text, err := inflate(rest[1:], budget)
		c.Text = legacyText(text)
		return c, err == nil
	default:
		text, ok := decodeIText(rest, budget)
		c.Text = text
		return c, ok
	}
}

// decodeIText parses what follows the keyword of an iTXt chunk:
// compression flag, method, language tag, translated keyword, text.
func decodeIText(rest []byte, budget *int) (string, bool) {
	if len(rest) < 2 {
		return "", false
	}
	compressed, method := rest[0], rest[1]
	rest = rest[2:]
	_, rest, ok1 := bytes.Cut(rest, []byte{0}) // language tag
	_, rest, ok2 := bytes.Cut(rest, []byte{0}) // translated keyword
	if !ok1 || !ok2 {
		return "", false
	}
	switch {
	case compressed == 0:
		return toValidUTF8(rest), true
	case compressed == 1 && method == 0:
		text, err := inflate(rest, budget)
		return toValidUTF8(text), err == nil
	}
	return "", false
}

// inflate decompresses a zlib stream of at most *budget bytes and takes
// its size from the budget.
func inflate(data []byte, budget *int) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, int64(*budget)+1))
	if err != nil {
		return nil, err
	}
	if len(out) > *budget {
		return nil, fmt.Errorf("pngmeta: compressed text over %d bytes in one file", textBudget)
	}
	*budget -= len(out)
	return out, nil
}

// legacyText decodes tEXt/zTXt bytes: UTF-8 when valid, else Latin-1.
func legacyText(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return latin1(b)
}

func latin1(b []byte) string {
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = rune(c)
	}
	return string(rs)
}

func toValidUTF8(b []byte) string {
	return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
}
