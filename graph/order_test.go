package graph

import (
	"errors"
	"reflect"
	"testing"

	"sumi/nodes"
)

func orderRegistry() *nodes.Registry {
	reg := nodes.NewRegistry()
	one := []nodes.Output{{Type: "T"}}
	reg.Register(nodes.Spec{Name: "Src", Run: fakeRun, Outputs: one})
	reg.Register(nodes.Spec{Name: "Mid", Run: fakeRun, Outputs: one, Inputs: []nodes.Input{nodes.Socket("a", "T"), nodes.Socket("b", "T").Optional()}})
	reg.Register(nodes.Spec{Name: "Out", Run: fakeRun, OutputNode: true, Inputs: []nodes.Input{nodes.Socket("a", "T"), nodes.Socket("b", "T").Optional()}})
	return reg
}

func TestExecutionOrder(t *testing.T) {
	tests := []struct {
		name    string
		prompt  string
		outputs []string
		cached  []string
		want    []string
	}{
		{"output first when ready", `{"1": {"class_type": "Src", "inputs": {}},
			"2": {"class_type": "Mid", "inputs": {"a": ["1", 0]}}, "3": {"class_type": "Out", "inputs": {"a": ["2", 0]}},
			"4": {"class_type": "Out", "inputs": {"a": ["1", 0]}}}`, []string{"3", "4"}, nil, []string{"1", "4", "2", "3"}},
		{"a node feeding an output before others", `{"1": {"class_type": "Src", "inputs": {}},
			"2": {"class_type": "Src", "inputs": {}}, "3": {"class_type": "Mid", "inputs": {"a": ["2", 0]}},
			"4": {"class_type": "Out", "inputs": {"a": ["1", 0], "b": ["3", 0]}}}`, []string{"4"}, nil, []string{"1", "2", "3", "4"}},
		{"depth-first pops the last input first", `{"1": {"class_type": "Src", "inputs": {}},
			"2": {"class_type": "Src", "inputs": {}}, "3": {"class_type": "Mid", "inputs": {"a": ["1", 0], "b": ["2", 0]}},
			"4": {"class_type": "Out", "inputs": {"a": ["3", 0]}}}`, []string{"4"}, nil, []string{"2", "1", "3", "4"}},
		{"cached ancestors are not scheduled", `{"1": {"class_type": "Src", "inputs": {}},
			"2": {"class_type": "Mid", "inputs": {"a": ["1", 0]}}, "3": {"class_type": "Out", "inputs": {"a": ["2", 0]}}}`,
			[]string{"3"}, []string{"2"}, []string{"3"}},
		{"cached outputs are still scheduled", `{"1": {"class_type": "Src", "inputs": {}},
			"3": {"class_type": "Out", "inputs": {"a": ["1", 0]}}}`, []string{"3"}, []string{"1", "3"}, []string{"3"}},
	}
	reg := orderRegistry()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePrompt([]byte(tc.prompt))
			if err != nil {
				t.Fatal(err)
			}
			cached := map[string]bool{}
			for _, id := range tc.cached {
				cached[id] = true
			}
			got, err := ExecutionOrder(p, reg, tc.outputs, func(id string) bool { return cached[id] })
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("order %v, want %v", got, tc.want)
			}
		})
	}
}

func TestExecutionOrderErrors(t *testing.T) {
	reg := orderRegistry()
	p, _ := ParsePrompt([]byte(`{"1": {"class_type": "Mid", "inputs": {"a": ["2", 0]}}, "2": {"class_type": "Mid", "inputs": {"a": ["1", 0]}},
		"3": {"class_type": "Out", "inputs": {"a": ["2", 0]}}}`))
	_, err := ExecutionOrder(p, reg, []string{"3"}, nil)
	var ce *CycleError
	if !errors.As(err, &ce) || len(ce.NodeIDs) != 3 {
		t.Errorf("got %v, want a cycle through 1, 2 and 3", err)
	}
	p, _ = ParsePrompt([]byte(`{"3": {"class_type": "Out", "inputs": {"a": ["9", 0]}}}`))
	if _, err := ExecutionOrder(p, reg, []string{"3"}, nil); err == nil {
		t.Errorf("link to a missing node accepted")
	}
}
