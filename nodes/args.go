package nodes

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"sumi/tensor"
)

// Args are the inputs a node's Run (or IsChanged / Validate) receives:
// constants already coerced by validation (INT as int64, FLOAT as float64,
// STRING as string, BOOLEAN as bool, COMBO as string) and the values of
// linked outputs. The getters return the zero value for a missing input.
type Args struct {
	// NodeID is the id of the node being run (its UNIQUE_ID).
	NodeID string
	values map[string]any
	hidden HiddenValues
}

// HiddenValues are the per-prompt values behind hidden inputs.
type HiddenValues struct {
	// Prompt is the validated API prompt as JSON (PROMPT).
	Prompt json.RawMessage
	// ExtraPNGInfo is extra_data.extra_pnginfo as JSON, an object whose keys
	// keep their order (e.g. "workflow"), or nil (EXTRA_PNGINFO).
	ExtraPNGInfo json.RawMessage
	// PromptID is the id of the prompt being run.
	PromptID string
}

// NewArgs builds the arguments for one node. Hidden inputs declared by the
// spec get their values from h under the input's name.
func NewArgs(nodeID string, values map[string]any, h HiddenValues) Args {
	if values == nil {
		values = map[string]any{}
	}
	return Args{NodeID: nodeID, values: values, hidden: h}
}

// Lookup returns an input's value and whether it was given.
func (a Args) Lookup(name string) (any, bool) {
	v, ok := a.values[name]
	return v, ok
}

// Has reports whether an input was given (optional inputs may be absent).
func (a Args) Has(name string) bool { _, ok := a.values[name]; return ok }

// Value returns an input's value or nil.
func (a Args) Value(name string) any { return a.values[name] }

// Int returns an INT input. Seeds above 2^63-1 wrap; use Uint64 for them.
func (a Args) Int(name string) int64 {
	switch v := a.values[name].(type) {
	case int64:
		return v
	case int:
		return int64(v)
	case uint64:
		return int64(v)
	case float64:
		return int64(v)
	case bool:
		if v {
			return 1
		}
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(string(v), 10, 64); err == nil {
			return int64(u)
		}
	}
	return 0
}

// Uint64 returns an INT input as an unsigned number (seeds go up to 2^64-1).
func (a Args) Uint64(name string) uint64 {
	switch v := a.values[name].(type) {
	case uint64:
		return v
	case json.Number:
		if u, err := strconv.ParseUint(string(v), 10, 64); err == nil {
			return u
		}
	}
	return uint64(a.Int(name))
}

// Float returns a FLOAT input.
func (a Args) Float(name string) float64 {
	switch v := a.values[name].(type) {
	case float64:
		return v
	case float32:
		return float64(v)
	case int64:
		return float64(v)
	case int:
		return float64(v)
	case uint64:
		return float64(v)
	case json.Number:
		if f, err := v.Float64(); err == nil {
			return f
		}
	}
	return math.NaN()
}

// String returns a STRING or COMBO input.
func (a Args) String(name string) string {
	switch v := a.values[name].(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// Bool returns a BOOLEAN input.
func (a Args) Bool(name string) bool {
	v, _ := a.values[name].(bool)
	return v
}

// Image returns an IMAGE input ([B,H,W,C] float32 in 0..1).
func (a Args) Image(name string) (*tensor.Tensor, error) { return Get[*tensor.Tensor](a, name) }

// Mask returns a MASK input ([B,H,W]).
func (a Args) Mask(name string) (*tensor.Tensor, error) { return Get[*tensor.Tensor](a, name) }

// Latent returns a LATENT input.
func (a Args) Latent(name string) (Latent, error) {
	if p, ok := a.values[name].(*Latent); ok && p != nil {
		return *p, nil
	}
	return Get[Latent](a, name)
}

// Prompt is the validated API prompt (the PROMPT hidden value).
func (a Args) Prompt() json.RawMessage { return a.hidden.Prompt }

// ExtraPNGInfo is extra_data.extra_pnginfo (the EXTRA_PNGINFO hidden value), or nil.
func (a Args) ExtraPNGInfo() json.RawMessage { return a.hidden.ExtraPNGInfo }

// PromptID is the id of the prompt being run.
func (a Args) PromptID() string { return a.hidden.PromptID }

// Get returns an input as type T, with an error naming the input when it is
// missing or of another type (a programming error in the producing node).
func Get[T any](a Args, name string) (T, error) {
	var zero T
	v, ok := a.values[name]
	if !ok {
		return zero, fmt.Errorf("nodes: input %q is missing", name)
	}
	t, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("nodes: input %q is %T, want %T", name, v, zero)
	}
	return t, nil
}
