package main

import (
	"encoding/json"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sumi/internal/testutil"
)

// The issue-8 acceptance tests at the command level: every ComfyUI fixture
// case runs through `sumi run` (and the pipeline cases through `sumi
// serve`) against a temp base directory holding the tiny checkpoint, the
// fixture LoRA and inputs. Latents are compared in nodes/modelnodes; here
// the saved PNGs must equal ComfyUI's within one level per channel, with
// under 2% of pixels off by one.

const (
	tinyFixtures = "../../testdata/tiny-sdxl/"
	casesDir     = tinyFixtures + "cases/"
)

type sumiCase struct {
	Name   string `json:"name"`
	Dir    string `json:"dir"`
	Images []struct {
		File string `json:"file"`
	} `json:"images"`
}

func sumiCases(t *testing.T) []sumiCase {
	t.Helper()
	raw, err := os.ReadFile(casesDir + "cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var idx struct {
		Cases []sumiCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &idx); err != nil || len(idx.Cases) == 0 {
		t.Fatalf("cases.json: %v (%d cases)", err, len(idx.Cases))
	}
	return idx.Cases
}

// tinyBase makes a base directory: models/checkpoints and models/loras link
// to the fixtures, input/ holds copies of the fixture inputs.
func tinyBase(t *testing.T) string {
	t.Helper()
	base := t.TempDir()
	testutil.Symlink(t, tinyFixtures+"tiny-sdxl-A.safetensors", filepath.Join(base, "models", "checkpoints", "tiny-sdxl-A.safetensors"))
	testutil.Symlink(t, casesDir+"loras/tiny-lora-A.safetensors", filepath.Join(base, "models", "loras", "tiny-lora-A.safetensors"))
	entries, err := os.ReadDir(casesDir + "input")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(base, "input"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(casesDir + "input/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(base, "input", e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return base
}

// caseFile is what `sumi run` gets for a case: its API prompt. (The
// extra_pnginfo case's workflow is a placeholder with no nodes, and `sumi
// run` has no way to pass extra_data with an API prompt, so that case's
// workflow chunk is checked in the serve test and in nodes/modelnodes.)
func caseFile(c sumiCase) string { return casesDir + c.Dir + "case.api.json" }

func TestRunComfyUICases(t *testing.T) {
	base := tinyBase(t)
	for _, c := range sumiCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			code, stdout, stderr := sumi(t, "run", "--quiet", "--base-directory", base, caseFile(c))
			if code != 0 {
				t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
			}
			saved := strings.Fields(stdout)
			if len(saved) != len(c.Images) {
				t.Fatalf("saved %q, want %d images", saved, len(c.Images))
			}
			for i, img := range c.Images {
				if filepath.Base(saved[i]) != img.File {
					t.Errorf("saved %s, want %s", saved[i], img.File)
				}
				comparePixels(t, testutil.DecodePNG(t, saved[i]), testutil.DecodePNG(t, casesDir+c.Dir+img.File))
			}
		})
	}
}

// comparePixels allows a difference of one level on under 2% of pixels.
func comparePixels(t *testing.T, got, want image.Image) {
	t.Helper()
	worst, frac := testutil.PixelDiff(t, got, want)
	if worst > 1 || frac >= 0.02 {
		t.Errorf("pixels differ by up to %d levels on %.2f%% of pixels (allowed: 1 level, < 2%%)", worst, 100*frac)
	}
}
