package tokenizer

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
)

// referencePath holds prompts full of Unicode and syntax edge cases with the
// output of testdata/clipref.py, a Python re-implementation of the slow
// CLIPTokenizer path and ComfyUI's front end that reproduces every ComfyUI
// golden. It runs on Python 3.11's unicodedata and the regex module, so it
// checks the Unicode-sensitive steps (categories, NFC, str.lower, str.split,
// \p{L}/\p{N}) against Python itself. See testdata/README.md.
const referencePath = "testdata/reference.json"

type referenceCase struct {
	Prompt string        `json:"prompt"`
	Encode []int         `json:"encode"`
	L      EncoderLayout `json:"l"`
	G      EncoderLayout `json:"g"`
}

// TestReference compares Encode and SDXL with the Python reference. Set
// SUMI_TOKENIZER_REF to a larger file made by testdata/clipref.py to run more.
func TestReference(t *testing.T) {
	path := referencePath
	if p := os.Getenv("SUMI_TOKENIZER_REF"); p != "" {
		path = p
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cases []referenceCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no reference cases")
	}
	tok := New()
	for i, rc := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			if got := tok.Encode(rc.Prompt); !equalInts(got, rc.Encode) {
				t.Fatalf("Encode(%q) = %v, want %v", rc.Prompt, got, rc.Encode)
			}
			got, err := tok.SDXL(rc.Prompt, Options{Warn: func(string) {}})
			if err != nil {
				t.Fatalf("%q: %v", rc.Prompt, err)
			}
			lay := got.Layout()
			compareLayout(t, "l", rc.Prompt, lay.L, rc.L)
			compareLayout(t, "g", rc.Prompt, lay.G, rc.G)
		})
	}
}
