package modelnodes

import (
	"os"
	"path/filepath"
	"testing"

	"sumi/internal/testutil"
	"sumi/nodes"
)

// TestObjectInfoMatchesComfyUI compares every spec's /object_info entry
// with ComfyUI's recording (empty model and input folders, ComfyUI's
// shipped configs/*.yaml).
func TestObjectInfoMatchesComfyUI(t *testing.T) {
	recorded := testutil.ObjectInfo(t, "../../testdata/protocol/object_info.json")
	f := testutil.Folders(t, t.TempDir())
	// The recording's config choices are ComfyUI's bundled yaml files.
	configs := recorded["CheckpointLoader"].(map[string]any)["input"].(map[string]any)["required"].(map[string]any)["config_name"].([]any)[0].([]any)
	dir := filepath.Join(f.ModelsDir(), "configs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range configs {
		if err := os.WriteFile(filepath.Join(dir, c.(string)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	reg := nodes.NewRegistry()
	Register(reg, Env{Folders: f})
	if n := len(reg.List()); n != 19 {
		t.Errorf("%d model nodes, want the 19 of the issue", n)
	}
	for _, s := range reg.List() {
		t.Run(s.Name, func(t *testing.T) {
			want, ok := recorded[s.Name]
			if !ok {
				t.Fatalf("%s not in the recording", s.Name)
			}
			if s.Name == "LoraLoaderModelOnly" {
				// ComfyUI inherits LoraLoader's two output tooltips for its
				// one output; nodes.Spec derives one tooltip per output.
				want.(map[string]any)["output_tooltips"] = []any{"The modified diffusion model."}
			}
			testutil.ExpectInfo(t, s.Info(), want)
		})
	}
}
