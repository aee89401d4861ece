package onnx

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"sumi/safetensors"
)

// DefaultOpset is the ai.onnx opset NewGraph uses: the newest that Debian's
// python3-onnx 1.12 checker knows, and enough for LayerNormalization.
const DefaultOpset = 17

// MicrosoftDomain is the domain of ONNX Runtime's contrib operators.
const MicrosoftDomain = "com.microsoft"

// ErrBuild is wrapped by every error the builder records.
var ErrBuild = errors.New("onnx: invalid graph")

// Graph builds one ONNX model. Op helpers never return errors: the first
// problem is recorded and reported by Err and Marshal, so network code reads
// as a straight sequence of calls. A Graph is not safe for concurrent use.
type Graph struct {
	// Opset is the ai.onnx opset version; set it before adding ops whose
	// form changed between opsets (ReduceMean, Split, Squeeze...).
	Opset int64
	// Compute is the element type Param casts weights to and the type of
	// float constants made by Scalar and Const (Float by default; Float16
	// for end-to-end half-precision graphs).
	Compute DataType
	// Producer is written as the model's producer_name.
	Producer string

	name    string
	nodes   []node
	inits   []tensorProto
	inputs  []valueInfo
	outputs []valueInfo
	names   map[string]bool
	consts  map[string]Value
	weights map[string]Value
	contrib bool
	counter int
	err     error
}

// NewGraph starts an empty graph computing in float32 at DefaultOpset.
func NewGraph(name string) *Graph {
	return &Graph{Opset: DefaultOpset, Compute: Float, Producer: "sumi", name: name,
		names: map[string]bool{}, consts: map[string]Value{}, weights: map[string]Value{}}
}

// Err returns the first problem recorded while building, or nil.
func (g *Graph) Err() error { return g.err }

func (g *Graph) fail(format string, args ...any) {
	if g.err == nil {
		g.err = fmt.Errorf("%w: %s: %s", ErrBuild, g.name, fmt.Sprintf(format, args...))
	}
}

// claim reserves a tensor name, recording an error on reuse.
func (g *Graph) claim(name string) bool {
	if name == "" || g.names[name] {
		g.fail("tensor name %q is empty or already used", name)
		return false
	}
	g.names[name] = true
	return true
}

func (g *Graph) fresh(op string) string {
	for {
		g.counter++
		n := fmt.Sprintf("%s_%d", op, g.counter)
		if !g.names[n] {
			g.names[n] = true
			return n
		}
	}
}

// Input declares a graph input. Each dim is an int (fixed size) or a string
// (a symbolic size, such as "batch"), e.g. g.Input("x", onnx.Float, "batch", 4, "h", "w").
func (g *Graph) Input(name string, dt DataType, dims ...any) Value {
	vi := valueInfo{name: name, dt: dt, hasShape: true}
	static, known := []int64{}, true
	for _, d := range dims {
		switch d := d.(type) {
		case int:
			vi.dims, static = append(vi.dims, Dim{Value: int64(d)}), append(static, int64(d))
		case int64:
			vi.dims, static = append(vi.dims, Dim{Value: d}), append(static, d)
		case string:
			vi.dims, known = append(vi.dims, Dim{Param: d}), false
		default:
			g.fail("input %q: dim %v must be an int or a string", name, d)
		}
	}
	if !g.claim(name) {
		return Value{}
	}
	g.inputs = append(g.inputs, vi)
	if !known {
		static = nil
	}
	return Value{name: name, dt: dt, shape: static, known: known, g: g}
}

// Output marks v as a graph output called name (an Identity node is added
// when v already has another name). Dims are given as for Input; they may be
// left out only when the builder knows v's shape (constants, weights).
func (g *Graph) Output(v Value, name string, dims ...any) {
	if !g.check("Output", v) {
		return
	}
	if v.name != name {
		if !g.claim(name) {
			return
		}
		g.nodes = append(g.nodes, node{op: "Identity", inputs: []string{v.name}, outputs: []string{name}})
	}
	vi := valueInfo{name: name, dt: v.dt, hasShape: true}
	if len(dims) == 0 {
		if !v.known {
			g.fail("output %q: give its dims (ints or names): the checker needs every output's rank", name)
			return
		}
		for _, d := range v.shape {
			dims = append(dims, d)
		}
	}
	for _, d := range dims {
		switch d := d.(type) {
		case int:
			vi.dims = append(vi.dims, Dim{Value: int64(d)})
		case int64:
			vi.dims = append(vi.dims, Dim{Value: d})
		case string:
			vi.dims = append(vi.dims, Dim{Param: d})
		default:
			g.fail("output %q: dim %v must be an int or a string", name, d)
		}
	}
	g.outputs = append(g.outputs, vi)
}

// OutputScalar marks a rank-0 value as a graph output called name.
func (g *Graph) OutputScalar(v Value, name string) {
	v.shape, v.known = []int64{}, true
	g.Output(v, name)
}

// check records an error when a required input is missing or foreign.
func (g *Graph) check(op string, vs ...Value) bool {
	for i, v := range vs {
		if v.name == "" || v.g != g {
			g.fail("%s: input %d is missing or belongs to another graph", op, i)
			return false
		}
	}
	return g.err == nil
}

// External declares an initializer whose bytes live in a file under the
// session's external-data folder: location is relative to that folder (no
// absolute paths, no ".."), offset is the absolute byte offset in the file
// and length the byte count, which must match shape and dt.
func (g *Graph) External(name string, dt DataType, shape []int64, location string, offset, length int64) Value {
	if err := checkLocation(location); err != nil {
		g.fail("external %q: %v", name, err)
		return Value{}
	}
	if want := numElements(shape) * int64(dt.Size()); dt.Size() == 0 || want != length || offset < 0 {
		g.fail("external %q: %v %s needs %d bytes, got length %d at offset %d", name, shape, dt, want, length, offset)
		return Value{}
	}
	if !g.claim(name) {
		return Value{}
	}
	g.inits = append(g.inits, tensorProto{name: name, dt: dt, dims: append([]int64{}, shape...),
		ext: &external{location: location, offset: offset, length: length}})
	return Value{name: name, dt: dt, shape: append([]int64{}, shape...), known: true, g: g}
}

func checkLocation(loc string) error {
	switch {
	case loc == "":
		return errors.New("empty location")
	case filepath.IsAbs(loc) || strings.HasPrefix(loc, "/"):
		return fmt.Errorf("location %q must be relative to the external data folder", loc)
	}
	for _, part := range strings.Split(filepath.ToSlash(loc), "/") {
		if part == ".." {
			return fmt.Errorf("location %q must not leave the external data folder", loc)
		}
	}
	return nil
}

// Weight declares the safetensors tensor t, stored in the file at location
// (relative to the session's external-data folder), as an initializer in its
// stored type; declaring the same tensor again returns the same Value. A
// non-nil shape reinterprets the same bytes with another shape
// of equal size (e.g. a [C] norm weight as [C,1,1]) without any node.
func (g *Graph) Weight(t safetensors.Tensor, location string, shape []int64) Value {
	dt, ok := FromSafetensors(string(t.DType))
	if !ok {
		g.fail("weight %q: dtype %s has no ONNX equivalent", t.Name, t.DType)
		return Value{}
	}
	name := t.Name
	if shape == nil || slices.Equal(shape, t.Shape) {
		shape = t.Shape
	} else {
		name = fmt.Sprintf("%s@%v", t.Name, shape) // a second view of the same bytes
	}
	key := location + "\x00" + name
	if v, ok := g.weights[key]; ok {
		return v
	}
	v := g.External(name, dt, shape, location, t.Offset, t.Length)
	if !v.IsZero() {
		g.weights[key] = v
	}
	return v
}

// Param is Weight followed by a Cast to g.Compute when the stored type
// differs (ORT folds that Cast once at session creation; on fp16 checkpoints
// with Compute = Float16 no Cast is emitted and the file stays mapped).
func (g *Graph) Param(t safetensors.Tensor, location string, shape []int64) Value {
	w := g.Weight(t, location, shape)
	if w.IsZero() || !w.dt.IsFloat() || w.dt == g.Compute {
		return w
	}
	return g.Cast(w, g.Compute)
}

func numElements(shape []int64) int64 {
	n := int64(1)
	for _, d := range shape {
		n *= d
	}
	return n
}

// Marshal encodes the model (ModelProto bytes) or returns the first build
// error. The IR version follows the opset.
func (g *Graph) Marshal() ([]byte, error) {
	if g.err != nil {
		return nil, g.err
	}
	if len(g.outputs) == 0 {
		return nil, fmt.Errorf("%w: %s: no outputs", ErrBuild, g.name)
	}
	b := appendInt(nil, 1, irVersion(g.Opset))
	b = appendStr(b, 2, g.Producer)
	b = appendMsg(b, 7, g.encodeGraph())
	b = appendMsg(b, 8, opsetID("", g.Opset))
	if g.contrib {
		b = appendMsg(b, 8, opsetID(MicrosoftDomain, 1))
	}
	return b, nil
}

// irVersion picks the oldest IR version that allows the opset.
func irVersion(opset int64) int64 {
	switch {
	case opset <= 18:
		return 8
	case opset <= 20:
		return 9
	default:
		return 10
	}
}

// InputNames lists the graph inputs in declaration order.
func (g *Graph) InputNames() []string {
	out := make([]string, len(g.inputs))
	for i, in := range g.inputs {
		out[i] = in.name
	}
	return out
}

// OutputNames lists the graph outputs in declaration order.
func (g *Graph) OutputNames() []string {
	out := make([]string, len(g.outputs))
	for i, o := range g.outputs {
		out[i] = o.name
	}
	return out
}

// NumNodes is the number of nodes so far (useful in tests and logs).
func (g *Graph) NumNodes() int { return len(g.nodes) }

// NumInitializers is the number of initializers (external and inline).
func (g *Graph) NumInitializers() int { return len(g.inits) }
