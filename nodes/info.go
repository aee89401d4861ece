package nodes

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"

	"sumi/pyfmt"
)

// NodeInfo is one GET /object_info entry. It marshals with ComfyUI's key
// order so that a diff against a recorded transcript stays readable.
type NodeInfo struct {
	Name           string
	DisplayName    string
	Description    string
	PythonModule   string
	Category       string
	Inputs         []Input
	Output         []string
	OutputIsList   []bool
	OutputName     []string
	OutputTooltips []string // nil when no output has a tooltip
	OutputNode     bool
	Deprecated     bool
	Experimental   bool
}

// Info describes the spec as /object_info does.
func (s *Spec) Info() NodeInfo {
	ni := NodeInfo{
		Name: s.Name, DisplayName: s.Title(), Description: s.Description,
		PythonModule: s.PythonModule, Category: s.Category, Inputs: s.Inputs,
		Output: []string{}, OutputIsList: []bool{}, OutputName: []string{},
		OutputNode: s.OutputNode, Deprecated: s.Deprecated, Experimental: s.Experimental,
	}
	if ni.PythonModule == "" {
		ni.PythonModule = "nodes"
	}
	tips := false
	for _, o := range s.Outputs {
		ni.Output = append(ni.Output, string(o.Type))
		ni.OutputIsList = append(ni.OutputIsList, o.IsList)
		ni.OutputName = append(ni.OutputName, o.OutputName())
		ni.OutputTooltips = append(ni.OutputTooltips, o.Tooltip)
		tips = tips || o.Tooltip != ""
	}
	if !tips {
		ni.OutputTooltips = nil
	}
	return ni
}

// MarshalJSON writes the entry in ComfyUI's layout.
func (ni NodeInfo) MarshalJSON() ([]byte, error) {
	var w objWriter
	w.open()
	w.raw("input", ni.inputJSON())
	w.raw("input_order", ni.inputOrderJSON())
	w.value("output", ni.Output)
	w.value("output_is_list", ni.OutputIsList)
	w.value("output_name", ni.OutputName)
	w.value("name", ni.Name)
	w.value("display_name", ni.DisplayName)
	w.value("description", ni.Description)
	w.value("python_module", ni.PythonModule)
	w.value("category", ni.Category)
	w.value("output_node", ni.OutputNode)
	if ni.OutputTooltips != nil {
		w.value("output_tooltips", ni.OutputTooltips)
	}
	if ni.Deprecated {
		w.value("deprecated", true)
	}
	if ni.Experimental {
		w.value("experimental", true)
	}
	return w.close()
}

func (ni NodeInfo) inputJSON() []byte {
	var w objWriter
	w.open()
	for _, kind := range []Kind{Required, Optional, HiddenInput} {
		var sec objWriter
		sec.open()
		n := 0
		for _, in := range ni.Inputs {
			if in.Kind != kind {
				continue
			}
			n++
			if kind == HiddenInput {
				sec.value(in.Name, string(in.Hidden))
				continue
			}
			sec.raw(in.Name, in.specJSON(false))
		}
		if n > 0 || kind == Required {
			b, _ := sec.close()
			w.raw(kind.String(), b)
		}
	}
	b, _ := w.close()
	return b
}

func (ni NodeInfo) inputOrderJSON() []byte {
	var w objWriter
	w.open()
	for _, kind := range []Kind{Required, Optional, HiddenInput} {
		names := []string{}
		for _, in := range ni.Inputs {
			if in.Kind == kind {
				names = append(names, in.Name)
			}
		}
		if len(names) > 0 || kind == Required {
			w.value(kind.String(), names)
		}
	}
	b, _ := w.close()
	return b
}

// Config is the input's spec as ComfyUI's validation errors quote it
// (extra_info.input_config): always [TYPE, {options}], where TYPE is the
// list of choices for a COMBO.
func (in Input) Config() json.RawMessage { return in.specJSON(true) }

// specJSON writes [TYPE] or [TYPE, {options}]; withEmpty keeps an empty
// options object, as validation errors do.
func (in Input) specJSON(withEmpty bool) []byte {
	var b bytes.Buffer
	b.WriteByte('[')
	if in.Type == TypeCombo {
		choices := in.ChoiceList()
		if choices == nil {
			choices = []string{}
		}
		b.Write(marshal(choices))
	} else {
		b.Write(marshal(string(in.Type)))
	}
	opts := in.optionsJSON()
	if withEmpty || len(opts) > 2 {
		b.WriteByte(',')
		b.Write(opts)
	}
	b.WriteByte(']')
	return b.Bytes()
}

func (in Input) optionsJSON() []byte {
	o := in.Opts
	var w objWriter
	w.open()
	if o.Default != nil {
		w.raw("default", in.number(o.Default))
	}
	in.bound(&w, "min", o.Min)
	in.bound(&w, "max", o.Max)
	in.bound(&w, "step", o.Step)
	in.bound(&w, "round", o.Round)
	if o.Multiline != nil {
		w.value("multiline", *o.Multiline)
	}
	w.flag("dynamicPrompts", o.DynamicPrompts)
	w.flag("control_after_generate", o.ControlAfterGenerate)
	w.flag("image_upload", o.ImageUpload)
	w.flag("forceInput", o.ForceInput)
	w.flag("lazy", o.Lazy)
	w.text("display", o.Display)
	w.text("placeholder", o.Placeholder)
	w.text("tooltip", o.Tooltip)
	for _, x := range o.Extra {
		w.value(x.Key, x.Value)
	}
	b, _ := w.close()
	return b
}

func (in Input) bound(w *objWriter, key string, v *float64) {
	if v != nil {
		w.raw(key, in.number(*v))
	}
}

// number writes a numeric option the way Python prints it: FLOAT options
// as floats (8.0), INT options as integers, 2^64 as the uint64 maximum.
func (in Input) number(v any) []byte {
	f, ok := v.(float64)
	if !ok {
		return marshal(v)
	}
	switch {
	case math.IsInf(f, 0) || math.IsNaN(f):
		return []byte("null")
	case in.Type == TypeInt && f >= 1<<64:
		return []byte("18446744073709551615")
	case in.Type == TypeInt && f == math.Trunc(f) && math.Abs(f) < 1<<63:
		return []byte(strconv.FormatInt(int64(f), 10))
	}
	return []byte(pyfmt.Float(f))
}

// ObjectInfo is the whole GET /object_info body, in registration order.
type ObjectInfo []NodeInfo

// MarshalJSON writes {"<class>": entry, ...}.
func (oi ObjectInfo) MarshalJSON() ([]byte, error) {
	var w objWriter
	w.open()
	for _, ni := range oi {
		b, err := ni.MarshalJSON()
		if err != nil {
			return nil, err
		}
		w.raw(ni.Name, b)
	}
	return w.close()
}

// objWriter writes a JSON object with keys in call order.
type objWriter struct {
	b bytes.Buffer
	n int
}

func (w *objWriter) open() { w.b.WriteByte('{') }

func (w *objWriter) raw(key string, v []byte) {
	if w.n > 0 {
		w.b.WriteByte(',')
	}
	w.n++
	w.b.Write(marshal(key))
	w.b.WriteByte(':')
	w.b.Write(v)
}

func (w *objWriter) value(key string, v any) { w.raw(key, marshal(v)) }

func (w *objWriter) flag(key string, on bool) {
	if on {
		w.value(key, true)
	}
}

func (w *objWriter) text(key, s string) {
	if s != "" {
		w.value(key, s)
	}
}

func (w *objWriter) close() ([]byte, error) {
	w.b.WriteByte('}')
	return w.b.Bytes(), nil
}

// marshal encodes without HTML escaping (Python's json.dumps does none);
// values that cannot be encoded become null.
func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte("null")
	}
	return bytes.TrimRight(b.Bytes(), "\n")
}
