package builtin

import (
	"context"
	"math"
	"reflect"
	"testing"

	"sumi/nodes"
	"sumi/tensor"
)

// run executes the named node of this package with the given inputs.
func run(t *testing.T, env Env, name string, values map[string]any, h nodes.HiddenValues) ([]any, error) {
	t.Helper()
	for _, s := range Specs(env) {
		if s.Name == name {
			return s.Run(context.Background(), nodes.NewArgs("1", values, h), nodes.Discard)
		}
	}
	t.Fatalf("no node %s", name)
	return nil, nil
}

func mustRun(t *testing.T, env Env, name string, values map[string]any) []any {
	t.Helper()
	out, err := run(t, env, name, values, nodes.HiddenValues{})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

func TestEmptyImage(t *testing.T) {
	tests := []struct {
		color   int64
		r, g, b uint8
	}{
		{0, 0, 0, 0},
		{0xFFFFFF, 255, 255, 255},
		{0x123456, 0x12, 0x34, 0x56},
		{0xFF0000, 255, 0, 0},
		{0x0000FF, 0, 0, 255},
	}
	for _, tc := range tests {
		out := mustRun(t, Env{}, "EmptyImage", map[string]any{"width": int64(3), "height": int64(2), "batch_size": int64(2), "color": tc.color})
		img := out[0].(*tensor.Tensor)
		if want := []int{2, 2, 3, 3}; !reflect.DeepEqual(img.Shape, want) {
			t.Fatalf("shape %v, want %v", img.Shape, want)
		}
		want := []uint8{tc.r, tc.g, tc.b}
		for i, v := range img.Data {
			// Channel bytes must come back exactly through x*255.
			if got := uint8(math.Round(float64(v) * 255)); got != want[i%3] {
				t.Fatalf("color %06x: value %d = %v (byte %d), want byte %d", tc.color, i, v, got, want[i%3])
			}
		}
	}
}

func TestImageInvert(t *testing.T) {
	in := tensor.FromData([]float32{0, 0.25, 1, 0.5, -0.5, 2}, 1, 1, 2, 3)
	orig := in.Clone()
	out := mustRun(t, Env{}, "ImageInvert", map[string]any{"image": in})[0].(*tensor.Tensor)
	want := []float32{1, 0.75, 0, 0.5, 1.5, -1}
	if !reflect.DeepEqual(out.Data, want) || !reflect.DeepEqual(out.Shape, in.Shape) {
		t.Errorf("got %v %v, want %v", out.Shape, out.Data, want)
	}
	if !reflect.DeepEqual(in, orig) {
		t.Errorf("input modified")
	}
}

func TestEmptyLatentImage(t *testing.T) {
	out := mustRun(t, Env{}, "EmptyLatentImage", map[string]any{"width": int64(1024), "height": int64(520), "batch_size": int64(3)})
	lat := out[0].(nodes.Latent)
	if want := []int{3, 4, 65, 128}; !reflect.DeepEqual(lat.Samples.Shape, want) {
		t.Errorf("shape %v, want %v", lat.Samples.Shape, want)
	}
	for _, v := range lat.Samples.Data {
		if v != 0 {
			t.Fatal("not zero")
		}
	}
}

func TestLatentUpscaleShapes(t *testing.T) {
	mask := tensor.New(1, 1, 8, 16)
	tests := []struct {
		name      string
		w, h      int64
		crop      string
		wantShape []int // nil: the input is returned unchanged
	}{
		{"both zero passes through", 0, 0, "disabled", nil},
		{"explicit", 1024, 512, "disabled", []int{2, 4, 64, 128}},
		{"minimum 64", 40, 8, "disabled", []int{2, 4, 8, 8}},
		{"width from aspect", 0, 512, "disabled", []int{2, 4, 64, 128}},
		{"height from aspect", 256, 0, "disabled", []int{2, 4, 16, 32}}, // max(64, round(8*256/16))
		{"floor division by 8", 100, 100, "disabled", []int{2, 4, 12, 12}},
		{"center crop", 64, 64, "center", []int{2, 4, 8, 8}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := nodes.Latent{Samples: tensor.New(2, 4, 8, 16), NoiseMask: mask, BatchIndex: []int{3, 4}}
			out := mustRun(t, Env{}, "LatentUpscale", map[string]any{
				"samples": in, "upscale_method": "bilinear", "width": tc.w, "height": tc.h, "crop": tc.crop})
			lat := out[0].(nodes.Latent)
			if tc.wantShape == nil {
				if lat.Samples != in.Samples {
					t.Errorf("samples replaced")
				}
				return
			}
			if !reflect.DeepEqual(lat.Samples.Shape, tc.wantShape) {
				t.Errorf("shape %v, want %v", lat.Samples.Shape, tc.wantShape)
			}
			if lat.NoiseMask != mask || !reflect.DeepEqual(lat.BatchIndex, []int{3, 4}) {
				t.Errorf("other latent fields not kept")
			}
		})
	}
}

func TestLatentUpscaleBy(t *testing.T) {
	tests := []struct {
		scale float64
		h, w  int
	}{
		{1.5, 12, 24},
		{1.3125, 10, 21}, // 8*1.3125 = 10.5 rounds half to even; 16*1.3125 = 21
		{0.5, 4, 8},
		{1.0625, 8, 17}, // 8.5 -> 8, 17
	}
	for _, tc := range tests {
		in := nodes.Latent{Samples: tensor.New(1, 4, 8, 16)}
		out := mustRun(t, Env{}, "LatentUpscaleBy", map[string]any{"samples": in, "upscale_method": "nearest-exact", "scale_by": tc.scale})
		if got := out[0].(nodes.Latent).Samples.Shape; got[2] != tc.h || got[3] != tc.w {
			t.Errorf("scale %v: shape %v, want h %d w %d", tc.scale, got, tc.h, tc.w)
		}
	}
	in := nodes.Latent{Samples: tensor.New(1, 4, 8, 8)}
	if _, err := run(t, Env{}, "LatentUpscaleBy", map[string]any{"samples": in, "upscale_method": "area", "scale_by": 0.01}, nodes.HiddenValues{}); err == nil {
		t.Errorf("zero-sized result: no error")
	}
}

func TestImageScaleShapes(t *testing.T) {
	tests := []struct {
		w, h      int64
		wantShape []int
	}{
		{0, 0, []int{1, 6, 9, 3}},
		{18, 12, []int{1, 12, 18, 3}},
		{0, 4, []int{1, 4, 6, 3}},
		{5, 0, []int{1, 3, 5, 3}}, // 6*5/9 = 3.33
		{3, 0, []int{1, 2, 3, 3}},
	}
	for _, tc := range tests {
		for _, m := range imageUpscaleMethods {
			out := mustRun(t, Env{}, "ImageScale", map[string]any{
				"image": tensor.New(1, 6, 9, 3), "upscale_method": m, "width": tc.w, "height": tc.h, "crop": "disabled"})
			if got := out[0].(*tensor.Tensor).Shape; !reflect.DeepEqual(got, tc.wantShape) {
				t.Errorf("%s %dx%d: shape %v, want %v", m, tc.w, tc.h, got, tc.wantShape)
			}
		}
	}
	out := mustRun(t, Env{}, "ImageScaleBy", map[string]any{"image": tensor.New(2, 6, 9, 3), "upscale_method": "lanczos", "scale_by": 0.5})
	if got := out[0].(*tensor.Tensor).Shape; !reflect.DeepEqual(got, []int{2, 3, 4, 3}) { // 4.5 -> 4
		t.Errorf("ImageScaleBy shape %v", got)
	}
}

func TestUpscaleErrors(t *testing.T) {
	x := tensor.New(1, 1, 4, 4)
	for _, tc := range []struct {
		w, h   int
		method string
	}{{0, 4, "bilinear"}, {4, -1, "area"}, {4, 4, "cubic"}, {1 << 20, 1 << 20, "bilinear"}} {
		if _, err := upscale(x, tc.w, tc.h, tc.method, "disabled"); err == nil {
			t.Errorf("%dx%d %s: no error", tc.w, tc.h, tc.method)
		}
	}
	if _, err := upscale(tensor.New(4, 4), 2, 2, "area", "disabled"); err == nil {
		t.Errorf("2-d input: no error")
	}
}
