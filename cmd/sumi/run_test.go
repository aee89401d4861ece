package main

import (
	"bytes"
	"encoding/json"
	"image/color"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sumi/internal/testutil"
	"sumi/pngmeta"
)

const invertUI = "testdata/invert.ui.json"

// sumi runs the CLI in-process and returns the exit code, stdout and stderr.
func sumi(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := dispatch(args, &out, &errb)
	return code, out.String(), errb.String()
}

// apiNodes reduces a prompt JSON to class_type + inputs per node, the part
// that must survive every conversion (_meta and key order do not matter).
func apiNodes(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("not a prompt: %v\n%s", err, s)
	}
	out := map[string]any{}
	for id, n := range m {
		out[id] = map[string]any{"class_type": n["class_type"], "inputs": n["inputs"]}
	}
	return out
}

// TestRunInvertRoundTrip is the acceptance test: the UI workflow
// EmptyImage -> ImageInvert -> SaveImage runs through `sumi run`, writes
// PNGs with inverted pixels, and their prompt and workflow chunks convert
// back to the API prompt of the original workflow.
func TestRunInvertRoundTrip(t *testing.T) {
	base := t.TempDir()
	code, stdout, stderr := sumi(t, "run", "--base-directory", base, invertUI)
	if code != 0 {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	paths := strings.Fields(stdout)
	dir := filepath.Join(base, "output", "invert")
	want := []string{filepath.Join(dir, "64x48_64_00001_.png"), filepath.Join(dir, "64x48_64_00002_.png")}
	if !reflect.DeepEqual(paths, want) {
		t.Fatalf("saved %q, want %q", paths, want)
	}
	if !strings.Contains(stderr, "ImageInvert") {
		t.Errorf("no progress on stderr: %q", stderr)
	}
	checkInvertedRed(t, paths[0], 64, 48)

	_, fromUI, _ := sumi(t, "convert", invertUI)
	code, fromWorkflow, errs := sumi(t, "convert", paths[1])
	if code != 0 {
		t.Fatalf("convert png: %s", errs)
	}
	_, fromPrompt, _ := sumi(t, "convert", "--from", "prompt", paths[1])
	_, fromWorkflowFlag, _ := sumi(t, "convert", "--from", "workflow", paths[1])
	orig := apiNodes(t, fromUI)
	for name, got := range map[string]string{"auto": fromWorkflow, "prompt": fromPrompt, "workflow": fromWorkflowFlag} {
		if g := apiNodes(t, got); !reflect.DeepEqual(g, orig) {
			t.Errorf("png %s chunk converts to\n%v\nwant\n%v", name, g, orig)
		}
	}
	checkWorkflowChunk(t, paths[0])
}

func checkInvertedRed(t *testing.T, path string, w, h int) {
	t.Helper()
	img := testutil.DecodePNG(t, path)
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Fatalf("size %v, want %dx%d", b, w, h)
	}
	// 0xFF0000 inverted is cyan.
	if c := color.NRGBAModel.Convert(img.At(w-1, h-1)); c != (color.NRGBA{0, 255, 255, 255}) {
		t.Errorf("pixel %v, want cyan", c)
	}
}

// checkWorkflowChunk makes sure the workflow chunk is the UI file itself
// (as the editor's extra_pnginfo) and the prompt chunk is Python-style JSON.
func checkWorkflowChunk(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := pngmeta.ReadText(bytes.NewReader(data))
	if err != nil || len(chunks) != 2 || chunks[0].Keyword != "prompt" || chunks[1].Keyword != "workflow" {
		t.Fatalf("chunks %q, %v", chunks, err)
	}
	orig, _ := os.ReadFile(invertUI)
	var a, b any
	json.Unmarshal(orig, &a)
	if err := json.Unmarshal([]byte(chunks[1].Text), &b); err != nil || !reflect.DeepEqual(a, b) {
		t.Errorf("workflow chunk differs from %s (%v)", invertUI, err)
	}
	if !strings.Contains(chunks[1].Text, `\u00e9`) || !strings.HasPrefix(chunks[0].Text, `{"1": {"inputs": {"width": 64, `) {
		t.Errorf("chunks are not json.dumps style: %.80s / %.80s", chunks[0].Text, chunks[1].Text)
	}
}

func TestRunSetAndAPIInput(t *testing.T) {
	base := t.TempDir()
	_, api, _ := sumi(t, "convert", "--compact", invertUI)
	apiFile := filepath.Join(t.TempDir(), "invert.api.json")
	if err := os.WriteFile(apiFile, []byte(api), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := sumi(t, "run", "--base-directory", base, "--quiet",
		"--set", "1.color=0", "--set", "1.width=8", "--set", `1.batch_size="1"`,
		apiFile, "--set", `3.filename_prefix="api/x"`)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	want := filepath.Join(base, "output", "api", "x_00001_.png")
	if strings.TrimSpace(stdout) != want {
		t.Fatalf("stdout %q, want %q", stdout, want)
	}
	if stderr != "" {
		t.Errorf("--quiet printed %q", stderr)
	}
	// The JSON string "1" is coerced to the INT 1 by validation, as in ComfyUI.
	data, _ := os.ReadFile(want)
	m, _ := pngmeta.ReadMap(bytes.NewReader(data))
	if _, ok := m["workflow"]; ok {
		t.Errorf("API input must not produce a workflow chunk")
	}
	if !strings.Contains(m["prompt"], `"width": 8, "height": 48, "batch_size": 1, "color": 0}`) {
		t.Errorf("--set not applied: %s", m["prompt"])
	}
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		jsonHas  string // substring of the JSON on stdout
		stderrIn string
	}{
		{"validation", []string{"--set", "1.width=0"}, 1, `"type":"prompt_outputs_failed_validation"`, "sumi:"},
		{"execution", []string{"--set", "3.filename_prefix=../escape"}, 1, `"type":"execution_error"`, "outside the output folder"},
		{"unknown node", []string{"--set", "99.width=1"}, 1, "", "no node"},
		{"bad set", []string{"--set", "nodot=1"}, 1, "", "NODE_ID.INPUT"},
		{"missing file", []string{"testdata/nope.json"}, 1, "", "nope.json"},
		{"no file", []string{"--quiet"}, 2, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"run", "--base-directory", t.TempDir(), "--quiet"}, tc.args...)
			if tc.name != "missing file" && tc.name != "no file" {
				args = append(args, invertUI)
			}
			code, stdout, stderr := sumi(t, args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %s)", code, tc.code, stderr)
			}
			if tc.jsonHas != "" {
				if !json.Valid([]byte(stdout)) || !strings.Contains(stdout, tc.jsonHas) {
					t.Errorf("stdout %q lacks %s", stdout, tc.jsonHas)
				}
			}
			if !strings.Contains(stderr, tc.stderrIn) {
				t.Errorf("stderr %q lacks %q", stderr, tc.stderrIn)
			}
		})
	}
}

func TestConvertInputs(t *testing.T) {
	tests := []struct {
		file    string
		args    []string
		code    int
		wantKey string
	}{
		{"../../testdata/workflows/comfy_examples_img2img.png", nil, 0, `"class_type": "KSampler"`},
		{"../../testdata/workflows/comfy_examples_img2img.png", []string{"--from", "prompt"}, 0, `"class_type": "KSampler"`},
		{"../../testdata/workflows/default_graph.api.json", nil, 0, `"class_type": "CheckpointLoaderSimple"`},
		{"../../testdata/workflows/default_graph.ui.json", []string{"--compact"}, 0, `"class_type":"CheckpointLoaderSimple"`},
		{"../../testdata/tiny-sdxl/cases/batch2/batch2_00001_.png", []string{"--from", "workflow"}, 1, ""},
		{"testdata/invert.ui.json", []string{"--from", "bogus"}, 1, ""},
		{"testdata/missing.json", nil, 1, ""},
	}
	for _, tc := range tests {
		args := append(append([]string{"convert"}, tc.args...), tc.file)
		code, stdout, stderr := sumi(t, args...)
		if code != tc.code || !strings.Contains(stdout, tc.wantKey) {
			t.Errorf("%v: exit %d (want %d), stdout %.100q, stderr %q", args, code, tc.code, stdout, stderr)
		}
	}
}
