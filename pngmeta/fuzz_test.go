package pngmeta

import (
	"bytes"
	"os"
	"testing"
	"unicode/utf8"
)

// FuzzReadText feeds arbitrary bytes to the chunk reader: it must never
// panic, and every chunk it returns must have a keyword and valid UTF-8.
func FuzzReadText(f *testing.F) {
	if b, err := os.ReadFile("../testdata/workflows/comfy_examples_img2img.png"); err == nil {
		f.Add(b[:4096])
	}
	png := []byte(Signature)
	f.Add(png)
	f.Add(append(append([]byte(nil), png...), rawChunk("tEXt", []byte("prompt\x00{}"), false)...))
	f.Add(append(append([]byte(nil), png...), rawChunk("zTXt", append([]byte("k\x00\x00"), zlibBytes("zz")...), false)...))
	f.Add(append(append([]byte(nil), png...), rawChunk("iTXt", append([]byte("k\x00\x01\x00en\x00K\x00"), zlibBytes("ii")...), false)...))
	f.Add(append(append([]byte(nil), png...), rawChunk("IEND", nil, false)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		chunks, _ := ReadText(bytes.NewReader(data))
		for _, c := range chunks {
			if c.Keyword == "" || !utf8.ValidString(c.Text) || !utf8.ValidString(c.Keyword) {
				t.Fatalf("bad chunk %q", c)
			}
		}
	})
}

// FuzzRoundTrip checks that whatever InsertText accepts, ReadText returns
// unchanged.
func FuzzRoundTrip(f *testing.F) {
	f.Add("prompt", `{"a": 1}`)
	f.Add("workflow", "naïve ✓")
	base := []byte(Signature + "\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde" +
		"\x00\x00\x00\x00IEND\xaeB`\x82")
	f.Fuzz(func(t *testing.T, kw, text string) {
		if !utf8.ValidString(kw) || !utf8.ValidString(text) {
			return
		}
		out, err := InsertText(base, []TextChunk{{Keyword: kw, Text: text}})
		if err != nil {
			return
		}
		got, err := ReadText(bytes.NewReader(out))
		if err != nil || len(got) != 1 || got[0].Keyword != kw || got[0].Text != text {
			t.Fatalf("round trip of %q=%q gave %q, %v", kw, text, got, err)
		}
	})
}
