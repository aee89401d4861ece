package pngmeta

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"os"
	"reflect"
	"strings"
	"testing"
)

// rawChunk builds one chunk by hand, independently of writeChunk.
func rawChunk(typ string, body []byte, badCRC bool) []byte {
	b := make([]byte, 8, 12+len(body))
	binary.BigEndian.PutUint32(b, uint32(len(body)))
	copy(b[4:], typ)
	b = append(b, body...)
	crc := crc32.ChecksumIEEE(b[4:])
	if badCRC {
		crc++
	}
	return binary.BigEndian.AppendUint32(b, crc)
}

func zlibBytes(s string) []byte {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func tinyPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 2, 1))
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	img.Set(1, 0, color.RGBA{0, 0, 255, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withChunks splices raw chunks after IHDR of a real PNG.
func withChunks(t *testing.T, chunks ...[]byte) []byte {
	base := tinyPNG(t)
	out := append([]byte(nil), base[:ihdrEnd]...)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return append(out, base[ihdrEnd:]...)
}

func TestReadTextFixture(t *testing.T) {
	f, err := os.Open("../testdata/workflows/comfy_examples_img2img.png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunks, err := ReadText(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) != 2 || chunks[0].Keyword != "prompt" || chunks[1].Keyword != "workflow" {
		t.Fatalf("chunks = %v, want prompt then workflow", keywords(chunks))
	}
	for _, c := range chunks {
		if c.Type != TypeText {
			t.Errorf("%s: type %s, want tEXt", c.Keyword, c.Type)
		}
	}
	assertSameJSON(t, []byte(chunks[0].Text), "../testdata/workflows/comfy_examples_img2img.api.json")
	assertSameJSON(t, []byte(chunks[1].Text), "../testdata/workflows/comfy_examples_img2img.ui.json")
}

func assertSameJSON(t *testing.T, got []byte, wantFile string) {
	t.Helper()
	want, err := os.ReadFile(wantFile)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("chunk JSON differs from %s", wantFile)
	}
}

func keywords(cs []TextChunk) []string {
	var k []string
	for _, c := range cs {
		k = append(k, c.Keyword)
	}
	return k
}

func TestReadTextKinds(t *testing.T) {
	itxtPlain := append([]byte("w\x00\x00\x00en\x00Wf\x00"), "ünï"...)
	itxtZ := append([]byte("z\x00\x01\x00\x00\x00"), zlibBytes("packed ✓")...)
	data := withChunks(t,
		rawChunk("tEXt", []byte("prompt\x00{\"a\": 1}"), false),
		rawChunk("tEXt", []byte("latin\x00caf\xe9"), false),
		rawChunk("tEXt", []byte("utf8\x00caf\xc3\xa9"), false),
		rawChunk("zTXt", append([]byte("ztxt\x00\x00"), zlibBytes("hello zlib")...), false),
		rawChunk("iTXt", itxtPlain, false),
		rawChunk("iTXt", itxtZ, false),
		rawChunk("tEXt", []byte("badcrc\x00still read"), true),
	)
	got, err := ReadText(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []TextChunk{
		{"prompt", `{"a": 1}`, TypeText},
		{"latin", "café", TypeText},
		{"utf8", "café", TypeText},
		{"ztxt", "hello zlib", TypeZText},
		{"w", "ünï", TypeIText},
		{"z", "packed ✓", TypeIText},
		{"badcrc", "still read", TypeText},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestReadTextSkipsMalformedChunks(t *testing.T) {
	data := withChunks(t,
		rawChunk("tEXt", []byte("nokeywordseparator"), false),
		rawChunk("tEXt", []byte("\x00empty keyword"), false),
		rawChunk("zTXt", []byte("z\x00\x00not zlib"), false),
		rawChunk("zTXt", []byte("z\x00\x07"+string(zlibBytes("bad method"))), false),
		rawChunk("iTXt", []byte("i\x00\x01\x00\x00\x00garbage"), false),
		rawChunk("iTXt", []byte("i\x00\x00"), false),
		rawChunk("tEXt", []byte("ok\x00yes"), false),
	)
	got, err := ReadText(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if want := []TextChunk{{"ok", "yes", TypeText}}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestReadTextErrors(t *testing.T) {
	full := withChunks(t, rawChunk("tEXt", []byte("a\x00b"), false))
	iend := bytes.Index(full, []byte("IEND"))
	tests := []struct {
		name      string
		data      []byte
		want      error
		wantCount int
	}{
		{"empty", nil, ErrNotPNG, 0},
		{"jpeg", []byte("\xff\xd8\xff\xe0junk"), ErrNotPNG, 0},
		{"signature only", []byte(Signature), ErrTruncated, 0},
		{"cut in text chunk", full[:ihdrEnd+10], ErrTruncated, 0},
		{"cut before iend", full[:iend-4], ErrTruncated, 1},
		{"huge declared length", append([]byte(Signature), 0x7f, 0xff, 0xff, 0xff, 't', 'E', 'X', 't', 'k', 0), ErrTruncated, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadText(bytes.NewReader(tc.data))
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if len(got) != tc.wantCount {
				t.Errorf("got %d chunks, want %d", len(got), tc.wantCount)
			}
		})
	}
}

func TestInflateBomb(t *testing.T) {
	defer func(old int) { textBudget = old }(textBudget)
	textBudget = 1 << 20 // the real 64 MiB takes minutes under -race
	bomb := zlibBytes(strings.Repeat("x", textBudget+10))
	data := withChunks(t, rawChunk("zTXt", append([]byte("b\x00\x00"), bomb...), false))
	got, err := ReadText(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("oversized chunk was returned")
	}
	// Many chunks just under the limit share one budget per file.
	third := rawChunk("zTXt", append([]byte("c\x00\x00"), zlibBytes(strings.Repeat("y", textBudget/3+1))...), false)
	data = withChunks(t, third, third, third, rawChunk("tEXt", []byte("plain\x00ok"), false))
	got, err = ReadText(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[2].Keyword != "plain" {
		t.Errorf("budget not shared: got %d chunks %v", len(got), keywords(got))
	}
}

func TestReadMapLastWins(t *testing.T) {
	data := withChunks(t,
		rawChunk("tEXt", []byte("k\x00first"), false),
		rawChunk("tEXt", []byte("k\x00second"), false))
	m, err := ReadMap(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if m["k"] != "second" {
		t.Errorf("k = %q, want second", m["k"])
	}
}
