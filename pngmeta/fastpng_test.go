package pngmeta

import (
	"bytes"
	"compress/flate"
	"image"
	"image/png"
	"math/rand/v2"
	"testing"
)

// testImages are the kinds fastEncode handles, with smooth and noisy
// content so every filter wins somewhere.
func testImages(w, h int, seed uint64) map[string]image.Image {
	r := rand.New(rand.NewPCG(seed, 1))
	gray := image.NewGray(image.Rect(0, 0, w, h))
	opaque := image.NewNRGBA(image.Rect(0, 0, w, h))
	alpha := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := byte(x*3 + y*5)
			if r.IntN(4) == 0 {
				v = byte(r.Uint32())
			}
			gray.Pix[y*gray.Stride+x] = v
			o := opaque.Pix[y*opaque.Stride+4*x:]
			o[0], o[1], o[2], o[3] = v, byte(x), byte(r.Uint32()), 255
			a := alpha.Pix[y*alpha.Stride+4*x:]
			a[0], a[1], a[2], a[3] = byte(y), v, byte(x^y), byte(r.Uint32())
		}
	}
	// A sub-image: bounds that do not start at the origin.
	sub := opaque.SubImage(image.Rect(w/3, h/3, w, h)).(*image.NRGBA)
	return map[string]image.Image{"gray": gray, "rgb": opaque, "rgba": alpha, "sub-rgb": sub}
}

// TestFastEncodeRoundTrips: every kind, size and level, in one segment
// and in many, decodes (CRCs and Adler-32 checked by image/png) to the
// same pixels, with the colour type image/png would choose.
func TestFastEncodeRoundTrips(t *testing.T) {
	sizes := [][2]int{{1, 1}, {3, 7}, {257, 3}, {64, 130}, {100, 400}}
	levels := []int{flate.DefaultCompression, flate.NoCompression, flate.BestSpeed, 4}
	for _, wh := range sizes {
		for name, img := range testImages(wh[0], wh[1], uint64(wh[0]*wh[1])) {
			for _, level := range levels {
				for _, segments := range []int{1, 2, 7} {
					r, ok := asRaw(img)
					if !ok {
						t.Fatalf("%s: not handled", name)
					}
					segments = min(segments, r.h)
					var buf bytes.Buffer
					if err := encodeSegments(&buf, r, level, segments); err != nil {
						t.Fatal(err)
					}
					checkDecodes(t, buf.Bytes(), img, name, level, segments)
				}
			}
		}
	}
}

func checkDecodes(t *testing.T, file []byte, want image.Image, name string, level, segments int) {
	t.Helper()
	got, err := png.Decode(bytes.NewReader(file))
	if err != nil {
		t.Fatalf("%s level %d, %d segments: %v", name, level, segments, err)
	}
	wb, gb := want.Bounds(), got.Bounds()
	if wb.Dx() != gb.Dx() || wb.Dy() != gb.Dy() {
		t.Fatalf("%s: size %v, want %v", name, gb, wb)
	}
	for y := 0; y < wb.Dy(); y++ {
		for x := 0; x < wb.Dx(); x++ {
			r1, g1, b1, a1 := want.At(wb.Min.X+x, wb.Min.Y+y).RGBA()
			r2, g2, b2, a2 := got.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				t.Fatalf("%s level %d, %d segments: pixel (%d,%d) differs", name, level, segments, x, y)
			}
		}
	}
	ref, _ := png.DecodeConfig(bytes.NewReader(pngOf(t, want)))
	cfg, _ := png.DecodeConfig(bytes.NewReader(file))
	if cfg.ColorModel != ref.ColorModel {
		t.Errorf("%s: colour model %T, image/png writes %T", name, cfg.ColorModel, ref.ColorModel)
	}
}

func pngOf(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestZlibHeaderIsValid(t *testing.T) {
	for _, level := range []int{-1, 0, 1, 2, 5, 6, 7, 9} {
		h := zlibHeader(level)
		if h[0] != 0x78 || (uint16(h[0])<<8|uint16(h[1]))%31 != 0 || h[1]&0x20 != 0 {
			t.Errorf("level %d: header % x", level, h)
		}
	}
}

// TestEncodeFallsBack: kinds the fast path does not take still encode, at
// image/png's levels and at zlib levels.
func TestEncodeFallsBack(t *testing.T) {
	img := image.NewRGBA64(image.Rect(0, 0, 5, 4))
	img.Pix[0] = 200
	for _, level := range []png.CompressionLevel{png.DefaultCompression, png.BestSpeed, 1, 4, 9} {
		var buf bytes.Buffer
		if err := Encode(&buf, img, level, []TextChunk{{Keyword: "prompt", Text: "{}"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(buf.Bytes())); err != nil {
			t.Fatalf("level %d: %v", level, err)
		}
	}
}

// BenchmarkEncode compares image/png with the parallel encoder on a
// 1024² RGB render-like image (smooth gradients with a little noise).
func BenchmarkEncode(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	img := image.NewNRGBA(image.Rect(0, 0, 1024, 1024))
	for i := 0; i < len(img.Pix); i += 4 {
		p := i / 4
		x, y := p%1024, p/1024
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = byte(x/4+r.IntN(6)), byte(y/4+r.IntN(6)), byte((x+y)/8), 255
	}
	for _, c := range []struct {
		name string
		enc  func(*bytes.Buffer) error
	}{
		{"image-png", func(buf *bytes.Buffer) error { return png.Encode(buf, img) }},
		{"parallel", func(buf *bytes.Buffer) error { _, err := fastEncode(buf, img, png.DefaultCompression); return err }},
	} {
		b.Run(c.name, func(b *testing.B) {
			var buf bytes.Buffer
			for range b.N {
				buf.Reset()
				if err := c.enc(&buf); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(buf.Len())/1e6, "MB")
		})
	}
}
