package sdxl

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"sumi/internal/testutil"
	"sumi/safetensors"
)

// writeVAEFile copies the tiny checkpoint's first_stage_model.* tensors to a
// standalone file, renaming them with rename and storing them as dt (""
// keeps the checkpoint's bytes). keep drops tensors (by new name) when it
// returns false.
func writeVAEFile(t *testing.T, rename func(string) string, dt safetensors.DType, keep func(string) bool) string {
	t.Helper()
	src, err := safetensors.Open(tinyCkpt)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var w safetensors.Writer
	for _, ti := range src.Tensors() {
		if !strings.HasPrefix(ti.Name, prefixVAE) {
			continue
		}
		name := rename(ti.Name)
		if keep != nil && !keep(name) {
			continue
		}
		raw, err := src.Bytes(ti.Name)
		if err != nil {
			t.Fatal(err)
		}
		data, err := src.Float32(ti.Name)
		if err != nil {
			t.Fatal(err)
		}
		switch dt {
		case "":
			w.AddRaw(name, ti.DType, ti.Shape, raw)
		case safetensors.F32:
			w.AddFloat32(name, ti.Shape, data)
		case safetensors.BF16:
			w.AddBFloat16(name, ti.Shape, data)
		default:
			t.Fatalf("dtype %s", dt)
		}
	}
	// Unaligned offsets, as external data must cope with them.
	w.HeaderPad = 3
	path := filepath.Join(t.TempDir(), "sdxl_vae.safetensors")
	if err := w.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func stripPrefix(n string) string { return strings.TrimPrefix(n, prefixVAE) }
func samePrefix(n string) string  { return n }

func TestLoadVAEMatchesCheckpoint(t *testing.T) {
	if got := vaeDType(t); got != safetensors.F16 {
		t.Fatalf("the tiny checkpoint's VAE is stored in %s; the cases below assume F16", got)
	}
	ckpt := loadModel(t, tinyCkpt, Options{})
	g := golden(t, "vae.safetensors")
	ctx := context.Background()
	wantImg, err := ckpt.DecodeVAE(ctx, g["decode.latent"])
	if err != nil {
		t.Fatal(err)
	}
	wantLat, err := ckpt.EncodeVAE(ctx, g["encode.image"])
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		path   string
		prefix string
		tol    float64 // relative; 0 is bit-identical
	}{
		// The checkpoint stores F16, which widens to F32 exactly, and the
		// graphs compute in F32 either way: F16 and F32 files must give
		// the checkpoint's results bit for bit.
		{"bare fp16", writeVAEFile(t, stripPrefix, "", nil), "", 0},
		{"bare fp32", writeVAEFile(t, stripPrefix, safetensors.F32, nil), "", 0},
		{"prefixed fp32", writeVAEFile(t, samePrefix, safetensors.F32, nil), prefixVAE, 0},
		{"prefixed fp16", writeVAEFile(t, samePrefix, "", nil), prefixVAE, 0},
		// BF16 keeps 8 of F16's 11 significant bits: weights move by up
		// to 2^-8 relative, the outputs by about 1e-3.
		{"bare bf16", writeVAEFile(t, stripPrefix, safetensors.BF16, nil), "", 1e-2},
		{"full checkpoint", tinyCkpt, prefixVAE, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := LoadVAE(tc.path, Options{Runtime: ckpt.opts.Runtime})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if m.vaePrefix != tc.prefix || m.Config.UNet != nil || m.Config.CLIPL != nil {
				t.Fatalf("prefix %q, config %+v; want prefix %q and only a VAE", m.vaePrefix, m.Config, tc.prefix)
			}
			if !m.Config.VAE.HasEncoder || m.Config.VAE.ScaleFactor != 0 {
				t.Errorf("vae config %+v: want an encoder and no latent scale", m.Config.VAE)
			}
			img, err := m.DecodeVAE(ctx, g["decode.latent"])
			if err != nil {
				t.Fatal(err)
			}
			lat, err := m.EncodeVAE(ctx, g["encode.image"])
			if err != nil {
				t.Fatal(err)
			}
			expectClose(t, "decode", img, wantImg, tc.tol)
			expectClose(t, "encode", lat, wantLat, tc.tol)
			if _, _, err := m.EncodeText(ctx, promptTokens(t, tokenCases(t), pipelinePrompt(t)), TextOptions{}); !errors.Is(err, ErrNoNetwork) {
				t.Errorf("EncodeText on a VAE file: %v, want ErrNoNetwork", err)
			}
			if _, err := m.UNet(ctx, g["decode.latent"], []float64{1}, nil, nil); !errors.Is(err, ErrNoNetwork) {
				t.Errorf("UNet on a VAE file: %v, want ErrNoNetwork", err)
			}
		})
	}
}

// vaeDType is the dtype the tiny checkpoint stores its VAE in.
func vaeDType(t *testing.T) safetensors.DType {
	f, err := safetensors.Open(tinyCkpt)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ti, _ := f.Tensor(prefixVAE + "decoder.conv_in.weight")
	return ti.DType
}

func TestLoadVAEDecoderOnly(t *testing.T) {
	testutil.InitORT(t)
	noEncoder := func(n string) bool {
		return !strings.HasPrefix(n, "encoder.") && n != "quant_conv.weight" && n != "quant_conv.bias"
	}
	m, err := LoadVAE(writeVAEFile(t, stripPrefix, "", noEncoder), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Config.VAE.HasEncoder {
		t.Fatal("decoder-only file detected with an encoder")
	}
	g := golden(t, "vae.safetensors")
	if _, err := m.EncodeVAE(context.Background(), g["encode.image"]); !errors.Is(err, ErrNoNetwork) {
		t.Errorf("encode without encoder: %v, want ErrNoNetwork", err)
	}
}

func TestLoadVAEErrors(t *testing.T) {
	testutil.InitORT(t)
	const dropped = "decoder.up.1.block.0.conv2.weight"
	// One diffusers name is enough to mark the layout.
	diffusers := func(n string) string {
		if n = stripPrefix(n); n == "decoder.up.0.block.0.norm1.weight" {
			return "decoder.up_blocks.0.resnets.0.norm1.weight"
		}
		return n
	}
	cases := []struct {
		name, path string
		notVAE     bool   // wraps ErrNotVAE
		key        string // LayoutError key
		msg        string
	}{
		{"lora", fixtureDir + "cases/loras/tiny-lora-A.safetensors", true, "", "lora"},
		{"checkpoint without vae", rewriteTiny(t, func(n string, s []int64) ([]int64, bool) {
			return s, !strings.HasPrefix(n, prefixVAE)
		}), true, "", "checkpoint without a vae"},
		{"diffusers layout", writeVAEFile(t, diffusers, "", nil), true, "", "diffusers"},
		{"missing tensor", writeVAEFile(t, stripPrefix, "", func(n string) bool { return n != dropped }), false, dropped, ""},
		{"absent", filepath.Join(t.TempDir(), "nope.safetensors"), false, "", "nope.safetensors"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadVAE(tc.path, Options{})
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, ErrNotVAE) != tc.notVAE {
				t.Errorf("error %v: errors.Is(ErrNotVAE) = %v, want %v", err, !tc.notVAE, tc.notVAE)
			}
			var le *LayoutError
			if tc.key != "" && (!errors.As(err, &le) || le.Key != tc.key) {
				t.Errorf("error %v, want a layout error naming %s", err, tc.key)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
		})
	}
}

func TestDetectVAEHeaders(t *testing.T) {
	ckpt := sdxlKeys(t)
	bare := Header{}
	for k, v := range ckpt {
		if strings.HasPrefix(k, prefixVAE) {
			bare[stripPrefix(k)] = v
		}
	}
	for _, tc := range []struct {
		name   string
		h      Header
		prefix string
	}{{"real sdxl checkpoint", ckpt, prefixVAE}, {"real sdxl vae keys", bare, ""}} {
		t.Run(tc.name, func(t *testing.T) {
			v, p, err := DetectVAE(tc.h)
			if err != nil {
				t.Fatal(err)
			}
			if p != tc.prefix || v.Ch != 128 || len(v.ChMult) != 4 || v.ZChannels != 4 || v.Downscale != 8 || !v.HasEncoder {
				t.Errorf("prefix %q config %+v; want %q, ch 128, 4 levels, z 4, downscale 8, encoder", p, v, tc.prefix)
			}
		})
	}
}
