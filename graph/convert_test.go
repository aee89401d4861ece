package graph

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// apiShape is what the golden comparison looks at: class_type and inputs
// per node (key order and _meta do not matter).
func apiShape(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]struct {
		ClassType string         `json:"class_type"`
		Inputs    map[string]any `json:"inputs"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("invalid API JSON: %v\n%s", err, b)
	}
	out := map[string]any{}
	for id, n := range m {
		out[id] = map[string]any{"class_type": n.ClassType, "inputs": n.Inputs}
	}
	return out
}

// legacyUploadInputs are the LoadImage upload-button inputs that old
// frontends sent (workflows README); the converter must not emit them.
var legacyUploadInputs = []string{"choose file to upload", "upload"}

// definitionDrift lists inputs that a node type gained after a fixture was
// saved: today's frontend (and our converter, given today's /object_info)
// fills them with the widget default, which the old API file lacks. Current
// ComfyUI requires them, so emitting them is right.
var definitionDrift = map[string]map[string]map[string]any{
	"full/comfy_examples_inpaint": {"26": {"grow_mask_by": 6.0}},
}

func TestConvertWorkflowFixtures(t *testing.T) {
	files, err := filepath.Glob("../testdata/workflows/*.ui.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	registries := map[string]string{
		"full": "../testdata/protocol/object_info.json",
		"core": "../testdata/protocol/object_info_core.json",
	}
	for regName, path := range registries {
		reg := infoRegistry(t, path)
		for _, f := range files {
			stem := strings.TrimSuffix(filepath.Base(f), ".ui.json")
			t.Run(regName+"/"+stem, func(t *testing.T) {
				ui, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				want, err := os.ReadFile(strings.TrimSuffix(f, ".ui.json") + ".api.json")
				if err != nil {
					t.Fatal(err)
				}
				p, err := ConvertUI(ui, reg)
				if err != nil {
					t.Fatal(err)
				}
				got, err := json.Marshal(p)
				if err != nil {
					t.Fatal(err)
				}
				w := apiShape(t, want)
				for _, n := range w {
					inputs := n.(map[string]any)["inputs"].(map[string]any)
					for _, k := range legacyUploadInputs {
						delete(inputs, k)
					}
				}
				g := apiShape(t, got)
				for id, drift := range definitionDrift[regName+"/"+stem] {
					inputs := g[id].(map[string]any)["inputs"].(map[string]any)
					for k, v := range drift {
						if inputs[k] != v {
							t.Errorf("node %s: %s = %v, want the default %v", id, k, inputs[k], v)
						}
						delete(inputs, k)
					}
				}
				if !reflect.DeepEqual(g, w) {
					t.Errorf("conversion differs\n got %s\nwant %s", got, want)
				}
			})
		}
	}
}

func TestLoadDispatchesOnFormat(t *testing.T) {
	api, err := os.ReadFile("../testdata/workflows/comfyui_tests_default_graph_sdxl1_0.api.json")
	if err != nil {
		t.Fatal(err)
	}
	if !IsAPIFormat(api) {
		t.Fatalf("API fixture not recognised as API format")
	}
	p, err := Load(api, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(p)
	if g, w := apiShape(t, got), apiShape(t, api); !reflect.DeepEqual(g, w) {
		t.Errorf("API round trip differs\n got %s\nwant %s", got, api)
	}
	ui, _ := os.ReadFile("../testdata/workflows/default_graph.ui.json")
	if IsAPIFormat(ui) {
		t.Errorf("UI fixture recognised as API format")
	}
}
