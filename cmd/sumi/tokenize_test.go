package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

type tokenizeLayout struct {
	IDs     [][]int     `json:"ids"`
	Weights [][]float64 `json:"weights"`
}

type tokenizeGolden struct {
	Prompt string         `json:"prompt"`
	L      tokenizeLayout `json:"l"`
	G      tokenizeLayout `json:"g"`
}

func loadTokenizeGoldens(t *testing.T) []tokenizeGolden {
	t.Helper()
	data, err := os.ReadFile("../../testdata/tiny-sdxl/goldens/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []tokenizeGolden `json:"cases"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) == 0 {
		t.Fatal("no golden cases")
	}
	return file.Cases
}

// TestTokenizeJSON checks that `sumi tokenize --json PROMPT` prints exactly
// the golden layout (ids and weights equal, tolerance 0) for every golden
// prompt, with the flag before or after the prompt.
func TestTokenizeJSON(t *testing.T) {
	for i, gc := range loadTokenizeGoldens(t) {
		args := []string{"tokenize", "--json", gc.Prompt}
		if i%2 == 1 {
			args = []string{"tokenize", gc.Prompt, "--json"}
		}
		var stdout, stderr bytes.Buffer
		if code := dispatch(args, &stdout, &stderr); code != 0 {
			t.Fatalf("%q: exit %d: %s", gc.Prompt, code, stderr.String())
		}
		var got struct {
			L tokenizeLayout `json:"l"`
			G tokenizeLayout `json:"g"`
		}
		if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
			t.Fatalf("%q: %v\n%s", gc.Prompt, err, stdout.String())
		}
		if a, b := fmt.Sprint(got.L, got.G), fmt.Sprint(gc.L, gc.G); a != b {
			t.Fatalf("%q:\n got %s\nwant %s", gc.Prompt, a, b)
		}
		checkPythonFloats(t, stdout.String())
	}
}

// checkPythonFloats asserts that every weight is written as Python writes
// floats (1.0, not 1), as in ComfyUI's JSON.
func checkPythonFloats(t *testing.T, out string) {
	t.Helper()
	parts := strings.Split(out, `"weights":`)
	if len(parts) != 3 {
		t.Fatalf("want two weights tables in %s", out)
	}
	for _, p := range parts[1:] {
		table := p[:strings.Index(p, "]]")]
		for _, num := range strings.FieldsFunc(table, func(r rune) bool { return r == '[' || r == ']' || r == ',' }) {
			if !strings.Contains(num, ".") {
				t.Fatalf("weight %q is not written as a Python float", num)
			}
		}
	}
}

func TestTokenizeText(t *testing.T) {
	var long string
	for _, gc := range loadTokenizeGoldens(t) {
		if len(gc.L.IDs) == 2 {
			long = gc.Prompt
		}
	}
	if long == "" {
		t.Fatal("no two-chunk golden prompt")
	}
	var stdout, stderr bytes.Buffer
	if code := dispatch([]string{"tokenize", "(masterpiece:1.2), " + long}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"chunk 1: 75/75 tokens", "chunk 2:", "(masterpiece:1.2)", "g (CLIP-G, padded with 0): same tokens as l"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestTokenizeErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"tokenize"}, 2, "usage"},
		{[]string{"tokenize", "--bogus", "x"}, 2, "unknown flag --bogus"},
		{[]string{"tokenize", strings.Repeat("(", 1000) + "x" + strings.Repeat(")", 1000)}, 1, "nested too deeply"},
		{[]string{"tokenize", "embedding:missing x"}, 0, "embedding:missing x does not exist"},
	}
	for _, tc := range tests {
		var stdout, stderr bytes.Buffer
		if code := dispatch(tc.args, &stdout, &stderr); code != tc.code || !strings.Contains(stderr.String(), tc.err) {
			t.Errorf("%.40q: exit %d, stderr %q; want exit %d with %q", tc.args, code, stderr.String(), tc.code, tc.err)
		}
	}
}
