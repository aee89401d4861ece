package modelnodes

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"sumi/internal/testutil"
)

// fixtureCase is one entry of cases.json.
type fixtureCase struct {
	Name         string `json:"name"`
	Dir          string `json:"dir"`
	SamplerNodes map[string]struct {
		LatentShape []int `json:"latent_shape"`
	} `json:"sampler_nodes"`
	HistoryOutputs map[string]struct {
		Images []struct {
			Filename  string `json:"filename"`
			Subfolder string `json:"subfolder"`
			Type      string `json:"type"`
		} `json:"images"`
	} `json:"history_outputs"`
	Images []struct {
		File       string   `json:"file"`
		Node       string   `json:"node"`
		TextChunks []string `json:"text_chunks"`
	} `json:"images"`
}

func loadCases(t testing.TB) []fixtureCase {
	t.Helper()
	raw, err := os.ReadFile(casesDir + "cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var idx struct {
		Cases []fixtureCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &idx); err != nil {
		t.Fatal(err)
	}
	if len(idx.Cases) == 0 {
		t.Fatal("no cases")
	}
	return idx.Cases
}

// TestComfyUICases runs every fixture case through validation and the
// executor (the path `sumi run` and the server take) and compares the
// sampler latents (relative 1e-4), the PNG pixels (no difference above one
// level, under 2% of pixels off by one) and the PNG text chunks (exact).
func TestComfyUICases(t *testing.T) {
	f := baseDir(t)
	reg, rec := newRegistry(t, f, sharedCache())
	for _, c := range loadCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			dir := casesDir + c.Dir
			prompt, err := os.ReadFile(dir + "case.api.json")
			if err != nil {
				t.Fatal(err)
			}
			var extra json.RawMessage
			if raw, err := os.ReadFile(dir + "case.extra_data.json"); err == nil {
				var ed struct {
					ExtraPNGInfo json.RawMessage `json:"extra_pnginfo"`
				}
				if err := json.Unmarshal(raw, &ed); err != nil {
					t.Fatal(err)
				}
				extra = ed.ExtraPNGInfo
			}
			res, err := runPrompt(t, reg, prompt, extra)
			if err != nil {
				t.Fatal(err)
			}
			want := testutil.ReadTensors(t, dir+"latents.safetensors")
			for id := range c.SamplerNodes {
				got := rec.latents[id]
				if got == nil || !got.SameShape(want[id]) {
					t.Fatalf("node %s latent %v, want %v", id, got, want[id].Shape)
				}
				e := relErr(got, want[id])
				t.Logf("node %s: latent relative error %.3g", id, e)
				if e > latentTol {
					t.Errorf("node %s: latent relative error %.3g > %g", id, e, latentTol)
				}
			}
			for node, h := range c.HistoryOutputs {
				ui := res.Outputs[node]
				b, _ := json.Marshal(ui["images"])
				w, _ := json.Marshal(h.Images)
				if string(b) != string(w) {
					t.Errorf("node %s images %s, want %s", node, b, w)
				}
			}
			for _, img := range c.Images {
				got := filepath.Join(f.Output(), "e2e", img.File)
				maxDiff, frac := pixelDiff(t, got, dir+img.File)
				t.Logf("%s: max pixel diff %d, %.2f%% of pixels differ", img.File, maxDiff, 100*frac)
				if maxDiff > 1 || frac >= 0.02 {
					t.Errorf("%s: max pixel diff %d, %.2f%% differ (allowed: 1 level, < 2%%)", img.File, maxDiff, 100*frac)
				}
				gotText, wantText := textChunks(t, got), textChunks(t, dir+img.File)
				if len(gotText) != len(wantText) {
					t.Errorf("%s: text chunks %d, want %d", img.File, len(gotText), len(wantText))
				}
				for k, v := range wantText {
					if gotText[k] != v {
						t.Errorf("%s: chunk %q differs from ComfyUI's:\n got  %.400s\n want %.400s", img.File, k, gotText[k], v)
					}
				}
			}
		})
	}
}
