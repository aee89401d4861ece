package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// fuzzSeeds are small workflows covering the converter's paths.
var fuzzSeeds = []string{
	fmt.Sprintf(baseUI, 0, ""),
	fmt.Sprintf(baseUI, 4, ""),
	fmt.Sprintf(baseUI, 2, ""),
	fmt.Sprintf(subgraphUI, 0, encSubgraph),
	fmt.Sprintf(subgraphUI, 4, encSubgraph+","+outerSubgraph),
	`{"nodes": [{"id": 1, "type": "Reroute", "inputs": [{"name": "", "type": "*", "link": 1}]}], "links": [[1, 1, 0, 1, 0, "*"]]}`,
	`{"nodes": [{"id": "a", "type": "Save", "widgets_values": {"filename_prefix": 3}}], "links": [null]}`,
	`{"nodes": [], "links": [], "version": 1}`,
	`{}`, `[]`, `null`, ``,
}

// FuzzConvertUI checks that arbitrary input never panics, and that any
// prompt it produces serialises, parses back and validates without panic.
func FuzzConvertUI(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	files, _ := filepath.Glob("../testdata/workflows/*.ui.json")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	reg := synthRegistry()
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ConvertUI(data, reg)
		if err != nil {
			return
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("converted prompt does not serialise: %v", err)
		}
		q, err := ParsePrompt(b)
		if err != nil {
			t.Fatalf("converted prompt does not parse back: %v\n%s", err, b)
		}
		if len(q.Order) != len(p.Order) {
			t.Fatalf("round trip changed the node count: %d -> %d", len(p.Order), len(q.Order))
		}
		if res, err := Validate(q, reg, nil); err == nil {
			if _, err := ExecutionOrder(res.Prompt, reg, res.Outputs, nil); err != nil {
				t.Fatalf("validated prompt cannot be ordered: %v", err)
			}
		}
	})
}

// FuzzParsePrompt checks the API prompt path: parse, validate, order.
func FuzzParsePrompt(f *testing.F) {
	for _, s := range []string{
		out(`{"image": ["1", 0], "n": 3}`), out(`{"image": ["1", 0, 1], "n": "x"}`),
		`{"1": {"class_type": "Out", "inputs": {"image": ["1", 0], "n": 1}}}`,
		`{"1": {"class_type": 5}}`, `{"1": []}`, `{"1": {"class_type": "Out", "inputs": []}}`, `{}`,
		out(`{"image": ["1", -2], "n": "7", "f": 1, "b": 0, "s": 12.5, "seed": 1e3}`),
		`{"1": {"class_type": "Src", "inputs": {}, "is_changed": ["h"], "class_type": "Src"}, "2": {"inputs": {"image": ["1", true], "n": 2.0}, "class_type": "Out", "x": 1}}`,
	} {
		f.Add([]byte(s))
	}
	reg := tableRegistry()
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePrompt(data)
		if err != nil {
			return
		}
		first := reserialise(t, p, "parsed")
		if again := reserialise(t, mustParse(t, first), "re-parsed"); string(again) != string(first) {
			t.Fatalf("written prompt does not read back the same:\n%s\n%s", first, again)
		}
		res, err := Validate(p, reg, nil)
		if err != nil {
			if _, merr := json.Marshal(err); merr != nil {
				t.Fatalf("error does not serialise: %v", merr)
			}
			return
		}
		if _, err := ExecutionOrder(res.Prompt, reg, res.Outputs, nil); err != nil {
			t.Fatalf("validated prompt cannot be ordered: %v", err)
		}
		// The server stores the validated prompt as JSON and its runner
		// validates that again; the result must be the same prompt, as
		// SaveImage writes it into PNGs.
		first = reserialise(t, res.Prompt, "validated")
		q := mustParse(t, first)
		if _, err := Validate(q, reg, nil); err != nil {
			if !bytes.Contains(first, []byte("null")) { // NaN is written as null and fails again
				t.Fatalf("validated prompt fails validation again: %v\n%s", err, first)
			}
			return
		}
		if again := reserialise(t, q, "re-validated"); string(again) != string(first) {
			t.Fatalf("validating twice changes the prompt:\n%s\n%s", first, again)
		}
	})
}

func reserialise(t *testing.T, p *Prompt, what string) []byte {
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("%s prompt does not serialise: %v", what, err)
	}
	return b
}

func mustParse(t *testing.T, b []byte) *Prompt {
	p, err := ParsePrompt(b)
	if err != nil {
		t.Fatalf("written prompt does not parse: %v\n%s", err, b)
	}
	return p
}
