package graph

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"sumi/nodes"
)

// infoRegistry builds a registry from a recorded /object_info file, so the
// graph tests check validation against ComfyUI's own node definitions.
func infoRegistry(t testing.TB, path string) *nodes.Registry {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	reg := nodes.NewRegistry()
	for _, name := range sortedKeys(m) {
		s, err := specFromInfo(m[name])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if name == "LoadImage" {
			s.ValidateInputs = []string{"image"}
			s.Validate = func(a nodes.Args) error {
				if a.String("image") == "no_such_file.png" {
					return errors.New("Invalid image file: " + a.String("image"))
				}
				return nil
			}
		}
		reg.Register(s)
	}
	return reg
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if keys[j] < keys[i] {
				keys[i], keys[j] = keys[j], keys[i]
			}
		}
	}
	return keys
}

type infoEntry struct {
	Input struct {
		Required, Optional map[string][]json.RawMessage
		Hidden             map[string]json.RawMessage
	}
	InputOrder     map[string][]string `json:"input_order"`
	Output         []string
	OutputName     []string `json:"output_name"`
	OutputIsList   []bool   `json:"output_is_list"`
	Name           string
	DisplayName    string `json:"display_name"`
	Category       string
	OutputNode     bool `json:"output_node"`
	PythonModule   string
	Description    string
	OutputTooltips []any `json:"output_tooltips"`
}

func specFromInfo(raw json.RawMessage) (nodes.Spec, error) {
	var e infoEntry
	if err := json.Unmarshal(raw, &e); err != nil {
		return nodes.Spec{}, err
	}
	s := nodes.Spec{Name: e.Name, DisplayName: e.DisplayName, Category: e.Category, OutputNode: e.OutputNode,
		Description: e.Description,
		Run: func(context.Context, nodes.Args, nodes.Progress) ([]any, error) {
			return nil, nil
		}}
	for _, kind := range []nodes.Kind{nodes.Required, nodes.Optional} {
		sec := e.Input.Required
		if kind == nodes.Optional {
			sec = e.Input.Optional
		}
		for _, name := range e.InputOrder[kind.String()] {
			in, err := inputFromInfo(name, sec[name])
			if err != nil {
				return s, err
			}
			in.Kind = kind
			s.Inputs = append(s.Inputs, in)
		}
	}
	for _, name := range e.InputOrder["hidden"] {
		var h string
		if json.Unmarshal(e.Input.Hidden[name], &h) != nil {
			var hl []string
			_ = json.Unmarshal(e.Input.Hidden[name], &hl)
			if len(hl) > 0 {
				h = hl[0]
			}
		}
		s.Inputs = append(s.Inputs, nodes.Hidden(name, nodes.HiddenKind(h)))
	}
	for i, t := range e.Output {
		o := nodes.Output{Type: nodes.Type(t)}
		if i < len(e.OutputName) && e.OutputName[i] != t {
			o.Name = e.OutputName[i]
		}
		s.Outputs = append(s.Outputs, o)
	}
	return s, nil
}

func inputFromInfo(name string, spec []json.RawMessage) (nodes.Input, error) {
	var in nodes.Input
	var choices []string
	if err := json.Unmarshal(spec[0], &choices); err == nil {
		in = nodes.ComboOf(name, choices...)
	} else {
		var t string
		if err := json.Unmarshal(spec[0], &t); err != nil {
			return in, err
		}
		in = nodes.Socket(name, nodes.Type(t))
		if t == "COMBO" {
			in = nodes.ComboOf(name)
		}
	}
	if len(spec) < 2 {
		return in, nil
	}
	var o map[string]any
	if err := json.Unmarshal(spec[1], &o); err != nil {
		return in, err
	}
	if in.Type == nodes.TypeCombo {
		if opts, ok := o["options"].([]any); ok {
			var cs []string
			for _, c := range opts {
				s, _ := c.(string)
				cs = append(cs, s)
			}
			in = nodes.ComboOf(name, cs...)
		}
	}
	if d, ok := o["default"]; ok {
		if f, ok := d.(float64); ok && in.Type == nodes.TypeInt {
			d = int64(f)
		}
		in = in.Default(d)
	}
	if f, ok := o["min"].(float64); ok {
		in = in.Min(f)
	}
	if f, ok := o["max"].(float64); ok {
		in = in.Max(f)
	}
	if f, ok := o["step"].(float64); ok {
		in = in.Step(f)
	}
	if o["control_after_generate"] == true {
		in = in.ControlAfterGenerate()
	}
	if o["image_upload"] == true {
		in = in.ImageUpload()
	}
	if o["forceInput"] == true {
		in = in.ForceInput()
	}
	if s, ok := o["display"].(string); ok {
		in = in.Display(s)
	}
	if s, ok := o["tooltip"].(string); ok {
		in = in.Tooltip(s)
	}
	return in, nil
}
