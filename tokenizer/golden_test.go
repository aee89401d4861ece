package tokenizer

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
)

const goldenPath = "../testdata/tiny-sdxl/goldens/tokenizer.json"

type goldenCase struct {
	Prompt string        `json:"prompt"`
	L      EncoderLayout `json:"l"`
	G      EncoderLayout `json:"g"`
}

func loadGoldens(t testing.TB) []goldenCase {
	t.Helper()
	data, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []goldenCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) == 0 {
		t.Fatal("no golden cases")
	}
	return file.Cases
}

// TestGoldens checks every prompt of ComfyUI's tokenizer goldens: ids and
// weights must be identical (weights compared exactly, tolerance 0).
func TestGoldens(t *testing.T) {
	tok := New()
	for i, gc := range loadGoldens(t) {
		t.Run(fmt.Sprintf("%02d", i), func(t *testing.T) {
			got, err := tok.SDXL(gc.Prompt, Options{Warn: func(string) {}})
			if err != nil {
				t.Fatalf("prompt %q: %v", gc.Prompt, err)
			}
			lay := got.Layout()
			compareLayout(t, "l", gc.Prompt, lay.L, gc.L)
			compareLayout(t, "g", gc.Prompt, lay.G, gc.G)
		})
	}
}

func compareLayout(t *testing.T, enc, prompt string, got, want EncoderLayout) {
	t.Helper()
	if len(got.IDs) != len(want.IDs) || len(got.Weights) != len(want.Weights) {
		t.Fatalf("%s %q: %d chunks, want %d", enc, prompt, len(got.IDs), len(want.IDs))
	}
	for c := range want.IDs {
		if len(got.IDs[c]) != len(want.IDs[c]) {
			t.Fatalf("%s %q chunk %d: %d ids, want %d", enc, prompt, c, len(got.IDs[c]), len(want.IDs[c]))
		}
		for j := range want.IDs[c] {
			if got.IDs[c][j] != want.IDs[c][j] {
				t.Fatalf("%s %q chunk %d pos %d: id %d, want %d\n got %v\nwant %v",
					enc, prompt, c, j, got.IDs[c][j], want.IDs[c][j], got.IDs[c], want.IDs[c])
			}
			if got.Weights[c][j] != want.Weights[c][j] {
				t.Fatalf("%s %q chunk %d pos %d: weight %v, want %v", enc, prompt, c, j, got.Weights[c][j], want.Weights[c][j])
			}
		}
	}
}
