package pngmeta

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/adler32"
	"image"
	"image/png"
	"runtime"
	"sync"
)

// A parallel PNG encoder for the images sumi saves (8-bit gray, RGB and
// RGBA). image/png filters and deflates on one core: a 1024² render took
// 140–200 ms, a sizeable part of a GPU generation that takes about a second.
// Here the rows are split into one segment per core; each segment is
// filtered and deflated on its own, primed with the 32 KiB before it as the
// dictionary and ended with a sync flush, so the concatenation is one valid
// zlib stream (the way pigz parallelizes gzip). Filters are chosen per row
// as image/png chooses them (least sum of absolute values), so files are
// about as small; the pixels are the same whatever the encoder.

// minSegmentRows keeps segments large enough that the per-segment cost
// (a flate writer, the dictionary) stays small.
const minSegmentRows = 32

// deflateWindow is the DEFLATE window: how far back a match may reach.
const deflateWindow = 32 << 10

// PNG color types of IHDR.
const (
	colorGray = 0
	colorRGB  = 2
	colorRGBA = 6
)

// rawImage is an image as PNG rows: rows(y) fills dst with row y's bytes
// (bpp bytes per pixel).
type rawImage struct {
	w, h, bpp, colorType int
	row                  func(dst []byte, y int)
}

// asRaw returns img as PNG rows, ok false for kinds fastEncode leaves to
// image/png.
func asRaw(img image.Image) (rawImage, bool) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	switch m := img.(type) {
	case *image.Gray:
		return rawImage{w, h, 1, colorGray, func(dst []byte, y int) {
			i := m.PixOffset(b.Min.X, b.Min.Y+y)
			copy(dst, m.Pix[i:i+w])
		}}, true
	case *image.NRGBA:
		if !m.Opaque() {
			return rawImage{w, h, 4, colorRGBA, func(dst []byte, y int) {
				i := m.PixOffset(b.Min.X, b.Min.Y+y)
				copy(dst, m.Pix[i:i+4*w])
			}}, true
		}
		// Opaque: RGB, as image/png and PIL write it.
		return rawImage{w, h, 3, colorRGB, func(dst []byte, y int) {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				copy(dst[3*x:3*x+3], src[4*x:4*x+3])
			}
		}}, true
	}
	return rawImage{}, false
}

// flateLevel maps image/png's levels to compress/flate's, as image/png
// does; 1 to 9 are zlib levels themselves (see Encode).
func flateLevel(l png.CompressionLevel) int {
	if l >= 1 && l <= 9 {
		return int(l)
	}
	switch l {
	case png.NoCompression:
		return flate.NoCompression
	case png.BestSpeed:
		return flate.BestSpeed
	case png.BestCompression:
		return flate.BestCompression
	}
	return flate.DefaultCompression
}

// fastEncode writes img as a PNG file into buf; ok is false (nothing
// written) for image kinds it does not handle.
func fastEncode(buf *bytes.Buffer, img image.Image, level png.CompressionLevel) (ok bool, err error) {
	r, ok := asRaw(img)
	if !ok || r.w <= 0 || r.h <= 0 {
		return false, nil
	}
	segments := max(1, min(runtime.GOMAXPROCS(0), r.h/minSegmentRows))
	return true, encodeSegments(buf, r, flateLevel(level), segments)
}

func encodeSegments(buf *bytes.Buffer, r rawImage, level, segments int) error {
	stride := 1 + r.w*r.bpp
	filtered := make([]byte, r.h*stride)
	bounds := segmentRows(r.h, segments)
	parallel(len(bounds)-1, func(i int) {
		filterRows(filtered, r, bounds[i], bounds[i+1], level != flate.NoCompression)
	})
	parts := make([][]byte, len(bounds)-1)
	errs := make([]error, len(parts))
	parallel(len(parts), func(i int) {
		start, end := bounds[i]*stride, bounds[i+1]*stride
		dict := filtered[max(0, start-deflateWindow):start]
		parts[i], errs[i] = deflateSegment(filtered[start:end], dict, level, i == len(parts)-1)
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	writeFile(buf, r, parts, adler32.Checksum(filtered), level)
	return nil
}

// segmentRows splits h rows into n nearly equal runs: bounds[i] to
// bounds[i+1] is segment i.
func segmentRows(h, n int) []int {
	bounds := make([]int, n+1)
	for i := range bounds {
		bounds[i] = h * i / n
	}
	return bounds
}

func parallel(n int, f func(i int)) {
	if n == 1 {
		f(0)
		return
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(i)
		}()
	}
	wg.Wait()
}

// deflateSegment compresses one run of filtered rows as raw DEFLATE that
// continues the stream before it (dict) and ends byte-aligned (sync flush),
// or, for the last segment, ends the stream.
func deflateSegment(data, dict []byte, level int, last bool) ([]byte, error) {
	var out bytes.Buffer
	fw, err := flate.NewWriterDict(&out, level, dict)
	if err != nil {
		return nil, err
	}
	if _, err := fw.Write(data); err != nil {
		return nil, err
	}
	if last {
		err = fw.Close()
	} else {
		err = fw.Flush()
	}
	return out.Bytes(), err
}

// writeFile writes signature, IHDR, the segments as IDAT chunks (zlib
// header in the first, Adler-32 after the last) and IEND.
func writeFile(buf *bytes.Buffer, r rawImage, parts [][]byte, adler uint32, level int) {
	buf.WriteString(Signature)
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(r.w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(r.h))
	ihdr[8], ihdr[9] = 8, byte(r.colorType) // bit depth; compression, filter, interlace stay 0
	writeChunk(buf, "IHDR", ihdr)
	for i, p := range parts {
		if i == 0 {
			p = append(zlibHeader(level), p...)
		}
		if i == len(parts)-1 {
			p = binary.BigEndian.AppendUint32(p, adler)
		}
		writeChunk(buf, "IDAT", p)
	}
	writeChunk(buf, "IEND", nil)
}

// pngLevel is the image/png level nearest to a zlib level 1–9, for the
// images image/png encodes.
func pngLevel(l png.CompressionLevel) png.CompressionLevel {
	switch {
	case l >= 1 && l <= 3:
		return png.BestSpeed
	case l >= 7 && l <= 9:
		return png.BestCompression
	case l >= 4 && l <= 6:
		return png.DefaultCompression
	}
	return l
}

// zlibHeader is CMF (deflate, 32 KiB window) and FLG (level hint, no
// dictionary, check bits making the pair a multiple of 31).
func zlibHeader(level int) []byte {
	var hint byte
	switch {
	case level == flate.DefaultCompression || level == 6:
		hint = 2
	case level >= 7:
		hint = 3
	case level >= 2:
		hint = 1
	}
	cmf, flg := byte(0x78), hint<<6
	flg |= byte((31 - (uint16(cmf)<<8|uint16(flg))%31) % 31)
	return []byte{cmf, flg}
}

// filterRows writes rows [from, to) of r into out, each as its filter byte
// and filtered bytes. With adaptive set, each row takes the filter with the
// least sum of absolute values (image/png's heuristic); else None.
func filterRows(out []byte, r rawImage, from, to int, adaptive bool) {
	n := r.w * r.bpp
	stride := 1 + n
	prev, cur := make([]byte, n), make([]byte, n)
	if from > 0 {
		r.row(prev, from-1)
	}
	cand := make([][]byte, 5)
	for i := range cand {
		cand[i] = make([]byte, n)
	}
	for y := from; y < to; y++ {
		r.row(cur, y)
		dst := out[y*stride : (y+1)*stride]
		if !adaptive {
			dst[0] = 0
			copy(dst[1:], cur)
		} else {
			f := bestFilter(cand, cur, prev, r.bpp)
			dst[0] = byte(f)
			copy(dst[1:], cand[f])
		}
		prev, cur = cur, prev
	}
}

// bestFilter fills cand[f] with row cur under each filter f (None, Sub,
// Up, Average, Paeth) and returns the one with the least sum of |signed
// bytes|.
func bestFilter(cand [][]byte, cur, prev []byte, bpp int) int {
	none, sub, up, avg, pth := cand[0], cand[1], cand[2], cand[3], cand[4]
	copy(none, cur)
	for i := range cur {
		var a, c int
		if i >= bpp {
			a, c = int(cur[i-bpp]), int(prev[i-bpp])
		}
		b := int(prev[i])
		x := cur[i]
		sub[i] = x - byte(a)
		up[i] = x - byte(b)
		avg[i] = x - byte((a+b)/2)
		pth[i] = x - byte(paeth(a, b, c))
	}
	best, bestSum := 0, -1
	for f, row := range cand {
		s := 0
		for _, v := range row {
			s += absSigned(v)
		}
		if bestSum < 0 || s < bestSum {
			best, bestSum = f, s
		}
	}
	return best
}

func absSigned(v byte) int {
	if v >= 128 {
		return 256 - int(v)
	}
	return int(v)
}

// paeth is the PNG Paeth predictor.
func paeth(a, b, c int) int {
	p := a + b - c
	pa, pb, pc := abs(p-a), abs(p-b), abs(p-c)
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
