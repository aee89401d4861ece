package pngmeta

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
)

// ErrKeyword means a keyword cannot be stored in a PNG text chunk: it must be
// 1 to 79 Latin-1 characters without NUL.
var ErrKeyword = errors.New("pngmeta: invalid keyword")

// ihdrEnd is the offset just past the IHDR chunk, which the PNG standard
// requires to come first: 8 signature + 4 length + 4 type + 13 data + 4 CRC.
const ihdrEnd = 8 + 4 + 4 + 13 + 4

// Encode writes img as a PNG with the given text chunks placed right after
// IHDR, before the image data, which is where ComfyUI's SaveImage (PIL) puts
// its "prompt" and "workflow" chunks. Gray, RGB and RGBA images (*image.Gray,
// *image.NRGBA) are encoded on all cores (fastpng.go), others by image/png.
// Besides image/png's levels, level may be a zlib level from 1 to 9, as
// PIL's compress_level (ComfyUI's SaveImage uses 4, PreviewImage 1).
func Encode(w io.Writer, img image.Image, level png.CompressionLevel, chunks []TextChunk) error {
	var buf bytes.Buffer
	done, err := fastEncode(&buf, img, level)
	if err != nil {
		return fmt.Errorf("pngmeta: encode: %w", err)
	}
	if !done {
		enc := png.Encoder{CompressionLevel: pngLevel(level)}
		if err := enc.Encode(&buf, img); err != nil {
			return fmt.Errorf("pngmeta: encode: %w", err)
		}
	}
	out, err := InsertText(buf.Bytes(), chunks)
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

// InsertText returns a copy of the PNG file data with chunks inserted right
// after IHDR, in the given order.
func InsertText(data []byte, chunks []TextChunk) ([]byte, error) {
	if len(data) < ihdrEnd || string(data[:8]) != Signature || string(data[12:16]) != "IHDR" ||
		binary.BigEndian.Uint32(data[8:12]) != 13 {
		return nil, ErrNotPNG
	}
	var mid bytes.Buffer
	for _, c := range chunks {
		if err := writeTextChunk(&mid, c); err != nil {
			return nil, err
		}
	}
	out := make([]byte, 0, len(data)+mid.Len())
	out = append(out, data[:ihdrEnd]...)
	out = append(out, mid.Bytes()...)
	return append(out, data[ihdrEnd:]...), nil
}

// writeTextChunk encodes one chunk. With no Type, Latin-1 text goes into
// tEXt as PIL's PngInfo.add_text does, other text into an uncompressed
// UTF-8 iTXt (PIL falls back the same way). zTXt (compressed Latin-1) can
// be asked for, so chunks read from a file can be written back as they were.
func writeTextChunk(w *bytes.Buffer, c TextChunk) error {
	kw, ok := toLatin1(c.Keyword)
	if !ok || len(kw) == 0 || len(kw) > 79 || bytes.IndexByte(kw, 0) >= 0 {
		return fmt.Errorf("%w: %q", ErrKeyword, c.Keyword)
	}
	typ := c.Type
	text, isLatin1 := toLatin1(c.Text)
	if typ == "" {
		typ = TypeText
		if !isLatin1 {
			typ = TypeIText
		}
	}
	var body []byte
	switch typ {
	case TypeText:
		if !isLatin1 {
			return fmt.Errorf("pngmeta: %q: text is not latin-1, use iTXt", c.Keyword)
		}
		body = append(append(kw, 0), text...)
	case TypeZText:
		if !isLatin1 {
			return fmt.Errorf("pngmeta: %q: text is not latin-1, use iTXt", c.Keyword)
		}
		body = append(append(kw, 0, 0), deflate(text)...)
	case TypeIText:
		// keyword, NUL, uncompressed flag, method, empty language and
		// translated keyword (each NUL-terminated), UTF-8 text.
		body = append(append(kw, 0, 0, 0, 0, 0), c.Text...)
	default:
		return fmt.Errorf("pngmeta: %q: cannot write chunk type %q", c.Keyword, typ)
	}
	writeChunk(w, typ, body)
	return nil
}

func deflate(b []byte) []byte {
	var out bytes.Buffer
	zw := zlib.NewWriter(&out)
	zw.Write(b) // writes to a bytes.Buffer cannot fail
	zw.Close()
	return out.Bytes()
}

func writeChunk(w *bytes.Buffer, typ string, body []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(body)))
	w.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(body)
	w.WriteString(typ)
	w.Write(body)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	w.Write(n[:])
}

// toLatin1 converts s to Latin-1 bytes; ok is false when a rune is above
// U+00FF or s is not valid UTF-8.
func toLatin1(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xFF { // also catches invalid UTF-8, decoded as U+FFFD
			return nil, false
		}
		out = append(out, byte(r))
	}
	return out, true
}
