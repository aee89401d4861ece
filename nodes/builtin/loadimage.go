package builtin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // LoadImage decodes every format ComfyUI's Pillow commonly sees
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"
	"path"
	"slices"
	"strings"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"

	"sumi/nodes"
	"sumi/tensor"
)

func loadImageSpec(env Env) nodes.Spec {
	return nodes.Spec{
		Name: "LoadImage", DisplayName: "Load Image", Category: "image",
		Inputs: []nodes.Input{
			nodes.Combo("image", func() []string { return inputImages(env) }).ImageUpload(),
		},
		Outputs: []nodes.Output{{Type: nodes.TypeImage}, {Type: nodes.TypeMask}},
		Run: func(_ context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
			p, err := env.imagePath(in.String("image"))
			if err != nil {
				return nil, err
			}
			return loadImage(p)
		},
		IsChanged: func(in nodes.Args) (string, error) {
			p, err := env.imagePath(in.String("image"))
			if err != nil {
				return "", err
			}
			return fileSHA256(p)
		},
		// As in ComfyUI, a custom check replaces the combo check, so files
		// in sub-folders and "name [output]" references are accepted.
		Validate: func(in nodes.Args) error {
			name := in.String("image")
			p, err := env.imagePath(name)
			if err == nil {
				_, err = os.Stat(p)
			}
			if err != nil {
				return fmt.Errorf("Invalid image file: %s", name)
			}
			return nil
		},
		ValidateInputs: []string{"image"},
	}
}

func (e Env) imagePath(name string) (string, error) {
	if e.Folders == nil {
		return "", fmt.Errorf("builtin: no folders configured")
	}
	return e.Folders.AnnotatedPath(name, "input")
}

// imageExts are the extensions Python's mimetypes maps to image/*, which
// is how ComfyUI picks LoadImage's choices.
var imageExts = []string{".bmp", ".gif", ".ico", ".ief", ".jpe", ".jpeg", ".jpg", ".pbm", ".pgm", ".png",
	".pnm", ".ppm", ".ras", ".rgb", ".svg", ".tif", ".tiff", ".webp", ".xbm", ".xpm", ".xwd",
	".avif", ".heic", ".heif", ".jxl", ".pct", ".pic", ".pict"}

// inputImages lists the image files directly in the input folder, sorted.
func inputImages(env Env) []string {
	if env.Folders == nil {
		return []string{}
	}
	entries, err := os.ReadDir(env.Folders.Input())
	if err != nil {
		return []string{}
	}
	out := []string{}
	for _, e := range entries {
		if st, err := os.Stat(path.Join(env.Folders.Input(), e.Name())); err != nil || !st.Mode().IsRegular() {
			continue
		}
		if slices.Contains(imageExts, strings.ToLower(path.Ext(e.Name()))) {
			out = append(out, e.Name())
		}
	}
	slices.Sort(out)
	return out
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", fmt.Errorf("builtin: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("builtin: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// loadImage decodes a file into IMAGE [N,H,W,3] and MASK (N is 1 except
// for animated GIFs, whose frames form the batch). Like ComfyUI the mask is
// 1 - alpha when the image has an alpha channel (or a transparent palette
// entry), else a [N,64,64] zero mask.
func loadImage(p string) ([]any, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("builtin: %w", err)
	}
	img, format, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("builtin: cannot identify image file %q: %w", path.Base(p), err)
	}
	frames, alphaBand := []image.Image{img}, hasAlpha(img, format, data)
	if format == "gif" {
		if fs, transparent, ok := gifFrames(data); ok {
			frames, alphaBand = fs, transparent
		}
	}
	if format == "jpeg" { // alphaBand stays from the decoded file: the transpose yields NRGBA
		frames[0] = exifTranspose(img, data)
	}
	return framesToTensors(frames, alphaBand)
}

// framesToTensors stacks same-sized frames into IMAGE [N,H,W,3] and MASK
// ([N,H,W] from alpha, or [N,64,64] zeros without an alpha band).
func framesToTensors(frames []image.Image, alphaBand bool) ([]any, error) {
	b := frames[0].Bounds()
	w, h, n := b.Dx(), b.Dy(), len(frames)
	if w*h*3*n > maxElements || w*h*3*n < 0 {
		return nil, fmt.Errorf("builtin: image %dx%d x %d is too large", w, h, n)
	}
	rgb := tensor.New(n, h, w, 3)
	alpha := make([]uint8, n*w*h)
	for i, fr := range frames {
		fillRGBA(fr, rgb.Data[i*h*w*3:(i+1)*h*w*3], alpha[i*h*w:(i+1)*h*w])
	}
	if !alphaBand {
		return []any{rgb, tensor.New(n, 64, 64)}, nil
	}
	mask := tensor.New(n, h, w)
	for i, a := range alpha {
		mask.Data[i] = 1 - float32(a)/255
	}
	return []any{rgb, mask}, nil
}

// fillRGBA writes the 8-bit, non-premultiplied channels of every pixel as
// Pillow's convert("RGB") and getchannel("A") see them.
func fillRGBA(img image.Image, rgb []float32, alpha []uint8) {
	b := img.Bounds()
	w := b.Dx()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := pixel8(img, x, y)
			i := (y-b.Min.Y)*w + (x - b.Min.X)
			rgb[i*3], rgb[i*3+1], rgb[i*3+2] = float32(c.R)/255, float32(c.G)/255, float32(c.B)/255
			alpha[i] = c.A
		}
	}
}

// pixel8 converts one pixel to 8-bit non-premultiplied RGBA. 16-bit
// grayscale follows Pillow's mode "I" path in ComfyUI (value/255, clipped);
// other 16-bit data keeps the high byte, as Pillow's PNG reader does.
func pixel8(img image.Image, x, y int) color.NRGBA {
	switch m := img.(type) {
	case *image.NRGBA:
		i := m.PixOffset(x, y)
		return color.NRGBA{m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3]}
	case *image.Gray16:
		v := uint8(min(int(m.Gray16At(x, y).Y)/255, 255))
		return color.NRGBA{v, v, v, 255}
	case *image.NRGBA64:
		c := m.NRGBA64At(x, y)
		return color.NRGBA{uint8(c.R >> 8), uint8(c.G >> 8), uint8(c.B >> 8), uint8(c.A >> 8)}
	}
	return color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
}

// hasAlpha tells whether Pillow would report an alpha band (or a
// transparent palette) for this file. For PNG the IHDR color type decides:
// an RGB or gray PNG with a tRNS color key has no "A" band in Pillow, even
// though Go decodes it with alpha.
func hasAlpha(img image.Image, format string, data []byte) bool {
	if format == "png" && len(data) > 25 {
		switch data[25] { // IHDR color type
		case 4, 6:
			return true
		case 3:
			return paletteHasAlpha(img)
		}
		return false
	}
	if format == "webp" {
		return webpHasAlpha(data)
	}
	switch img.(type) {
	case *image.Paletted:
		return paletteHasAlpha(img)
	case *image.NRGBA, *image.NRGBA64, *image.RGBA, *image.RGBA64, *image.NYCbCrA, *image.Alpha, *image.Alpha16:
		return true
	}
	return false
}

// webpHasAlpha reads the alpha flag libwebp reports (and Pillow opens an
// RGBA image for): the VP8X header's alpha bit or the VP8L alpha_is_used
// bit; simple lossy files have none. Go decodes lossless files as NRGBA
// either way, so the image type cannot tell.
func webpHasAlpha(data []byte) bool {
	if len(data) < 21 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		return false
	}
	switch string(data[12:16]) {
	case "VP8X":
		return data[20]&0x10 != 0
	case "VP8L":
		// signature 0x2f at 20, then 14+14 bits of size and the alpha bit.
		return len(data) >= 25 && data[20] == 0x2f && data[24]&0x10 != 0
	}
	return false
}

func paletteHasAlpha(img image.Image) bool {
	p, ok := img.(*image.Paletted)
	if !ok {
		return false
	}
	for _, c := range p.Palette {
		if _, _, _, a := c.RGBA(); a != 0xFFFF {
			return true
		}
	}
	return false
}
