package sdxl

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"sumi/internal/testutil"
	"sumi/lora"
	"sumi/runtime/onnx"
	"sumi/runtime/ort"
	"sumi/safetensors"
	"sumi/tensor"
)

// testPatches builds seeded rank-4 patches for the tiny checkpoint: every
// UNet transformer linear layer, a 3×3 conv, a CLIP-L projection and two
// thirds of CLIP-G's fused q/k/v (row ranges).
func testPatches(t *testing.T) map[string][]lora.Patch {
	t.Helper()
	f, err := safetensors.Open(tinyCkpt)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := rand.New(rand.NewPCG(5, 6))
	randn := func(shape ...int) *tensor.Tensor {
		x := tensor.New(shape...)
		for i := range x.Data {
			x.Data[i] = float32(r.NormFloat64()) * 0.2
		}
		return x
	}
	out := map[string][]lora.Patch{}
	add := func(key string, rows [2]int) {
		ti, ok := f.Tensor(key)
		if !ok {
			t.Fatalf("no tensor %s", key)
		}
		n, in := int(ti.Shape[0]), int(ti.Length)/ti.DType.Size()/int(ti.Shape[0])
		if rows[1] > 0 {
			n = rows[1] - rows[0]
		}
		out[key] = append(out[key], lora.Patch{Key: key, Rows: rows, Up: randn(n, 4), Down: randn(4, in), Scale: 0.6})
	}
	for _, ti := range f.Tensors() {
		if strings.HasPrefix(ti.Name, prefixUNet) && strings.Contains(ti.Name, "transformer_blocks") &&
			strings.HasSuffix(ti.Name, ".weight") && len(ti.Shape) == 2 && !strings.Contains(ti.Name, "norm") {
			add(ti.Name, [2]int{})
		}
	}
	add(prefixUNet+"input_blocks.1.0.in_layers.2.weight", [2]int{})
	add(prefixCLIPL+"encoder.layers.0.self_attn.q_proj.weight", [2]int{})
	qkv := prefixCLIPG + "transformer.resblocks.0.attn.in_proj_weight"
	ti, _ := f.Tensor(qkv)
	third := int(ti.Shape[0]) / 3
	add(qkv, [2]int{0, third})
	add(qkv, [2]int{2 * third, 3 * third})
	return out
}

// writeMergedCheckpoint writes the tiny checkpoint with the patches merged
// by lora.Patch.Apply (float32 for the patched tensors).
func writeMergedCheckpoint(t *testing.T, patches map[string][]lora.Patch) string {
	t.Helper()
	var flat []lora.Patch
	for _, ps := range patches {
		flat = append(flat, ps...) // WriteMerged keeps each key's order
	}
	path := filepath.Join(t.TempDir(), "merged.safetensors")
	testutil.WriteMerged(t, tinyCkpt, path, flat)
	return path
}

// outputs runs the UNet and both text encoders on the golden inputs.
func outputs(t *testing.T, m *Model) map[string]*tensor.Tensor {
	t.Helper()
	g := golden(t, "unet.safetensors")
	ctx := context.Background()
	eps, err := m.UNet(ctx, g["raw.x_in"], float64s(g["raw.timesteps"]), g["cond"], g["apply_model_1024.y"])
	if err != nil {
		t.Fatal(err)
	}
	cross, pooled, err := m.EncodeText(ctx, promptTokens(t, tokenCases(t), pipelinePrompt(t)), TextOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*tensor.Tensor{"eps": eps, "cross": cross, "pooled": pooled}
}

// TestPatchFormsEqualMerged: every patch form gives what a checkpoint with
// the deltas merged by hand gives, in the float32 CPU graph and in the
// float16 CUDA graph form (emulated on CPU), with ONNX Runtime's
// optimizations on and off. Inlined weights are the very values of the
// merged file (rounded alike to float16), so they match bit for bit.
func TestPatchFormsEqualMerged(t *testing.T) {
	patches := testPatches(t)
	merged := writeMergedCheckpoint(t, patches)
	for _, gf := range []struct {
		name    string
		graph   GraphOptions
		emulate bool
		tol     float64
	}{
		{"float32", GraphOptions{}, false, 1e-5},
		{"float16 cuda form", CUDAGraphOptions(), true, 2e-3},
	} {
		t.Run(gf.name, func(t *testing.T) {
			load := func(path string, o Options) *Model {
				o.Graph, o.emulateCUDA = gf.graph, gf.emulate
				return loadModel(t, path, o)
			}
			want := outputs(t, load(merged, Options{}))
			plain := outputs(t, load(tinyCkpt, Options{}))
			for k := range want {
				if e := relErr(t, k, plain[k], want[k]); e < 1e-2 {
					t.Fatalf("%s: the patches change it by only %.3g; the test proves nothing", k, e)
				}
			}
			for _, fc := range []struct {
				name   string
				form   PatchForm
				budget int64
				opt    ort.OptLevel
				exact  bool
			}{
				{"auto", PatchAuto, 0, ort.OptAll, true},
				{"auto over budget", PatchAuto, 20000, ort.OptAll, false},
				{"auto over budget, optimizations off", PatchAuto, 20000, ort.OptDisable, false},
				{"bound", PatchBound, 0, ort.OptAll, false},
				{"inline", PatchInline, 0, ort.OptAll, true},
				{"in graph", PatchInGraph, 0, ort.OptAll, false},
				{"in graph, optimizations off", PatchInGraph, 0, ort.OptDisable, false},
			} {
				t.Run(fc.name, func(t *testing.T) {
					got := outputs(t, load(tinyCkpt, Options{Patches: patches, PatchForm: fc.form,
						PatchInlineBytes: fc.budget, Runtime: ort.Options{OptLevel: fc.opt}}))
					for k, w := range want {
						tol := gf.tol
						if fc.exact {
							tol = 0
						}
						expectClose(t, k, got[k], w, tol)
					}
				})
			}
		})
	}
}

// TestPatchPlacement: weights are inlined in key order up to the budget;
// the rest are bound when the form says so or when a CPU session will not
// fold constants, and are otherwise left to the in-graph form. Bound
// weights are in the compute type.
func TestPatchPlacement(t *testing.T) {
	patches := testPatches(t)
	const small = 20000 // bytes: a few of the tiny UNet's weights
	off := ort.Options{OptLevel: ort.OptDisable}
	for _, tc := range []struct {
		name                string
		form                PatchForm
		rt                  ort.Options
		dt                  onnx.DataType
		budget              int64
		inline, bound, none bool // which placements occur
	}{
		{"auto", PatchAuto, ort.Options{}, onnx.Float, 0, true, false, false},
		{"auto over budget", PatchAuto, ort.Options{}, onnx.Float, small, true, false, true},
		{"auto over budget, no folding", PatchAuto, off, onnx.Float, small, true, true, false},
		{"auto over budget, cuda", PatchAuto, ort.Options{Provider: ort.CUDA, OptLevel: ort.OptDisable}, onnx.Float16, small, true, false, true},
		{"bound float32", PatchBound, ort.Options{}, onnx.Float, 0, false, true, false},
		{"bound float16", PatchBound, ort.Options{}, onnx.Float16, 0, false, true, false},
		{"inline over budget", PatchInline, off, onnx.Float, small, true, false, true},
		{"in graph", PatchInGraph, off, onnx.Float, 0, false, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := loadModel(t, tinyCkpt, Options{Patches: patches, PatchForm: tc.form, PatchInlineBytes: tc.budget, Runtime: tc.rt})
			got, err := m.mergePatches(NetUNet, tc.dt)
			if err != nil {
				t.Fatal(err)
			}
			var inlined int64
			var nInline, nBound int
			for k, mw := range got {
				switch {
				case mw.bound != nil && mw.bound.DType != tc.dt:
					t.Errorf("%s: bound as %s, want %s", k, mw.bound.DType, tc.dt)
				case mw.bound != nil:
					nBound++
				default:
					nInline++
					inlined += int64(len(mw.values) * tc.dt.Size())
				}
			}
			none := len(m.patchKeys(NetUNet)) - len(got)
			if (nInline > 0) != tc.inline || (nBound > 0) != tc.bound || (none > 0) != tc.none {
				t.Errorf("%d inline, %d bound, %d in graph; want inline %v, bound %v, in graph %v",
					nInline, nBound, none, tc.inline, tc.bound, tc.none)
			}
			if tc.budget > 0 && inlined > tc.budget {
				t.Errorf("inlined %d bytes over a budget of %d", inlined, tc.budget)
			}
		})
	}
}
