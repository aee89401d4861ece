package pngmeta

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"reflect"
	"testing"
)

func TestEncodeRoundTrip(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 10)
	}
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	chunks := []TextChunk{
		{Keyword: "prompt", Text: `{"1": {"inputs": {}}}`},
		{Keyword: "workflow", Text: `{"nodes": []}`},
		{Keyword: "note", Text: "naïve"},      // Latin-1: tEXt
		{Keyword: "emoji", Text: "smile 😀 ✓"}, // needs iTXt
		{Keyword: "packed", Text: "zipped café", Type: TypeZText},
	}
	var buf bytes.Buffer
	if err := Encode(&buf, img, png.BestSpeed, chunks); err != nil {
		t.Fatal(err)
	}
	got, err := ReadText(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	want := []TextChunk{
		{"prompt", chunks[0].Text, TypeText},
		{"workflow", chunks[1].Text, TypeText},
		{"note", "naïve", TypeText},
		{"emoji", "smile 😀 ✓", TypeIText},
		{"packed", "zipped café", TypeZText},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	// image/png checks every CRC, so decoding proves the chunks are well formed.
	dec, err := png.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for y := 0; y < 2; y++ {
		for x := 0; x < 3; x++ {
			if a, b := color.RGBAModel.Convert(dec.At(x, y)), img.At(x, y); a != b {
				t.Errorf("pixel %d,%d = %v, want %v", x, y, a, b)
			}
		}
	}
	// Text chunks come right after IHDR, as ComfyUI writes them.
	if i := bytes.Index(buf.Bytes(), []byte("tEXtprompt")); i != ihdrEnd+4 {
		t.Errorf("prompt chunk at %d, want %d", i, ihdrEnd+4)
	}
	if !bytes.Contains(buf.Bytes()[:ihdrEnd], []byte("\x08\x02")) {
		t.Errorf("opaque image not written as 8-bit RGB")
	}
}

func TestInsertTextErrors(t *testing.T) {
	good := tinyPNG(t)
	tests := []struct {
		name   string
		data   []byte
		chunks []TextChunk
		want   error
	}{
		{"not png", []byte("hello world, this is long enough to pass"), nil, ErrNotPNG},
		{"short", good[:20], nil, ErrNotPNG},
		{"empty keyword", good, []TextChunk{{Keyword: "", Text: "x"}}, ErrKeyword},
		{"long keyword", good, []TextChunk{{Keyword: string(bytes.Repeat([]byte("k"), 80)), Text: "x"}}, ErrKeyword},
		{"nul keyword", good, []TextChunk{{Keyword: "a\x00b", Text: "x"}}, ErrKeyword},
		{"non latin-1 keyword", good, []TextChunk{{Keyword: "ключ", Text: "x"}}, ErrKeyword},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := InsertText(tc.data, tc.chunks); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := InsertText(good, []TextChunk{{Keyword: "k", Text: "✓", Type: TypeText}}); err == nil {
		t.Errorf("non-latin-1 text forced into tEXt: no error")
	}
	if _, err := InsertText(good, []TextChunk{{Keyword: "k", Text: "x", Type: "bOGs"}}); err == nil {
		t.Errorf("unknown chunk type: no error")
	}
	if _, err := InsertText(good, []TextChunk{{Keyword: "k", Text: "✓", Type: TypeZText}}); err == nil {
		t.Errorf("non-latin-1 zTXt: no error")
	}
}
