package builtin

import (
	"os"
	"path/filepath"
	"testing"

	"sumi/internal/testutil"
	"sumi/nodes"
)

// testEnv returns an Env over a fresh base directory with the folders made.
func testEnv(t *testing.T) Env {
	t.Helper()
	f := testutil.Folders(t, t.TempDir())
	return Env{Folders: f}
}

// TestObjectInfoMatchesComfyUI compares every spec's /object_info entry
// with the one recorded from ComfyUI (whose input folder held example.png).
func TestObjectInfoMatchesComfyUI(t *testing.T) {
	recorded := testutil.ObjectInfo(t, "../../testdata/protocol/object_info.json")
	env := testEnv(t)
	if err := os.WriteFile(filepath.Join(env.Folders.Input(), "example.png"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	reg := nodes.NewRegistry()
	Register(reg, env)
	for _, s := range reg.List() {
		t.Run(s.Name, func(t *testing.T) {
			want, ok := recorded[s.Name]
			if !ok {
				t.Fatalf("%s not in the recording", s.Name)
			}
			testutil.ExpectInfo(t, s.Info(), want)
		})
	}
}
