package builtin

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/draw"
)

// exifTranspose applies a JPEG's EXIF orientation as Pillow's
// ImageOps.exif_transpose does before ComfyUI's LoadImage converts it.
// Files without (or with unreadable) EXIF are returned unchanged.
func exifTranspose(img image.Image, jpeg []byte) image.Image {
	o := exifOrientation(jpeg)
	if o < 2 || o > 8 {
		return img
	}
	b := img.Bounds()
	src := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(src, src.Bounds(), img, b.Min, draw.Src)
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewNRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < dh; y++ {
		for x := 0; x < dw; x++ {
			sx, sy := orientSource(o, x, y, w, h)
			copy(dst.Pix[dst.PixOffset(x, y):dst.PixOffset(x, y)+4], src.Pix[src.PixOffset(sx, sy):])
		}
	}
	return dst
}

// orientSource maps a destination pixel to its source pixel for EXIF
// orientation o (2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate
// 90 clockwise, 7 transverse, 8 rotate 90 counter-clockwise).
func orientSource(o, x, y, w, h int) (int, int) {
	switch o {
	case 2:
		return w - 1 - x, y
	case 3:
		return w - 1 - x, h - 1 - y
	case 4:
		return x, h - 1 - y
	case 5:
		return y, x
	case 6:
		return y, h - 1 - x
	case 7:
		return w - 1 - y, h - 1 - x
	}
	return w - 1 - y, x // 8
}

// exifOrientation finds tag 0x0112 in IFD0 of the first APP1 "Exif"
// segment; 0 when there is none. Every offset is bounds-checked, since the
// file is untrusted.
func exifOrientation(jpeg []byte) int {
	tiff := exifPayload(jpeg)
	if len(tiff) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(tiff[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	ifd := int(bo.Uint32(tiff[4:8]))
	if ifd < 8 || ifd+2 > len(tiff) {
		return 0
	}
	n := int(bo.Uint16(tiff[ifd:]))
	for i := 0; i < n; i++ {
		e := ifd + 2 + 12*i
		if e+12 > len(tiff) {
			return 0
		}
		if bo.Uint16(tiff[e:]) == 0x0112 && bo.Uint16(tiff[e+2:]) == 3 {
			return int(bo.Uint16(tiff[e+8:]))
		}
	}
	return 0
}

// exifPayload returns the TIFF data of the APP1 Exif segment, walking the
// JPEG markers up to the start of scan.
func exifPayload(jpeg []byte) []byte {
	if len(jpeg) < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8 {
		return nil
	}
	for p := 2; p+4 <= len(jpeg); {
		if jpeg[p] != 0xFF {
			return nil
		}
		marker := jpeg[p+1]
		if marker == 0xDA || marker == 0xD9 {
			return nil
		}
		size := int(binary.BigEndian.Uint16(jpeg[p+2:]))
		if size < 2 || p+2+size > len(jpeg) {
			return nil
		}
		seg := jpeg[p+4 : p+2+size]
		if marker == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return seg[6:]
		}
		p += 2 + size
	}
	return nil
}
