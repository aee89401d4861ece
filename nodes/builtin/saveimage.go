package builtin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"

	"sumi/folders"
	"sumi/nodes"
	"sumi/pngmeta"
	"sumi/tensor"
)

func saveImageSpec(env Env) nodes.Spec {
	return nodes.Spec{
		Name: "SaveImage", DisplayName: "Save Image", Category: "image", OutputNode: true,
		Description: "Saves the input images to your ComfyUI output directory.",
		Inputs: []nodes.Input{
			nodes.Socket("images", nodes.TypeImage).Tooltip("The images to save."),
			nodes.String("filename_prefix", "ComfyUI").Tooltip("The prefix for the file to save. This may include formatting information such as %date:yyyy-MM-dd% or %Empty Latent Image.width% to include values from nodes."),
			nodes.Hidden("prompt", nodes.HiddenPrompt),
			nodes.Hidden("extra_pnginfo", nodes.HiddenExtraPNGInfo),
		},
		Run: func(ctx context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
			s := saver{env: env, dir: folderOf(env, "output"), typ: "output", level: saveLevel}
			return s.save(ctx, in, in.String("filename_prefix"))
		},
	}
}

// previewLetters is the alphabet of ComfyUI's PreviewImage suffix (sic:
// "p" twice, no "w").
const previewLetters = "abcdefghijklmnopqrstupvxyz"

func previewImageSpec(env Env) nodes.Spec {
	return nodes.Spec{
		Name: "PreviewImage", DisplayName: "Preview Image", Category: "image", OutputNode: true,
		Description: "Saves the input images to your ComfyUI output directory.",
		Inputs: []nodes.Input{
			nodes.Socket("images", nodes.TypeImage),
			nodes.Hidden("prompt", nodes.HiddenPrompt),
			nodes.Hidden("extra_pnginfo", nodes.HiddenExtraPNGInfo),
		},
		Run: func(ctx context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
			suffix := make([]byte, 5)
			for i := range suffix {
				suffix[i] = previewLetters[env.randIntN(len(previewLetters))]
			}
			s := saver{env: env, dir: folderOf(env, "temp"), typ: "temp", level: previewLevel}
			return s.save(ctx, in, "ComfyUI_temp_"+string(suffix))
		},
	}
}

func folderOf(env Env, typ string) string {
	if env.Folders == nil {
		return ""
	}
	d, _ := env.Folders.Dir(typ)
	return d
}

// The zlib levels of ComfyUI's SaveImage and PreviewImage (PIL's
// compress_level 4 and 1); pngmeta.Encode takes zlib levels as they are.
const (
	saveLevel    png.CompressionLevel = 4
	previewLevel png.CompressionLevel = 1
)

// saver writes an IMAGE batch as SaveImage (output folder) or PreviewImage
// (temp folder) does.
type saver struct {
	env   Env
	dir   string
	typ   string
	level png.CompressionLevel
}

func (s saver) save(ctx context.Context, in nodes.Args, prefix string) ([]any, error) {
	if s.dir == "" {
		return nil, errors.New("builtin: no folders configured")
	}
	imgs, err := in.Image("images")
	if err != nil {
		return nil, err
	}
	if imgs == nil || len(imgs.Shape) != 4 || imgs.Shape[0] == 0 {
		return nil, fmt.Errorf("builtin: images must be a non-empty [B,H,W,C] batch")
	}
	sp, err := folders.NextSavePath(s.dir, prefix, imgs.Shape[2], imgs.Shape[1], s.env.now())
	if err != nil {
		return nil, err
	}
	meta, err := s.metadata(in)
	if err != nil {
		return nil, err
	}
	var refs []nodes.ImageRef
	for i := 0; i < imgs.Shape[0]; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name := sp.FileName(i)
		if err := writePNG(filepath.Join(sp.Dir, name), batchItem(imgs, i), s.level, meta); err != nil {
			return nil, err
		}
		refs = append(refs, nodes.ImageRef{Filename: name, Subfolder: sp.Subfolder, Type: s.typ})
	}
	return []any{nodes.UI{"images": refs}}, nil
}

// metadata builds the tEXt chunks: "prompt", then one per extra_pnginfo
// key in its order, all serialized as Python's json.dumps would.
func (s saver) metadata(in nodes.Args) ([]pngmeta.TextChunk, error) {
	if s.env.DisableMetadata {
		return nil, nil
	}
	var chunks []pngmeta.TextChunk
	if p := in.Prompt(); !isNull(p) {
		text, err := pngmeta.PythonJSON(p)
		if err != nil {
			return nil, fmt.Errorf("builtin: prompt metadata: %w", err)
		}
		chunks = append(chunks, pngmeta.TextChunk{Keyword: "prompt", Text: string(text)})
	}
	extra, err := objectMembers(in.ExtraPNGInfo())
	if err != nil {
		return nil, fmt.Errorf("builtin: extra_pnginfo: %w", err)
	}
	for _, m := range extra {
		text, err := pngmeta.PythonJSON(m.value)
		if err != nil {
			return nil, fmt.Errorf("builtin: extra_pnginfo %q: %w", m.key, err)
		}
		chunks = append(chunks, pngmeta.TextChunk{Keyword: m.key, Text: string(text)})
	}
	return chunks, nil
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

type member struct {
	key   string
	value json.RawMessage
}

// objectMembers lists a JSON object's members in document order (nil or
// null gives none). A non-object is an error, as iterating it is in ComfyUI.
func objectMembers(raw json.RawMessage) ([]member, error) {
	if isNull(raw) {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, member{key: tok.(string), value: v})
	}
	return out, nil
}

// batchItem returns image i of a [B,H,W,C] batch as an [H,W,C] view.
func batchItem(t *tensor.Tensor, i int) *tensor.Tensor {
	n := t.Shape[1] * t.Shape[2] * t.Shape[3]
	return &tensor.Tensor{Shape: t.Shape[1:], Data: t.Data[i*n : (i+1)*n]}
}

// writePNG encodes an [H,W,C] image (C = 1, 3 or 4) as ComfyUI does:
// clip(255*x) truncated to uint8, gray, RGB or RGBA.
func writePNG(path string, t *tensor.Tensor, level png.CompressionLevel, meta []pngmeta.TextChunk) error {
	img, err := toImage(t)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := pngmeta.Encode(&buf, img, level, meta); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("builtin: %w", err)
	}
	return nil
}

func toImage(t *tensor.Tensor) (image.Image, error) {
	h, w, c := t.Shape[0], t.Shape[1], t.Shape[2]
	rect := image.Rect(0, 0, w, h)
	switch c {
	case 1:
		img := image.NewGray(rect)
		for i, v := range t.Data {
			img.Pix[i] = toUint8(v)
		}
		return img, nil
	case 3, 4:
		img := image.NewNRGBA(rect)
		for p := 0; p < h*w; p++ {
			px := img.Pix[p*4 : p*4+4]
			px[3] = 255
			for ch := 0; ch < c; ch++ {
				px[ch] = toUint8(t.Data[p*c+ch])
			}
		}
		return img, nil
	}
	return nil, fmt.Errorf("builtin: cannot save an image with %d channels", c)
}
