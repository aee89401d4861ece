package builtin

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"sumi/internal/testutil"
	"sumi/nodes"
	"sumi/pngmeta"
	"sumi/tensor"
)

func TestSaveImageCounterAndPixels(t *testing.T) {
	env := testEnv(t)
	env.Now = func() time.Time { return time.Date(2026, 1, 7, 0, 0, 0, 0, time.Local) }
	os.MkdirAll(filepath.Join(env.Folders.Output(), "run"), 0o755)
	for _, n := range []string{"shot_00003_.png", "shot_00009.png", "other_00050_.png"} {
		os.WriteFile(filepath.Join(env.Folders.Output(), "run", n), nil, 0o644)
	}
	// Values chosen around the truncation: 255*x is truncated, then clipped.
	vals := []float32{0, 0.5, 1, 1.2, -0.1, 0.999, 0.2, 0.4, 0.6, 0.8, 0.1, 0.3}
	imgs := tensor.FromData(append(append([]float32(nil), vals...), vals...), 2, 1, 4, 3)
	out, err := run(t, env, "SaveImage", map[string]any{"images": imgs, "filename_prefix": "run/shot_%year%"}, nodes.HiddenValues{})
	if err != nil {
		t.Fatal(err)
	}
	ui := out[0].(nodes.UI)
	want := []nodes.ImageRef{
		{Filename: "shot_2026_00001_.png", Subfolder: "run", Type: "output"},
		{Filename: "shot_2026_00002_.png", Subfolder: "run", Type: "output"},
	}
	if !reflect.DeepEqual(ui["images"], want) {
		t.Fatalf("ui = %v, want %v", ui["images"], want)
	}
	img := decodePNG(t, filepath.Join(env.Folders.Output(), "run", want[1].Filename))
	wantBytes := []uint8{0, 127, 255, 255, 0, 254}
	for x := 0; x < 2; x++ {
		c := img.At(x, 0).(color.NRGBA)
		got := []uint8{c.R, c.G, c.B}
		if !reflect.DeepEqual(got, wantBytes[x*3:x*3+3]) {
			t.Errorf("pixel %d = %v, want %v", x, got, wantBytes[x*3:x*3+3])
		}
	}
	// Prefix "shot" now also matches "shot_2026_..." and reads 2026 as its
	// number, exactly as ComfyUI's counter does.
	out, _ = run(t, env, "SaveImage", map[string]any{"images": imgs, "filename_prefix": "run/shot"}, nodes.HiddenValues{})
	if got := out[0].(nodes.UI)["images"].([]nodes.ImageRef)[0].Filename; got != "shot_02027_.png" {
		t.Errorf("continued counter gave %s, want shot_02027_.png", got)
	}
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	img := testutil.DecodePNG(t, path)
	if img.ColorModel() != color.NRGBAModel && img.ColorModel() != color.RGBAModel {
		t.Fatalf("unexpected color model %v", img.ColorModel())
	}
	return toNRGBA(img)
}

func toNRGBA(img image.Image) *image.NRGBA {
	b := img.Bounds()
	out := image.NewNRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			out.Set(x, y, img.At(x, y))
		}
	}
	return out
}

func TestSaveImageMetadata(t *testing.T) {
	env := testEnv(t)
	hidden := nodes.HiddenValues{
		Prompt:       json.RawMessage(`{"9":{"class_type":"SaveImage","inputs":{"filename_prefix":"x","images":["8",0],"cfg":8.0}}}`),
		ExtraPNGInfo: json.RawMessage(`{"workflow":{"nodes":[],"version":0.4},"aaa":"é"}`),
	}
	out, err := run(t, env, "SaveImage", map[string]any{"images": tensor.New(1, 2, 2, 3), "filename_prefix": "m"}, hidden)
	if err != nil {
		t.Fatal(err)
	}
	name := out[0].(nodes.UI)["images"].([]nodes.ImageRef)[0].Filename
	chunks := readChunks(t, filepath.Join(env.Folders.Output(), name))
	want := []pngmeta.TextChunk{
		{Keyword: "prompt", Text: `{"9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "x", "images": ["8", 0], "cfg": 8.0}}}`, Type: "tEXt"},
		{Keyword: "workflow", Text: `{"nodes": [], "version": 0.4}`, Type: "tEXt"},
		{Keyword: "aaa", Text: `"\u00e9"`, Type: "tEXt"},
	}
	if !reflect.DeepEqual(chunks, want) {
		t.Errorf("chunks = %q\nwant %q", chunks, want)
	}
	env.DisableMetadata = true
	out, _ = run(t, env, "SaveImage", map[string]any{"images": tensor.New(1, 2, 2, 3), "filename_prefix": "m"}, hidden)
	name = out[0].(nodes.UI)["images"].([]nodes.ImageRef)[0].Filename
	if c := readChunks(t, filepath.Join(env.Folders.Output(), name)); len(c) != 0 {
		t.Errorf("metadata written although disabled: %q", c)
	}
}

func readChunks(t *testing.T, path string) []pngmeta.TextChunk {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := pngmeta.ReadText(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSaveImageErrors(t *testing.T) {
	env := testEnv(t)
	tests := []struct {
		name   string
		values map[string]any
		want   string
	}{
		{"outside output", map[string]any{"images": tensor.New(1, 2, 2, 3), "filename_prefix": "../x"}, "outside the output folder"},
		{"five channels", map[string]any{"images": tensor.New(1, 2, 2, 5), "filename_prefix": "x"}, "5 channels"},
		{"not an image", map[string]any{"images": "nope", "filename_prefix": "x"}, "images"},
		{"3-d", map[string]any{"images": tensor.New(2, 2, 3), "filename_prefix": "x"}, "[B,H,W,C]"},
	}
	for _, tc := range tests {
		_, err := run(t, env, "SaveImage", tc.values, nodes.HiddenValues{ExtraPNGInfo: json.RawMessage(`null`)})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	_, err := run(t, env, "SaveImage", map[string]any{"images": tensor.New(1, 1, 1, 3), "filename_prefix": "x"},
		nodes.HiddenValues{ExtraPNGInfo: json.RawMessage(`[1]`)})
	if err == nil {
		t.Errorf("non-object extra_pnginfo: no error")
	}
}

func TestPreviewImage(t *testing.T) {
	env := testEnv(t)
	env.RandIntN = func(n int) int { return n - 1 } // always the last letter, "z"
	out, err := run(t, env, "PreviewImage", map[string]any{"images": tensor.New(2, 2, 2, 3)}, nodes.HiddenValues{})
	if err != nil {
		t.Fatal(err)
	}
	want := []nodes.ImageRef{
		{Filename: "ComfyUI_temp_zzzzz_00001_.png", Type: "temp"},
		{Filename: "ComfyUI_temp_zzzzz_00002_.png", Type: "temp"},
	}
	if got := out[0].(nodes.UI)["images"]; !reflect.DeepEqual(got, want) {
		t.Errorf("ui = %v, want %v", got, want)
	}
	if _, err := os.Stat(filepath.Join(env.Folders.Temp(), want[0].Filename)); err != nil {
		t.Error(err)
	}
}

// writeTestPNG writes an NRGBA image (or an opaque RGB one when rgb is set).
func writeTestPNG(t *testing.T, path string, pix [][4]uint8, w int, rgb bool) {
	t.Helper()
	h := len(pix) / w
	var img image.Image
	if rgb {
		m := image.NewRGBA(image.Rect(0, 0, w, h))
		for i, p := range pix {
			m.Set(i%w, i/w, color.RGBA{p[0], p[1], p[2], 255})
		}
		img = m
	} else {
		m := image.NewNRGBA(image.Rect(0, 0, w, h))
		for i, p := range pix {
			m.SetNRGBA(i%w, i/w, color.NRGBA{p[0], p[1], p[2], p[3]})
		}
		img = m
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadImage(t *testing.T) {
	env := testEnv(t)
	pix := [][4]uint8{{255, 0, 10, 255}, {0, 128, 20, 0}, {1, 2, 3, 100}, {4, 5, 6, 51}, {7, 8, 9, 255}, {200, 100, 50, 200}}
	writeTestPNG(t, filepath.Join(env.Folders.Input(), "rgba.png"), pix, 3, false)
	writeTestPNG(t, filepath.Join(env.Folders.Output(), "rgb.png"), pix, 2, true)

	out := mustRun(t, env, "LoadImage", map[string]any{"image": "rgba.png"})
	img, mask := out[0].(*tensor.Tensor), out[1].(*tensor.Tensor)
	if !reflect.DeepEqual(img.Shape, []int{1, 2, 3, 3}) || !reflect.DeepEqual(mask.Shape, []int{1, 2, 3}) {
		t.Fatalf("shapes %v %v", img.Shape, mask.Shape)
	}
	for i, p := range pix {
		for ch := 0; ch < 3; ch++ {
			if got, want := img.Data[i*3+ch], float32(p[ch])/255; got != want {
				t.Errorf("pixel %d ch %d = %v, want %v", i, ch, got, want)
			}
		}
		if got, want := mask.Data[i], 1-float32(p[3])/255; got != want {
			t.Errorf("mask %d = %v, want %v", i, got, want)
		}
	}

	out = mustRun(t, env, "LoadImage", map[string]any{"image": "rgb.png [output]"})
	img, mask = out[0].(*tensor.Tensor), out[1].(*tensor.Tensor)
	if !reflect.DeepEqual(img.Shape, []int{1, 3, 2, 3}) || !reflect.DeepEqual(mask.Shape, []int{1, 64, 64}) {
		t.Fatalf("rgb shapes %v %v", img.Shape, mask.Shape)
	}
	for _, v := range mask.Data {
		if v != 0 {
			t.Fatal("mask of an opaque image is not zero")
		}
	}
}

func TestLoadImageValidateAndList(t *testing.T) {
	env := testEnv(t)
	for _, n := range []string{"b.JPG", "a.png", "c.txt", "d.webp"} {
		os.WriteFile(filepath.Join(env.Folders.Input(), n), []byte("x"), 0o644)
	}
	os.MkdirAll(filepath.Join(env.Folders.Input(), "sub.png"), 0o755)
	os.WriteFile(filepath.Join(env.Folders.Input(), "sub.png", "in.png"), []byte("x"), 0o644)
	spec := findSpec(t, env, "LoadImage")
	in, _ := spec.Input("image")
	if got, want := in.ChoiceList(), []string{"a.png", "b.JPG", "d.webp"}; !reflect.DeepEqual(got, want) {
		t.Errorf("choices = %v, want %v", got, want)
	}
	tests := []struct {
		name string
		ok   bool
	}{
		{"a.png", true}, {"sub.png/in.png", true}, {"missing.png", false},
		{"../input/a.png", false}, {"a.png [output]", false}, {"/etc/passwd", false},
	}
	for _, tc := range tests {
		err := spec.Validate(nodes.NewArgs("1", map[string]any{"image": tc.name}, nodes.HiddenValues{}))
		if (err == nil) != tc.ok {
			t.Errorf("Validate(%q) = %v", tc.name, err)
		}
		if err != nil && err.Error() != "Invalid image file: "+tc.name {
			t.Errorf("message %q", err)
		}
	}
	if _, err := run(t, env, "LoadImage", map[string]any{"image": "c.txt"}, nodes.HiddenValues{}); err == nil {
		t.Errorf("decoding a text file: no error")
	}
}

func findSpec(t *testing.T, env Env, name string) nodes.Spec {
	t.Helper()
	for _, s := range Specs(env) {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no spec %s", name)
	return nodes.Spec{}
}

// TestLoadImageIsChangedMatchesComfyUI checks IsChanged against the hash
// ComfyUI recorded for the same input file in the img2img case's prompt.
func TestLoadImageIsChangedMatchesComfyUI(t *testing.T) {
	f, err := os.Open("../../testdata/tiny-sdxl/cases/img2img/img2img_00001_.png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := pngmeta.ReadMap(f)
	if err != nil {
		t.Fatal(err)
	}
	var prompt map[string]struct {
		ClassType string   `json:"class_type"`
		IsChanged []string `json:"is_changed"`
		Inputs    map[string]any
	}
	if err := json.Unmarshal([]byte(m["prompt"]), &prompt); err != nil {
		t.Fatal(err)
	}
	env := testEnv(t)
	checked := 0
	for _, n := range prompt {
		if n.ClassType != "LoadImage" {
			continue
		}
		name := n.Inputs["image"].(string)
		data, err := os.ReadFile(filepath.Join("../../testdata/tiny-sdxl/cases/input", name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(env.Folders.Input(), name), data, 0o644)
		got, err := findSpec(t, env, "LoadImage").IsChanged(nodes.NewArgs("1", map[string]any{"image": name}, nodes.HiddenValues{}))
		if err != nil || len(n.IsChanged) != 1 || got != n.IsChanged[0] {
			t.Errorf("IsChanged = %q, %v; ComfyUI recorded %v", got, err, n.IsChanged)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no LoadImage node in the fixture prompt")
	}
}

func TestSaveThenLoadRoundTrip(t *testing.T) {
	env := testEnv(t)
	src := tensor.New(1, 3, 4, 3)
	for i := range src.Data {
		src.Data[i] = float32(i*7%255) / 255
	}
	out, err := run(t, env, "SaveImage", map[string]any{"images": src, "filename_prefix": "rt"}, nodes.HiddenValues{})
	if err != nil {
		t.Fatal(err)
	}
	name := out[0].(nodes.UI)["images"].([]nodes.ImageRef)[0].Filename
	back := mustRun(t, env, "LoadImage", map[string]any{"image": name + " [output]"})[0].(*tensor.Tensor)
	for i := range src.Data {
		// x/255 * 255 may land just below the integer and truncate to one less.
		if d := src.Data[i] - back.Data[i]; d < 0 || d > 1.0/255+1e-6 {
			t.Errorf("value %d: saved %v, loaded %v", i, src.Data[i], back.Data[i])
		}
	}
}

func encodePNGFile(t *testing.T, path string, img image.Image) {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadImagePixelFormats(t *testing.T) {
	env := testEnv(t)
	pal := image.NewPaletted(image.Rect(0, 0, 2, 1), color.Palette{color.NRGBA{10, 20, 30, 255}, color.NRGBA{0, 0, 0, 0}})
	pal.Pix = []uint8{0, 1}
	opaquePal := image.NewPaletted(image.Rect(0, 0, 2, 1), color.Palette{color.RGBA{10, 20, 30, 255}, color.RGBA{40, 50, 60, 255}})
	g16 := image.NewGray16(image.Rect(0, 0, 2, 1))
	g16.SetGray16(0, 0, color.Gray16{Y: 1000})
	g16.SetGray16(1, 0, color.Gray16{Y: 65535})
	n64 := image.NewNRGBA64(image.Rect(0, 0, 2, 1))
	n64.SetNRGBA64(0, 0, color.NRGBA64{R: 0x12ff, G: 0x3400, B: 0xffff, A: 0x8000})
	n64.SetNRGBA64(1, 0, color.NRGBA64{A: 0xffff})
	tests := []struct {
		name  string
		img   image.Image
		first [3]float32 // RGB of pixel 0
		mask  []float32  // nil: the [1,64,64] zero mask
	}{
		{"palette with transparency", pal, [3]float32{10. / 255, 20. / 255, 30. / 255}, []float32{0, 1}},
		{"opaque palette", opaquePal, [3]float32{10. / 255, 20. / 255, 30. / 255}, nil},
		{"16-bit gray is value/255 clipped", g16, [3]float32{3. / 255, 3. / 255, 3. / 255}, nil},
		{"16-bit rgba keeps the high byte", n64, [3]float32{0x12 / 255., 0x34 / 255., 1}, []float32{1 - float32(0x80)/255, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			encodePNGFile(t, filepath.Join(env.Folders.Input(), "f.png"), tc.img)
			out := mustRun(t, env, "LoadImage", map[string]any{"image": "f.png"})
			img, mask := out[0].(*tensor.Tensor), out[1].(*tensor.Tensor)
			for ch := 0; ch < 3; ch++ {
				if img.Data[ch] != float32(tc.first[ch]) {
					t.Errorf("rgb %v, want %v", img.Data[:3], tc.first)
					break
				}
			}
			if tc.mask == nil {
				if len(mask.Data) != 64*64 {
					t.Errorf("mask shape %v, want [1 64 64]", mask.Shape)
				}
				return
			}
			if !reflect.DeepEqual(mask.Data, tc.mask) {
				t.Errorf("mask %v, want %v", mask.Data, tc.mask)
			}
		})
	}
}

func TestLoadImageAnimatedGIF(t *testing.T) {
	env := testEnv(t)
	pal := color.Palette{color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}, color.RGBA{0, 0, 0, 0}}
	f1 := image.NewPaletted(image.Rect(0, 0, 3, 2), pal) // all red
	f2 := image.NewPaletted(image.Rect(1, 0, 2, 1), pal) // one blue pixel at (1,0)
	f2.Pix[0] = 1
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, &gif.GIF{Image: []*image.Paletted{f1, f2}, Delay: []int{0, 0},
		Config: image.Config{ColorModel: pal, Width: 3, Height: 2}}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(env.Folders.Input(), "anim.gif"), buf.Bytes(), 0o644)
	out := mustRun(t, env, "LoadImage", map[string]any{"image": "anim.gif"})
	img, mask := out[0].(*tensor.Tensor), out[1].(*tensor.Tensor)
	if !reflect.DeepEqual(img.Shape, []int{2, 2, 3, 3}) || !reflect.DeepEqual(mask.Shape, []int{2, 2, 3}) {
		t.Fatalf("shapes %v %v", img.Shape, mask.Shape)
	}
	px := func(frame, x, y int) []float32 { i := ((frame*2+y)*3 + x) * 3; return img.Data[i : i+3] }
	if !reflect.DeepEqual(px(1, 0, 0), []float32{1, 0, 0}) || !reflect.DeepEqual(px(1, 1, 0), []float32{0, 0, 1}) ||
		!reflect.DeepEqual(px(0, 1, 0), []float32{1, 0, 0}) {
		t.Errorf("frames not composited: %v", img.Data)
	}
}

func TestWebPHasAlpha(t *testing.T) {
	riff := func(chunk string, payload ...byte) []byte {
		return append([]byte("RIFF\x00\x00\x00\x00WEBP"+chunk+"\x00\x00\x00\x00"), payload...)
	}
	tests := []struct {
		name string
		data []byte
		want bool
	}{
		{"lossy", riff("VP8 ", 0, 0, 0, 0, 0), false},
		{"extended with alpha", riff("VP8X", 0x10, 0, 0, 0), true},
		{"extended without alpha", riff("VP8X", 0x08, 0, 0, 0), false},
		{"lossless with alpha", riff("VP8L", 0x2f, 0, 0, 0, 0x10), true},
		{"lossless opaque", riff("VP8L", 0x2f, 0, 0, 0, 0x00), false},
		{"truncated", []byte("RIFF"), false},
	}
	for _, tc := range tests {
		if got := webpHasAlpha(tc.data); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}
