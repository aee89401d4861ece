package sdxl

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"sumi/lora"
	"sumi/runtime/onnx"
	"sumi/runtime/ort"
	"sumi/safetensors"
)

// PatchForm chooses how LoRA-patched weights enter a network's graph.
type PatchForm int

// Patch forms. Every form computes W32 + scale·(up32 @ down32) in float32;
// they differ in where and when.
const (
	// PatchAuto inlines patched weights up to Options.PatchInlineBytes and
	// gives the rest the in-graph form, which ONNX Runtime folds into
	// constants when it creates the session; only when it will not fold
	// (CPU sessions with ort.OptDisable) are the rest bound instead. CUDA
	// never binds: a bound host input is copied to the device every run.
	PatchAuto PatchForm = iota
	// PatchBound merges every patched weight in Go when the session is
	// built and has the session feed it from host memory on every run
	// (ort.Bound): no size limit and no copy, but it is not a constant, so
	// CPU kernels do not prepack it.
	PatchBound
	// PatchInline merges the weights in Go and inlines them as initializers
	// in the model bytes, up to Options.PatchInlineBytes per graph; the
	// rest take the in-graph form.
	PatchInline
	// PatchInGraph emits W + scale·(up @ down) as graph nodes. ONNX Runtime
	// folds them when it creates the session with its optimizations on,
	// and recomputes them on every run when they are off (ort.OptDisable).
	PatchInGraph
)

// DefaultPatchInlineBytes is the inline budget per graph. Protobuf caps a
// whole model at 2 GiB, and inline bytes are copied several times on their
// way into ONNX Runtime (values, initializer, encoded graph, model, parsed
// model), so the budget also bounds that transient memory.
const DefaultPatchInlineBytes = 256 << 20

// variant is the form's cache-key suffix ("" for PatchAuto, which the
// device already distinguishes).
func (f PatchForm) variant() string {
	switch f {
	case PatchBound:
		return "/bound"
	case PatchInline:
		return "/inline"
	case PatchInGraph:
		return "/ingraph"
	}
	return ""
}

// placement is where one patched weight goes.
type placement int

const (
	inGraph placement = iota
	inline
	bound
)

// placements decides, per weight in key order, where each patched weight
// of network goes: inline while the budget lasts (PatchAuto, PatchInline),
// then the form's overflow.
func (m *Model) placements(network string, dt onnx.DataType) map[string]placement {
	form := m.opts.PatchForm
	if form == PatchInGraph || (dt != onnx.Float && dt != onnx.Float16) {
		return nil
	}
	overflow := inGraph
	cpuNoFold := m.opts.Runtime.Provider != ort.CUDA && m.opts.Runtime.OptLevel == ort.OptDisable
	if form == PatchBound || (form == PatchAuto && cpuNoFold) {
		overflow = bound
	}
	budget := m.opts.PatchInlineBytes
	if budget == 0 {
		budget = DefaultPatchInlineBytes
	}
	if form == PatchBound {
		budget = 0
	}
	out := map[string]placement{}
	var used int64
	for _, k := range m.patchKeys(network) {
		t, ok := m.file.Tensor(k)
		if !ok {
			continue // the builder reports the missing weight
		}
		size := t.Length / int64(t.DType.Size()) * int64(dt.Size())
		switch {
		case used+size <= budget:
			used += size
			out[k] = inline
		case overflow != inGraph:
			out[k] = overflow
		}
	}
	return out
}

// mergedWeight is one patched weight computed in Go: values for the inline
// form (Const converts them to the compute type), bound for the bound form.
type mergedWeight struct {
	values []float32
	bound  *ort.Tensor
}

// mergePatches computes the patched weights of network that do not take
// the in-graph form, in parallel over weights (and over rows when there
// are fewer weights than cores).
func (m *Model) mergePatches(network string, dt onnx.DataType) (map[string]mergedWeight, error) {
	places := m.placements(network, dt)
	var todo []safetensors.Tensor
	for k := range places {
		t, _ := m.file.Tensor(k)
		todo = append(todo, t)
	}
	merged := make([]mergedWeight, len(todo))
	errs := make([]error, len(todo))
	cores := runtime.GOMAXPROCS(0)
	rowWorkers := max(1, cores/max(len(todo), 1))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(cores, len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(todo); i = int(next.Add(1) - 1) {
				merged[i], errs[i] = m.mergeOne(todo[i], places[todo[i].Name], dt, rowWorkers)
			}
		}()
	}
	wg.Wait()
	out := make(map[string]mergedWeight, len(todo))
	for i, t := range todo {
		if errs[i] != nil {
			return nil, errs[i]
		}
		out[t.Name] = merged[i]
	}
	return out, nil
}

// mergeOne reads one weight as float32, adds its patches and converts it
// for its placement.
func (m *Model) mergeOne(t safetensors.Tensor, place placement, dt onnx.DataType, workers int) (mergedWeight, error) {
	w, err := m.file.Float32(t.Name)
	if err != nil {
		return mergedWeight{}, fmt.Errorf("sdxl: lora: %w", err)
	}
	shape := make([]int, len(t.Shape))
	for i, d := range t.Shape {
		shape[i] = int(d)
	}
	if err := lora.Merge(w, shape, m.opts.Patches[t.Name], workers); err != nil {
		return mergedWeight{}, fmt.Errorf("sdxl: %w", err)
	}
	switch {
	case place == inline:
		return mergedWeight{values: w}, nil
	case dt == onnx.Float16:
		return mergedWeight{bound: ort.FromFloat16(t.Shape, w)}, nil
	}
	return mergedWeight{bound: ort.FromFloat32(t.Shape, w)}, nil
}

// patchedWeight emits a patched weight in the compute type, reshaped to
// shape (nil keeps the stored shape): merged in Go when mergePatches
// computed it, else as graph nodes.
func (b *builder) patchedWeight(t safetensors.Tensor, shape []int64, ps []lora.Patch) onnx.Value {
	mw, ok := b.merged[t.Name]
	if !ok {
		return b.patched(t, shape, ps)
	}
	if shape == nil {
		shape = t.Shape
	}
	if mw.bound == nil {
		return b.g.Const(b.dt, shape, mw.values)
	}
	name := "lora:" + t.Name
	dims := make([]any, len(shape))
	for i, d := range shape {
		dims[i] = d
	}
	v := b.g.Input(name, mw.bound.DType, dims...)
	view := *mw.bound
	view.Shape = shape
	b.bound = append(b.bound, ort.Bound{Name: name, Value: &view})
	return v
}
