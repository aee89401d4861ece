package server

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"sumi/folders"
	"sumi/nodes"
)

// fakeImage stands in for an IMAGE tensor: the fake nodes only carry sizes.
type fakeImage struct{ w, h int }

// slowNodeDelay is how long SlowNode runs (checking ctx) in the restart
// and interrupt tests.
var slowNodeDelay atomic.Int64

// testRegistry registers fake nodes with the class names, inputs and
// outputs of the ComfyUI nodes the recorded protocol scenarios use, so the
// real validation and executor run them without any model.
func testRegistry(f *folders.Folders) *nodes.Registry {
	reg := nodes.NewRegistry()
	scale := []string{"nearest-exact", "bilinear", "area", "bicubic", "lanczos"}
	img := func(w, h int64) []any { return []any{fakeImage{int(w), int(h)}} }
	reg.Register(nodes.Spec{Name: "EmptyImage", Category: "image", Outputs: []nodes.Output{{Type: nodes.TypeImage}},
		Inputs: []nodes.Input{nodes.Int("width", 512).Range(1, 16384), nodes.Int("height", 512).Range(1, 16384),
			nodes.Int("batch_size", 1).Range(1, 4096), nodes.Int("color", 0).Range(0, 16777215)},
		Run: func(ctx context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
			if in.Int("width") >= 2048 { // the recordings' "slow" prompts
				if err := slowWait(ctx, true); err != nil {
					return nil, err
				}
			}
			return img(in.Int("width"), in.Int("height")), nil
		}})
	reg.Register(nodes.Spec{Name: "ImageInvert", Category: "image", Outputs: []nodes.Output{{Type: nodes.TypeImage}},
		Inputs: []nodes.Input{nodes.Socket("image", nodes.TypeImage)},
		Run: func(_ context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
			v, _ := in.Value("image").(fakeImage)
			return []any{v}, nil
		}})
	reg.Register(nodes.Spec{Name: "ImageScale", Category: "image/upscaling", Outputs: []nodes.Output{{Type: nodes.TypeImage}},
		Inputs: []nodes.Input{nodes.Socket("image", nodes.TypeImage), nodes.ComboOf("upscale_method", scale...),
			nodes.Int("width", 512).Range(0, 16384), nodes.Int("height", 512).Range(0, 16384), nodes.ComboOf("crop", "disabled", "center")},
		Run: func(_ context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
			return img(in.Int("width"), in.Int("height")), nil
		}})
	reg.Register(nodes.Spec{Name: "ImageScaleBy", Category: "image/upscaling", Outputs: []nodes.Output{{Type: nodes.TypeImage}},
		Inputs: []nodes.Input{nodes.Socket("image", nodes.TypeImage), nodes.ComboOf("upscale_method", scale...),
			nodes.Float("scale_by", 1).Range(0.01, 8)},
		Run: func(ctx context.Context, in nodes.Args, p nodes.Progress) ([]any, error) {
			// Like ComfyUI's lanczos upscale it never polls for interrupts.
			if err := slowWait(ctx, false); err != nil {
				return nil, err
			}
			v, _ := in.Value("image").(fakeImage)
			return []any{v}, nil
		}})
	registerOutputs(reg, f)
	registerMisc(reg, f)
	return reg
}

// slowWait sleeps slowNodeDelay; a polling node stops early when ctx is
// cancelled, as nodes that check for interrupts do.
func slowWait(ctx context.Context, poll bool) error {
	d := time.Duration(slowNodeDelay.Load())
	if d <= 0 {
		return nil
	}
	if !poll {
		time.Sleep(d)
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func registerOutputs(reg *nodes.Registry, f *folders.Folders) {
	hidden := []nodes.Input{nodes.Hidden("prompt", nodes.HiddenPrompt), nodes.Hidden("extra_pnginfo", nodes.HiddenExtraPNGInfo)}
	reg.Register(nodes.Spec{Name: "SaveImage", Category: "image", OutputNode: true,
		Inputs: append([]nodes.Input{nodes.Socket("images", nodes.TypeImage), nodes.String("filename_prefix", "ComfyUI")}, hidden...),
		Run: func(_ context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
			ref, err := saveFake(f.Output(), in.String("filename_prefix"), in.Value("images"))
			if err != nil {
				return nil, err
			}
			ref.Type = "output"
			return []any{nodes.UI{"images": []nodes.ImageRef{ref}}}, nil
		}})
	reg.Register(nodes.Spec{Name: "PreviewImage", Category: "image", OutputNode: true,
		Inputs: append([]nodes.Input{nodes.Socket("images", nodes.TypeImage)}, hidden...),
		Run: func(_ context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
			ref, err := saveFake(f.Temp(), "ComfyUI_temp_abcde", in.Value("images"))
			if err != nil {
				return nil, err
			}
			ref.Type = "temp"
			return []any{nodes.UI{"images": []nodes.ImageRef{ref}}}, nil
		}})
}

// saveFake writes a small PNG with SaveImage's naming.
func saveFake(dir, prefix string, v any) (nodes.ImageRef, error) {
	im, _ := v.(fakeImage)
	sp, err := folders.NextSavePath(dir, prefix, im.w, im.h, time.Now())
	if err != nil {
		return nodes.ImageRef{}, err
	}
	if err := os.MkdirAll(sp.Dir, 0o755); err != nil {
		return nodes.ImageRef{}, err
	}
	name := sp.FileName(0)
	fh, err := os.Create(filepath.Join(sp.Dir, name))
	if err != nil {
		return nodes.ImageRef{}, err
	}
	defer fh.Close()
	if err := png.Encode(fh, image.NewNRGBA(image.Rect(0, 0, max(im.w, 1), max(im.h, 1)))); err != nil {
		return nodes.ImageRef{}, err
	}
	return nodes.ImageRef{Filename: name, Subfolder: sp.Subfolder}, nil
}

func registerMisc(reg *nodes.Registry, f *folders.Folders) {
	reg.Register(nodes.Spec{Name: "EmptyLatentImage", Category: "latent", Outputs: []nodes.Output{{Type: nodes.TypeLatent}},
		Inputs: []nodes.Input{nodes.Int("width", 512).Range(16, 16384).Step(8), nodes.Int("height", 512).Range(16, 16384).Step(8),
			nodes.Int("batch_size", 1).Range(1, 4096)},
		Run: func(context.Context, nodes.Args, nodes.Progress) ([]any, error) { return []any{nodes.Latent{}}, nil }})
	reg.Register(nodes.Spec{Name: "LatentUpscale", Category: "latent", Outputs: []nodes.Output{{Type: nodes.TypeLatent}},
		Inputs: []nodes.Input{nodes.Socket("samples", nodes.TypeLatent), nodes.ComboOf("upscale_method", "nearest-exact", "bilinear", "area", "bicubic", "bislerp"),
			nodes.Int("width", 512).Range(0, 16384), nodes.Int("height", 512).Range(0, 16384), nodes.ComboOf("crop", "disabled", "center")},
		Run: func(context.Context, nodes.Args, nodes.Progress) ([]any, error) { return []any{nodes.Latent{}}, nil }})
	reg.Register(nodes.Spec{Name: "LoadImage", Category: "image",
		Outputs:        []nodes.Output{{Type: nodes.TypeImage}, {Type: nodes.TypeMask}},
		Inputs:         []nodes.Input{nodes.Combo("image", func() []string { return listInput(f) }).ImageUpload()},
		ValidateInputs: []string{"image"},
		Validate: func(in nodes.Args) error {
			if _, err := loadPath(f, in.String("image")); err != nil {
				return fmt.Errorf("Invalid image file: %s", in.String("image"))
			}
			return nil
		},
		Run: func(_ context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
			if _, err := loadPath(f, in.String("image")); err != nil {
				return nil, err
			}
			return []any{fakeImage{8, 8}, fakeImage{8, 8}}, nil
		}})
	reg.Register(nodes.Spec{Name: "PrimitiveString", Category: "utils/primitive", Outputs: []nodes.Output{{Type: nodes.TypeString}},
		Inputs: []nodes.Input{nodes.String("value", "").SingleLine()},
		Run: func(_ context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
			return []any{in.String("value")}, nil
		}})
	reg.Register(nodes.Spec{Name: "StringConcatenate", Category: "utils/string", Outputs: []nodes.Output{{Type: nodes.TypeString}},
		Inputs: []nodes.Input{nodes.String("string_a", "").Multiline(), nodes.String("string_b", "").Multiline(), nodes.String("delimiter", "").SingleLine()},
		Run: func(_ context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
			return []any{in.String("string_a") + in.String("delimiter") + in.String("string_b")}, nil
		}})
}

func loadPath(f *folders.Folders, name string) (string, error) {
	p, err := f.AnnotatedPath(name, "input")
	if err != nil {
		return "", err
	}
	if st, err := os.Stat(p); err != nil || st.IsDir() {
		return "", errors.New("missing")
	}
	return p, nil
}

func listInput(f *folders.Folders) []string {
	var out []string
	filepath.WalkDir(f.Input(), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(f.Input(), p)
			out = append(out, strings.ReplaceAll(rel, string(filepath.Separator), "/"))
		}
		return nil
	})
	return out
}
