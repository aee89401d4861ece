package builtin

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"sumi/tensor"
)

// jpegWithOrientation encodes img and inserts an APP1 Exif segment holding
// only the orientation tag, in the given byte order.
func jpegWithOrientation(t *testing.T, img image.Image, o uint16, bo binary.AppendByteOrder) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	tiff := []byte("II*\x00")
	if bo == binary.AppendByteOrder(binary.BigEndian) {
		tiff = []byte("MM\x00*")
	}
	tiff = bo.AppendUint32(tiff, 8)
	tiff = bo.AppendUint16(tiff, 1)       // one entry
	tiff = bo.AppendUint16(tiff, 0x0112)  // orientation
	tiff = bo.AppendUint16(tiff, 3)       // SHORT
	tiff = bo.AppendUint32(tiff, 1)       // count
	tiff = bo.AppendUint16(tiff, o)       // value
	tiff = append(tiff, 0, 0, 0, 0, 0, 0) // padding + next IFD
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := []byte{0xFF, 0xE1}
	app1 = binary.BigEndian.AppendUint16(app1, uint16(len(seg)+2))
	app1 = append(app1, seg...)
	data := buf.Bytes()
	return append(append(append([]byte(nil), data[:2]...), app1...), data[2:]...)
}

// quadrants is a 4x2 image: left half red, right half blue.
func quadrants() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 4, 2))
	for y := 0; y < 2; y++ {
		for x := 0; x < 4; x++ {
			c := color.RGBA{255, 0, 0, 255}
			if x >= 2 {
				c = color.RGBA{0, 0, 255, 255}
			}
			img.Set(x, y, c)
		}
	}
	return img
}

func TestLoadImageEXIFOrientation(t *testing.T) {
	tests := []struct {
		o          uint16
		bo         binary.AppendByteOrder
		h, w       int
		redAtStart bool // is the first pixel (row-major) red?
	}{
		{1, binary.LittleEndian, 2, 4, true},
		{2, binary.BigEndian, 2, 4, false},    // mirrored: blue first
		{3, binary.LittleEndian, 2, 4, false}, // rotated 180
		{6, binary.LittleEndian, 4, 2, true},  // 90 clockwise: red on top
		{8, binary.BigEndian, 4, 2, false},    // 90 counter-clockwise: blue on top
	}
	env := testEnv(t)
	for _, tc := range tests {
		name := "o.jpg"
		os.WriteFile(filepath.Join(env.Folders.Input(), name), jpegWithOrientation(t, quadrants(), tc.o, tc.bo), 0o644)
		out := mustRun(t, env, "LoadImage", map[string]any{"image": name})
		img := out[0].(*tensor.Tensor)
		if img.Shape[1] != tc.h || img.Shape[2] != tc.w {
			t.Errorf("orientation %d: shape %v, want %dx%d", tc.o, img.Shape, tc.w, tc.h)
			continue
		}
		if red := img.Data[0] > 0.5 && img.Data[2] < 0.5; red != tc.redAtStart {
			t.Errorf("orientation %d: first pixel %v, want red=%v", tc.o, img.Data[:3], tc.redAtStart)
		}
		if m := out[1].(*tensor.Tensor); m.Shape[1] != 64 {
			t.Errorf("jpeg mask shape %v", m.Shape)
		}
	}
}

func TestEXIFOrientationGarbage(t *testing.T) {
	for _, data := range [][]byte{nil, {0xFF, 0xD8}, {0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01}, {0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 'E'},
		append([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x10}, []byte("Exif\x00\x00II*\x00\xff\xff\xff\xff")...)} {
		if o := exifOrientation(data); o != 0 {
			t.Errorf("exifOrientation(%x) = %d", data, o)
		}
	}
}
