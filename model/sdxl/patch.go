package sdxl

import (
	"sort"
	"strconv"
	"strings"

	"sumi/lora"
	"sumi/runtime/onnx"
	"sumi/safetensors"
)

// Weight patches (LoRA). The checkpoint stays untouched and no copy of
// its unpatched weights is made: only the weights a LoRA changes get new
// values, W32 + scale·(up32 @ down32) in float32 as ComfyUI computes them,
// stored in the graph's compute type. How they enter the graph is the
// PatchForm (patchform.go). By default they are merged once in Go when the
// session is built and inlined as initializers up to a size budget; past
// it they take the in-graph form below (the sum as graph nodes), which ONNX
// Runtime folds into constants when it creates the session, or, on CPU
// sessions without optimizations (which would recompute the sum on every
// run), are fed by the session from host memory. Either way a LoRA costs
// nothing per step. The session cache key carries a fingerprint of the
// patches, computed once per network, so the unpatched and each patched
// variant of a network are separate sessions.

// networkPrefixes names the checkpoint keys each network reads, to pick
// the patches that concern it.
var networkPrefixes = map[string][]string{
	"unet":   {prefixUNet},
	"clip_l": {prefixCLIPL, prefixSD15CLIP},
	"clip_g": {prefixCLIPG},
	"vae":    {prefixVAE},
}

// patchKeys lists, sorted, the patched checkpoint keys that network reads.
func (m *Model) patchKeys(network string) []string {
	if len(m.opts.Patches) == 0 {
		return nil
	}
	var prefixes []string
	for family, ps := range networkPrefixes {
		if strings.HasPrefix(network, family) {
			prefixes = ps
		}
	}
	var keys []string
	for k := range m.opts.Patches {
		for _, p := range prefixes {
			if strings.HasPrefix(k, p) {
				keys = append(keys, k)
				break
			}
		}
	}
	sort.Strings(keys)
	return keys
}

// patchVariant is the cache-key suffix for the patches a network reads
// ("" when none) and the form they take. It is looked up on every network
// call, so the fingerprint (a hash of every factor) is computed once.
func (m *Model) patchVariant(network string) string {
	if len(m.opts.Patches) == 0 {
		return ""
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.variants[network]; ok {
		return v
	}
	v := ""
	if keys := m.patchKeys(network); len(keys) > 0 {
		var all []lora.Patch
		for _, k := range keys {
			all = append(all, m.opts.Patches[k]...)
		}
		v = "/lora-" + lora.Fingerprint(all) + m.opts.PatchForm.variant()
		if m.opts.PatchInlineBytes != 0 {
			v += "/budget" + strconv.FormatInt(m.opts.PatchInlineBytes, 10)
		}
	}
	if m.variants == nil {
		m.variants = map[string]string{}
	}
	m.variants[network] = v
	return v
}

// patched emits the float32 weight name with its patches added, then
// reshaped to shape (nil keeps the stored shape).
func (b *builder) patched(t safetensors.Tensor, shape []int64, ps []lora.Patch) onnx.Value {
	g := b.g
	w := b.rawShape(t.Name, nil)
	if w.IsZero() {
		return w
	}
	if w.DType() != onnx.Float {
		w = g.Cast(w, onnx.Float)
	}
	full := t.Shape
	for _, p := range ps {
		lo, hi := int64(0), full[0]
		if p.Rows[1] > 0 {
			lo, hi = int64(p.Rows[0]), int64(p.Rows[1])
		}
		region := append([]int64{hi - lo}, full[1:]...)
		up := g.Const(onnx.Float, int64s(p.Up.Shape), p.Up.Data)
		down := g.Const(onnx.Float, int64s(p.Down.Shape), p.Down.Data)
		d := g.Reshape(g.Mul(g.ScalarOf(onnx.Float, p.Scale), g.MatMul(up, down)), region...)
		if lo == 0 && hi == full[0] {
			w = g.Add(w, d)
			continue
		}
		var parts []onnx.Value
		if lo > 0 {
			parts = append(parts, g.Slice(w, []int64{0}, []int64{lo}, []int64{0}, nil))
		}
		parts = append(parts, g.Add(g.Slice(w, []int64{lo}, []int64{hi}, []int64{0}, nil), d))
		if hi < full[0] {
			parts = append(parts, g.Slice(w, []int64{hi}, []int64{full[0]}, []int64{0}, nil))
		}
		w = g.Concat(0, parts...)
	}
	if shape != nil {
		w = g.Reshape(w, shape...)
	}
	return w
}

// Header lists the checkpoint's tensors (names, shapes, dtypes), e.g. for
// matching LoRA keys against it.
func (m *Model) Header() Header { return HeaderOf(m.file) }
