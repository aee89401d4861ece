package graph

import (
	_ "embed"
	"encoding/json"
	"strings"

	"sumi/nodes"
)

// corewidgets.json is spec data (testdata/spec/core-widgets.json): the
// widget order of ComfyUI's core nodes, used when a node type is not in the
// registry (e.g. converting a workflow without the model nodes loaded).
//
//go:embed corewidgets.json
var coreWidgetsJSON []byte

type coreTable struct {
	Virtual []string `json:"virtual_ui_only_types"`
	Nodes   map[string]struct {
		Widgets     []string `json:"widgets"`
		DisplayName *string  `json:"display_name"`
	} `json:"nodes"`
}

var coreWidgets = func() coreTable {
	var t coreTable
	if err := json.Unmarshal(coreWidgetsJSON, &t); err != nil {
		panic("graph: embedded corewidgets.json: " + err.Error())
	}
	return t
}()

// isVirtualType reports UI-only node types that never reach the API.
func isVirtualType(t string) bool {
	for _, v := range coreWidgets.Virtual {
		if v == t {
			return true
		}
	}
	return false
}

// widgetDef is one slot of a node's widgets_values.
type widgetDef struct {
	name       string
	uiOnly     bool
	forceInput bool // a socket-only input some old files still stored a value for
	def        any  // the value used when widgets_values has no entry
	hasDef     bool
}

// nodeWidgets returns the widget list and default title of a node type,
// from the registry or else the built-in table; ok is false if unknown.
func nodeWidgets(reg *nodes.Registry, typ string) (ws []widgetDef, title string, ok bool) {
	if reg != nil {
		if s, found := reg.Get(typ); found {
			return specWidgets(s), s.Title(), true
		}
	}
	t, found := coreWidgets.Nodes[typ]
	if !found {
		return nil, typ, false
	}
	for _, w := range t.Widgets {
		name, ui := strings.CutPrefix(w, "*")
		ws = append(ws, widgetDef{name: name, uiOnly: ui})
	}
	title = typ
	if t.DisplayName != nil {
		title = *t.DisplayName
	}
	return ws, title, true
}

// specWidgets follows the frontend's widget creation, keeping forceInput
// inputs (marked) so the legacy surplus-value rule can drop their values.
func specWidgets(s *nodes.Spec) []widgetDef {
	var ws []widgetDef
	for _, kind := range []nodes.Kind{nodes.Required, nodes.Optional} {
		for _, in := range s.Inputs {
			if in.Kind != kind || !in.Type.IsWidget() {
				continue
			}
			def, has := widgetDefault(in)
			ws = append(ws, widgetDef{name: in.Name, forceInput: in.Opts.ForceInput, def: def, hasDef: has})
			if in.Opts.ForceInput {
				continue
			}
			if in.Opts.ControlAfterGenerate {
				ws = append(ws, widgetDef{name: "control_after_generate", uiOnly: true})
				if in.Type == nodes.TypeCombo {
					ws = append(ws, widgetDef{name: "control_filter_list", uiOnly: true})
				}
			}
			if in.Opts.ImageUpload {
				ws = append(ws, widgetDef{name: "upload", uiOnly: true})
			}
		}
	}
	return ws
}

// widgetDefault is the value a fresh editor widget holds.
func widgetDefault(in nodes.Input) (any, bool) {
	if in.Opts.Default != nil {
		return in.Opts.Default, true
	}
	switch in.Type {
	case nodes.TypeCombo:
		if c := in.ChoiceList(); len(c) > 0 {
			return c[0], true
		}
		return nil, false
	case nodes.TypeInt, nodes.TypeFloat:
		v := 0.0
		if in.Opts.Min != nil && *in.Opts.Min > 0 {
			v = *in.Opts.Min
		}
		if in.Type == nodes.TypeInt {
			return int64(v), true
		}
		return v, true
	case nodes.TypeString:
		return "", true
	case nodes.TypeBool:
		return false, true
	}
	return nil, false
}

// assignWidgets zips widgets_values with the widget list and returns the
// serialisable (name, value) pairs in widget order.
func assignWidgets(n *uiNode, ws []widgetDef) []Field {
	values := n.values
	visible, forced := 0, 0
	for _, w := range ws {
		if w.forceInput {
			forced++
		} else {
			visible++
		}
	}
	// Files from frontends that stored values for forceInput inputs.
	dropForced := forced > 0 && len(values) == visible+forced
	var out []Field
	pos := 0
	for _, w := range ws {
		if w.forceInput && !dropForced {
			continue
		}
		var v any
		has := false
		switch {
		case n.named != nil:
			v, has = n.named[w.name]
		case pos < len(values):
			v, has = values[pos], true
		}
		pos++
		if w.uiOnly || w.forceInput {
			continue
		}
		if !has {
			if !w.hasDef {
				continue
			}
			v = w.def
		}
		out = append(out, Field{w.name, legacyFix(n.typ, w.name, v)})
	}
	return out
}

// legacyFix applies the frontend's load-time fixes to old values.
func legacyFix(typ, name string, v any) any {
	if name == "sampler_name" && (typ == "KSampler" || typ == "KSamplerAdvanced") {
		if s, ok := v.(string); ok {
			return strings.TrimPrefix(s, "sample_")
		}
	}
	if arr, ok := v.([]any); ok {
		return map[string]any{"__value__": arr}
	}
	return v
}
