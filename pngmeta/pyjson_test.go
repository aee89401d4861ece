package pngmeta

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPythonJSON(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"separators", `{"a":1,"b":[1,2,{"c":null}],"d":true,"e":false}`,
			`{"a": 1, "b": [1, 2, {"c": null}], "d": true, "e": false}`},
		{"key order kept", `{"z":1,"a":2,"m":3}`, `{"z": 1, "a": 2, "m": 3}`},
		{"numbers", `[1E3, -0, 1e400, -0.0, 12345678901234567890, 8.0, 8.50]`,
			`[1000.0, 0, Infinity, -0.0, 12345678901234567890, 8.0, 8.5]`},
		{"escapes", `{"a":"é😀\u007f\u0001\u2028</>\\\"\t\n\r\b\f"}`,
			`{"a": "\u00e9\ud83d\ude00\u007f\u0001\u2028</>\\\"\t\n\r\b\f"}`},
		{"empty containers", `{"a":{},"b":[]}`, `{"a": {}, "b": []}`},
		{"scalar", `"x"`, `"x"`},
		{"whitespace", " \n{ \"a\" :\t[ ] }\n", `{"a": []}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := PythonJSON([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestPythonJSONErrors(t *testing.T) {
	for _, in := range []string{``, `{`, `{"a":}`, `[1,]`, `{"a":1} x`, `{"a" 1}`, `nul`} {
		if _, err := PythonJSON([]byte(in)); err == nil {
			t.Errorf("PythonJSON(%q): no error", in)
		}
	}
}

// TestPythonJSONMatchesComfyUI checks the formatter against the prompt
// chunks ComfyUI wrote into the tiny-sdxl case PNGs: re-serializing the
// indented case.api.json must give the chunk byte for byte, and every chunk
// of every fixture PNG must be a fixed point.
func TestPythonJSONMatchesComfyUI(t *testing.T) {
	pngs, _ := filepath.Glob("../testdata/tiny-sdxl/cases/*/*.png")
	pngs = append(pngs, "../testdata/workflows/comfy_examples_img2img.png")
	if len(pngs) < 5 {
		t.Fatalf("found only %d fixture pngs", len(pngs))
	}
	for _, p := range pngs {
		t.Run(filepath.Base(p), func(t *testing.T) {
			m := readFileMap(t, p)
			for k, text := range m {
				got, err := PythonJSON([]byte(text))
				if err != nil {
					t.Fatalf("%s: %v", k, err)
				}
				if !bytes.Equal(got, []byte(text)) {
					t.Errorf("%s chunk is not a fixed point:\n got %.200s\nwant %.200s", k, got, text)
				}
			}
			api, err := os.ReadFile(filepath.Join(filepath.Dir(p), "case.api.json"))
			if err != nil {
				return // the img2img png has no indented twin
			}
			if strings.Contains(m["prompt"], `"is_changed": [`) {
				// ComfyUI's executor adds the IS_CHANGED result of file
				// loaders to the prompt it hands SaveImage, so the chunk
				// is not the posted prompt.
				return
			}
			got, err := PythonJSON(api)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != m["prompt"] {
				t.Errorf("case.api.json reformatted != prompt chunk:\n got %.300s\nwant %.300s", got, m["prompt"])
			}
		})
	}
}

func readFileMap(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := ReadMap(f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPythonJSONSemanticsKept(t *testing.T) {
	in := `{"3":{"inputs":{"seed":280823642470253,"cfg":8.0,"denoise":0.8700000000000001,"text":"a\u00e9"}}}`
	out, err := PythonJSON([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal([]byte(in), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &b); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Errorf("value changed: %s vs %s", ja, jb)
	}
}
