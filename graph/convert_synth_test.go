package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"sumi/nodes"
)

func synthRegistry() *nodes.Registry {
	reg := nodes.NewRegistry()
	reg.Register(nodes.Spec{Name: "Loader", Run: fakeRun, Inputs: []nodes.Input{nodes.ComboOf("ckpt", "a.safetensors")},
		Outputs: []nodes.Output{{Type: nodes.TypeModel}, {Type: nodes.TypeClip}}})
	reg.Register(nodes.Spec{Name: "Lora", Run: fakeRun, Outputs: []nodes.Output{{Type: nodes.TypeModel}, {Type: nodes.TypeClip}},
		Inputs: []nodes.Input{nodes.Socket("model", nodes.TypeModel), nodes.Socket("clip", nodes.TypeClip),
			nodes.ComboOf("lora_name", "l.safetensors"), nodes.Float("strength", 1)}})
	reg.Register(nodes.Spec{Name: "Enc", Run: fakeRun, Outputs: []nodes.Output{{Type: nodes.TypeConditioning}},
		Inputs: []nodes.Input{nodes.String("text", "").Multiline(), nodes.Socket("clip", nodes.TypeClip)}})
	reg.Register(nodes.Spec{Name: "Sampler", Run: fakeRun, Outputs: []nodes.Output{{Type: nodes.TypeLatent}},
		Inputs: []nodes.Input{nodes.Socket("model", nodes.TypeModel), nodes.Int("seed", 0).ControlAfterGenerate(),
			nodes.Int("steps", 20), nodes.Socket("positive", nodes.TypeConditioning), nodes.Int("extra", 3).ForceInput().Optional()}})
	reg.Register(nodes.Spec{Name: "Save", Run: fakeRun, OutputNode: true,
		Inputs: []nodes.Input{nodes.Socket("samples", nodes.TypeLatent), nodes.String("filename_prefix", "ComfyUI")}})
	return reg
}

// The base workflow: Loader 1 -> Lora 2 -> (Sampler 4 model, Enc 3 clip);
// Enc 3 -> Sampler 4 positive; Sampler 4 -> Save 5. %s slots hold Lora's
// mode and an extra node list.
const baseUI = `{"version": 0.4, "nodes": [
 {"id": 1, "type": "Loader", "mode": 0, "outputs": [{"name": "MODEL", "type": "MODEL", "links": [1]}, {"name": "CLIP", "type": "CLIP", "links": [2]}], "widgets_values": ["a.safetensors"]},
 {"id": 2, "type": "Lora", "mode": %d, "inputs": [{"name": "model", "type": "MODEL", "link": 1}, {"name": "clip", "type": "CLIP", "link": 2}],
  "outputs": [{"name": "MODEL", "type": "MODEL", "links": [3]}, {"name": "CLIP", "type": "CLIP", "links": [4]}], "widgets_values": ["l.safetensors", 0.8700000000000001]},
 {"id": 3, "type": "Enc", "inputs": [{"name": "clip", "type": "CLIP", "link": 4}], "widgets_values": ["a cat"]},
 {"id": 4, "type": "Sampler", "inputs": [{"name": "model", "type": "MODEL", "link": 3}, {"name": "positive", "type": "CONDITIONING", "link": 5}],
  "widgets_values": [42, "randomize", 25]},
 {"id": 5, "type": "Save", "inputs": [{"name": "samples", "type": "LATENT", "link": 6}], "widgets_values": ["out/%%date:yyyy%%_%%Enc.text%%"]}
 %s],
 "links": [[1, 1, 0, 2, 0, "MODEL"], [2, 1, 1, 2, 1, "CLIP"], [3, 2, 0, 4, 0, "MODEL"], [4, 2, 1, 3, 0, "CLIP"], [5, 3, 0, 4, 1, "CONDITIONING"], [6, 4, 0, 5, 0, "LATENT"]]}`

func convertJSON(t *testing.T, ui string) map[string]any {
	t.Helper()
	p, err := ConvertUI([]byte(ui), synthRegistry())
	if err != nil {
		t.Fatalf("convert: %v", err)
	}
	b, _ := json.Marshal(p)
	return apiShape(t, b)
}

func inputsOf(t *testing.T, m map[string]any, id string) map[string]any {
	t.Helper()
	n, ok := m[id]
	if !ok {
		t.Fatalf("node %s missing from %v", id, m)
	}
	return n.(map[string]any)["inputs"].(map[string]any)
}

func link(id string, slot float64) []any { return []any{id, slot} }

func TestConvertModes(t *testing.T) {
	t.Run("normal", func(t *testing.T) {
		m := convertJSON(t, fmt.Sprintf(baseUI, 0, ""))
		want := map[string]any{"seed": 42.0, "steps": 25.0, "model": link("2", 0), "positive": link("3", 0)}
		if got := inputsOf(t, m, "4"); !reflect.DeepEqual(got, want) {
			t.Errorf("sampler %v", got)
		}
		if got := inputsOf(t, m, "2")["strength"]; got != 0.8700000000000001 {
			t.Errorf("float noise lost: %v", got)
		}
		if got := inputsOf(t, m, "5")["filename_prefix"].(string); !strings.HasSuffix(got, "_a cat") || strings.Contains(got, "%") {
			t.Errorf("filename_prefix replacements: %q", got)
		}
	})
	t.Run("bypassed lora passes each type through", func(t *testing.T) {
		m := convertJSON(t, fmt.Sprintf(baseUI, 4, ""))
		if _, ok := m["2"]; ok {
			t.Errorf("bypassed node emitted")
		}
		if got := inputsOf(t, m, "4")["model"]; !reflect.DeepEqual(got, link("1", 0)) {
			t.Errorf("model %v", got)
		}
		if got := inputsOf(t, m, "3")["clip"]; !reflect.DeepEqual(got, link("1", 1)) {
			t.Errorf("clip %v", got)
		}
	})
	t.Run("muted lora removes its consumers' inputs", func(t *testing.T) {
		m := convertJSON(t, fmt.Sprintf(baseUI, 2, ""))
		if _, ok := m["2"]; ok {
			t.Errorf("muted node emitted")
		}
		if _, ok := inputsOf(t, m, "4")["model"]; ok {
			t.Errorf("input linked to a muted node kept")
		}
		if _, ok := inputsOf(t, m, "3")["clip"]; ok {
			t.Errorf("input linked to a muted node kept")
		}
	})
}

func TestConvertVirtualNodes(t *testing.T) {
	// Reroutes 7 -> 8 between Lora's MODEL and the sampler, a PrimitiveNode
	// 9 driving the sampler's steps, a Note.
	ui := strings.Replace(fmt.Sprintf(baseUI, 0, `,
	 {"id": 7, "type": "Reroute", "inputs": [{"name": "", "type": "*", "link": 3}], "outputs": [{"name": "", "type": "MODEL", "links": [7]}]},
	 {"id": 8, "type": "Reroute", "inputs": [{"name": "", "type": "*", "link": 7}], "outputs": [{"name": "", "type": "MODEL", "links": [8]}]},
	 {"id": 9, "type": "PrimitiveNode", "outputs": [{"name": "INT", "type": "INT", "links": [9], "widget": {"name": "steps"}}], "widgets_values": [25, "fixed"]},
	 {"id": 10, "type": "Note", "widgets_values": ["hello"]}`),
		`{"name": "model", "type": "MODEL", "link": 3}`, `{"name": "model", "type": "MODEL", "link": 8}, {"name": "steps", "type": "INT", "link": 9, "widget": {"name": "steps"}}`, 1)
	ui = strings.Replace(ui, `[6, 4, 0, 5, 0, "LATENT"]]`,
		`[6, 4, 0, 5, 0, "LATENT"], [7, 7, 0, 8, 0, "MODEL"], [8, 8, 0, 4, 0, "MODEL"], [9, 9, 0, 4, 2, "INT"]]`, 1)
	m := convertJSON(t, ui)
	if len(m) != 5 {
		t.Errorf("got %d API nodes, want 5 (virtual nodes dropped)", len(m))
	}
	got := inputsOf(t, m, "4")
	if !reflect.DeepEqual(got["model"], link("2", 0)) || got["steps"] != 25.0 {
		t.Errorf("sampler inputs %v", got)
	}
}

// subgraphUI wraps Enc in subgraph "sg" (instance 10); the instance takes
// the CLIP and a promoted "text" widget and gives CONDITIONING.
const subgraphUI = `{"version": 1, "nodes": [
 {"id": 1, "type": "Loader", "outputs": [{"name": "MODEL", "type": "MODEL", "links": [1]}, {"name": "CLIP", "type": "CLIP", "links": [2]}], "widgets_values": ["a.safetensors"]},
 {"id": 10, "type": "sg", "mode": %d, "inputs": [{"name": "clip", "type": "CLIP", "link": 2}, {"name": "text", "type": "STRING", "link": null, "widget": {"name": "text"}}],
  "outputs": [{"name": "CONDITIONING", "type": "CONDITIONING", "links": [3]}], "widgets_values": ["promoted"]},
 {"id": 4, "type": "Sampler", "inputs": [{"name": "model", "type": "MODEL", "link": 1}, {"name": "positive", "type": "CONDITIONING", "link": 3}], "widgets_values": [1, "fixed", 2]},
 {"id": 5, "type": "Save", "inputs": [{"name": "samples", "type": "LATENT", "link": 4}], "widgets_values": ["x"]}],
 "links": [{"id": 1, "origin_id": 1, "origin_slot": 0, "target_id": 4, "target_slot": 0, "type": "MODEL"},
  {"id": 2, "origin_id": 1, "origin_slot": 1, "target_id": 10, "target_slot": 0, "type": "CLIP"},
  {"id": 3, "origin_id": 10, "origin_slot": 0, "target_id": 4, "target_slot": 1, "type": "CONDITIONING"},
  {"id": 4, "origin_id": 4, "origin_slot": 0, "target_id": 5, "target_slot": 0, "type": "LATENT"}],
 "definitions": {"subgraphs": [%s]}}`

const encSubgraph = `{"id": "sg", "name": "Encode", "inputs": [{"name": "clip", "type": "CLIP"}, {"name": "text", "type": "STRING"}],
  "outputs": [{"name": "CONDITIONING", "type": "CONDITIONING"}],
  "nodes": [{"id": 1, "type": "Enc", "inputs": [{"name": "text", "type": "STRING", "link": 2, "widget": {"name": "text"}}, {"name": "clip", "type": "CLIP", "link": 1}],
   "outputs": [{"name": "CONDITIONING", "type": "CONDITIONING", "links": [3]}], "widgets_values": ["inner"]}],
  "links": [{"id": 1, "origin_id": -10, "origin_slot": 0, "target_id": 1, "target_slot": 1, "type": "CLIP"},
   {"id": 2, "origin_id": -10, "origin_slot": 1, "target_id": 1, "target_slot": 0, "type": "STRING"},
   {"id": 3, "origin_id": 1, "origin_slot": 0, "target_id": -20, "target_slot": 0, "type": "CONDITIONING"}]}`

// outerSubgraph wraps an instance (id 5) of "sg" in "outer", passing its
// two inputs and its output straight through.
const outerSubgraph = `{"id": "outer", "name": "Outer", "inputs": [{"name": "clip", "type": "CLIP"}, {"name": "text", "type": "STRING"}],
  "outputs": [{"name": "CONDITIONING", "type": "CONDITIONING"}],
  "nodes": [{"id": 5, "type": "sg", "inputs": [{"name": "clip", "type": "CLIP", "link": 1}, {"name": "text", "type": "STRING", "link": 2, "widget": {"name": "text"}}],
   "outputs": [{"name": "CONDITIONING", "type": "CONDITIONING", "links": [3]}]}],
  "links": [{"id": 1, "origin_id": -10, "origin_slot": 0, "target_id": 5, "target_slot": 0, "type": "CLIP"},
   {"id": 2, "origin_id": -10, "origin_slot": 1, "target_id": 5, "target_slot": 1, "type": "STRING"},
   {"id": 3, "origin_id": 5, "origin_slot": 0, "target_id": -20, "target_slot": 0, "type": "CONDITIONING"}]}`

func TestConvertSubgraphs(t *testing.T) {
	t.Run("flattened with promoted widget", func(t *testing.T) {
		m := convertJSON(t, fmt.Sprintf(subgraphUI, 0, encSubgraph))
		want := map[string]any{"text": "promoted", "clip": link("1", 1)}
		if got := inputsOf(t, m, "10:1"); !reflect.DeepEqual(got, want) {
			t.Errorf("inner node %v, want %v", got, want)
		}
		if got := inputsOf(t, m, "4")["positive"]; !reflect.DeepEqual(got, link("10:1", 0)) {
			t.Errorf("positive %v", got)
		}
		if _, ok := m["10"]; ok {
			t.Errorf("instance node emitted")
		}
	})
	t.Run("nested", func(t *testing.T) {
		ui := strings.Replace(fmt.Sprintf(subgraphUI, 0, encSubgraph+","+outerSubgraph), `"type": "sg", "mode"`, `"type": "outer", "mode"`, 1)
		m := convertJSON(t, ui)
		want := map[string]any{"text": "promoted", "clip": link("1", 1)}
		if got := inputsOf(t, m, "10:5:1"); !reflect.DeepEqual(got, want) {
			t.Errorf("nested inner node %v, want %v", got, want)
		}
		if got := inputsOf(t, m, "4")["positive"]; !reflect.DeepEqual(got, link("10:5:1", 0)) {
			t.Errorf("positive %v", got)
		}
	})
	t.Run("muted instance", func(t *testing.T) {
		m := convertJSON(t, fmt.Sprintf(subgraphUI, 2, encSubgraph))
		if _, ok := m["10:1"]; ok {
			t.Errorf("inner node of a muted instance emitted")
		}
		if _, ok := inputsOf(t, m, "4")["positive"]; ok {
			t.Errorf("link to a muted instance kept")
		}
	})
}

func TestConvertNamedWidgetValues(t *testing.T) {
	ui := `{"nodes": [{"id": 1, "type": "Save", "inputs": [], "widgets_values": {"filename_prefix": "named"}}], "links": []}`
	m := convertJSON(t, ui)
	if got := inputsOf(t, m, "1")["filename_prefix"]; got != "named" {
		t.Errorf("filename_prefix %v", got)
	}
}

func TestConvertErrors(t *testing.T) {
	deep := func(levels int) string {
		var defs []string
		for i := 0; i < levels; i++ {
			inner := ""
			if i+1 < levels {
				inner = fmt.Sprintf(`{"id": 1, "type": "d%d"}`, i+1)
			}
			defs = append(defs, fmt.Sprintf(`{"id": "d%d", "nodes": [%s], "links": []}`, i, inner))
		}
		return `{"nodes": [{"id": 1, "type": "d0"}], "links": [], "definitions": {"subgraphs": [` + strings.Join(defs, ",") + `]}}`
	}
	tests := []struct {
		name, ui, want string
	}{
		{"malformed", `{"nodes": [`, "invalid workflow"},
		{"not an object", `[1, 2]`, "invalid workflow"},
		{"no nodes", `{"links": []}`, "no \"nodes\""},
		{"node without id", `{"nodes": [{"type": "Save"}]}`, "missing id"},
		{"duplicate id", `{"nodes": [{"id": 1, "type": "Save"}, {"id": 1, "type": "Save"}]}`, "used twice"},
		{"missing link", `{"nodes": [{"id": 1, "type": "Save", "inputs": [{"name": "samples", "type": "LATENT", "link": 9}]}], "links": []}`, "link 9 does not exist"},
		{"link from missing node", `{"nodes": [{"id": 1, "type": "Save", "inputs": [{"name": "samples", "type": "LATENT", "link": 9}]}], "links": [[9, 7, 0, 1, 0, "LATENT"]]}`, "missing node 7"},
		{"bad link", `{"nodes": [], "links": [[9, "x"]]}`, "link 0"},
		{"circular reroutes", `{"nodes": [
			{"id": 1, "type": "Reroute", "inputs": [{"name": "", "type": "*", "link": 2}]},
			{"id": 2, "type": "Reroute", "inputs": [{"name": "", "type": "*", "link": 1}]},
			{"id": 3, "type": "Save", "inputs": [{"name": "samples", "type": "LATENT", "link": 3}]}],
			"links": [[1, 1, 0, 2, 0, "*"], [2, 2, 0, 1, 0, "*"], [3, 2, 0, 3, 0, "LATENT"]]}`, "circular"},
		{"subgraph containing itself", `{"nodes": [{"id": 1, "type": "s"}], "links": [], "definitions": {"subgraphs": [{"id": "s", "nodes": [{"id": 2, "type": "s"}], "links": []}]}}`, "contains itself"},
		{"nesting too deep", deep(MaxSubgraphDepth + 2), "nested deeper"},
		{"unknown type with widgets", `{"nodes": [{"id": 1, "type": "Custom", "widgets_values": [1]}], "links": []}`, "unknown node types"},
		{"legacy group node", `{"nodes": [{"id": 1, "type": "workflow>G"}], "links": []}`, "group nodes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ConvertUI([]byte(tc.ui), synthRegistry())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "graph: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
	var ute *UnknownNodeTypesError
	_, err := ConvertUI([]byte(tests[11].ui), nil)
	if !errors.As(err, &ute) || ute.Types[0] != "Custom" {
		t.Errorf("got %v, want *UnknownNodeTypesError", err)
	}
	if _, err := ConvertUI([]byte(deep(MaxSubgraphDepth-1)), nil); err != nil {
		t.Errorf("nesting within the limit: %v", err)
	}
}
