package graph

import (
	"encoding/json"
	"math"
	"testing"
)

// A prompt written back must be what Python's json.dumps writes for the
// dict json.loads read: members in their posted order (a repeated key
// keeps its first place and its last value), unknown members kept.
func TestMarshalKeepsNodeMembers(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"class_type first",
			`{"1": {"class_type": "A", "inputs": {"x": 1}}}`,
			`{"1":{"class_type":"A","inputs":{"x":1}}}`},
		{"frontend order with meta",
			`{"1": {"inputs": {}, "class_type": "A", "_meta": {"title": "t"}}}`,
			`{"1":{"inputs":{},"class_type":"A","_meta":{"title":"t"}}}`},
		{"unknown members kept in place",
			`{"1": {"class_type": "A", "is_changed": ["h"], "inputs": {}, "x": {"y": [1, 2.50]}}}`,
			`{"1":{"class_type":"A","is_changed":["h"],"inputs":{},"x":{"y":[1,2.50]}}}`},
		{"unknown member first",
			`{"1": {"x": 1, "inputs": {}, "class_type": "A"}}`,
			`{"1":{"x":1,"inputs":{},"class_type":"A"}}`},
		{"repeated key: first place, last value",
			`{"1": {"class_type": "A", "inputs": {"a": 1}, "class_type": "B", "k": 1, "k": 2}}`,
			`{"1":{"class_type":"B","inputs":{"a":1},"k":2}}`},
		{"no inputs member stays without",
			`{"1": {"class_type": "A"}}`,
			`{"1":{"class_type":"A"}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePrompt([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestSetExtra(t *testing.T) {
	// A node built in code: inputs, class_type, _meta, then new members.
	n := &Node{ID: "1", ClassType: "A", Meta: json.RawMessage(`{"title":"t"}`)}
	n.SetInput("x", int64(2))
	n.SetExtra("is_changed", json.RawMessage(`["h"]`))
	n.SetExtra("class_type", json.RawMessage(`"ignored"`))
	p := &Prompt{}
	p.Add(n)
	q := p.Clone()
	q.Nodes["1"].SetExtra("is_changed", json.RawMessage(`["other"]`))
	q.Nodes["1"].SetExtra("z", json.RawMessage(`0`))
	got, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"1":{"inputs":{"x":2},"class_type":"A","_meta":{"title":"t"},"is_changed":["h"]}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	got, _ = json.Marshal(q)
	want = `{"1":{"inputs":{"x":2},"class_type":"A","_meta":{"title":"t"},"is_changed":["other"],"z":0}}`
	if string(got) != want {
		t.Errorf("clone: got  %s\nwant %s", got, want)
	}
}

// Coerced FLOAT constants are written as Python's float repr, which is what
// ComfyUI saves after its in-place float() coercion.
func TestMarshalFloatsAsPython(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{8.0, "8.0"},
		{0.0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{tenth() + 0.2, "0.30000000000000004"}, // at run time, not folded exactly
		{1e-5, "1e-05"},
		{0.0001, "0.0001"},
		{1e16, "1e+16"},
		{123456789012345.6, "123456789012345.6"},
		{math.NaN(), "null"},
		{math.Inf(1), "null"},
		{int64(8), "8"},
		{uint64(math.MaxUint64), "18446744073709551615"},
		{json.Number("8"), "8"},
	}
	for _, tc := range tests {
		got, err := marshalValue(tc.v)
		if err != nil || string(got) != tc.want {
			t.Errorf("marshalValue(%v) = %s, %v; want %s", tc.v, got, err, tc.want)
		}
	}
}

func tenth() float64 { return 0.1 }

// Python indexes RETURN_TYPES with a negative or boolean slot, and ComfyUI
// writes such a link back as posted; the executor still gets the real slot.
func TestValidatedLinkWrittenAsPosted(t *testing.T) {
	for _, posted := range []string{`["1",-2]`, `["1",false]`, `["1",0]`} {
		p, err := ParsePrompt([]byte(out(`{"image": ` + posted + `, "n": 3.0}`)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Validate(p, tableRegistry(), nil); err != nil {
			t.Fatalf("%s: %v", posted, err)
		}
		l, ok := p.Nodes["2"].Inputs["image"].(Link)
		if !ok || l.NodeID != "1" || l.Slot != 0 {
			t.Errorf("%s validated to %#v", posted, p.Nodes["2"].Inputs["image"])
		}
		got, _ := json.Marshal(p)
		want := `{"1":{"class_type":"Src","inputs":{}},"2":{"class_type":"Out","inputs":{"image":` + posted + `,"n":3}}}`
		if string(got) != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
}
