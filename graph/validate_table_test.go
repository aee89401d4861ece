package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"sumi/nodes"
)

func fakeRun(context.Context, nodes.Args, nodes.Progress) ([]any, error) { return nil, nil }

// tableRegistry has one node per feature the validator checks.
func tableRegistry() *nodes.Registry {
	reg := nodes.NewRegistry()
	many := make([]string, 25)
	for i := range many {
		many[i] = fmt.Sprintf("m%d", i)
	}
	reg.Register(nodes.Spec{Name: "Src", Run: fakeRun, Outputs: []nodes.Output{{Type: nodes.TypeImage}, {Type: "INT,FLOAT"}}})
	reg.Register(nodes.Spec{Name: "Any", Run: fakeRun, Outputs: []nodes.Output{{Type: nodes.TypeAny}}})
	reg.Register(nodes.Spec{Name: "Out", Run: fakeRun, OutputNode: true, Inputs: []nodes.Input{
		nodes.Socket("image", nodes.TypeImage),
		nodes.Int("n", 1).Range(1, 10),
		nodes.Float("f", 0.5).Range(0, 1).Optional(),
		nodes.Bool("b", false).Optional(),
		nodes.String("s", "").Optional(),
		nodes.ComboOf("c", "a", "b").Optional(),
		nodes.ComboOf("big", many...).Optional(),
		nodes.Int("seed", 0).Range(0, nodes.MaxSeed).Optional(),
		nodes.Socket("num", nodes.TypeFloat).Optional(),
		nodes.Hidden("prompt", nodes.HiddenPrompt),
	}})
	reg.Register(nodes.Spec{Name: "Checked", Run: fakeRun, OutputNode: true,
		Inputs:         []nodes.Input{nodes.ComboOf("file", "a.png"), nodes.Int("n", 0).Range(0, 1)},
		ValidateInputs: []string{"file", "n"},
		Validate: func(a nodes.Args) error {
			if a.String("file") == "bad.png" {
				return errors.New("Invalid image file: bad.png")
			}
			return nil
		}})
	return reg
}

// out builds a prompt with source node "1" and output node "2" whose
// inputs are given as JSON.
func out(inputs string) string {
	return `{"1": {"class_type": "Src", "inputs": {}}, "2": {"class_type": "Out", "inputs": ` + inputs + `}}`
}

func TestValidateErrorTypes(t *testing.T) {
	reg := tableRegistry()
	tests := []struct {
		name, prompt string
		errType      string // top-level type; "" = accepted
		nodeErr      string // the first node error type, if any
		details      string // its details
	}{
		{"ok", out(`{"image": ["1", 0], "n": 3}`), "", "", ""},
		{"missing class", `{"1": {"inputs": {}}}`, ErrTypeInvalidPrompt, "", ""},
		{"unknown class", `{"1": {"class_type": "Nope", "inputs": {}}}`, ErrTypeInvalidPrompt, "", ""},
		{"no outputs", `{"1": {"class_type": "Src", "inputs": {}}}`, ErrTypeNoOutputs, "", ""},
		{"required missing", out(`{"image": ["1", 0]}`), ErrTypeOutputsFailed, ErrTypeRequiredInputMissing, "n"},
		{"bad link length", out(`{"image": ["1", 0, 1], "n": 1}`), ErrTypeOutputsFailed, ErrTypeBadLinkedInput, "image"},
		{"type mismatch", out(`{"image": ["1", 1], "n": 1}`), ErrTypeOutputsFailed, ErrTypeReturnTypeMismatch, "image, received_type(INT,FLOAT) mismatch input_type(IMAGE)"},
		{"union type matches", out(`{"image": ["1", 0], "n": 1, "num": ["1", 1]}`), "", "", ""},
		{"any type matches", `{"1": {"class_type": "Any", "inputs": {}}, "2": {"class_type": "Out", "inputs": {"image": ["1", 0], "n": 1}}}`, "", "", ""},
		{"negative slot indexes from the end", out(`{"image": ["1", -2], "n": 1}`), "", "", ""},
		{"link to missing node", out(`{"image": ["9", 0], "n": 1}`), ErrTypeOutputsFailed, ErrTypeExceptionDuringValidate, "'9'"},
		{"link with numeric id", out(`{"image": [1, 0], "n": 1}`), ErrTypeOutputsFailed, ErrTypeExceptionDuringValidate, "1"},
		{"link slot out of range", out(`{"image": ["1", 7], "n": 1}`), ErrTypeOutputsFailed, ErrTypeExceptionDuringValidate, "tuple index out of range"},
		{"link slot not int", out(`{"image": ["1", "0"], "n": 1}`), ErrTypeOutputsFailed, ErrTypeExceptionDuringValidate, "tuple indices must be integers or slices, not str"},
		{"int from text", out(`{"image": ["1", 0], "n": "abc"}`), ErrTypeOutputsFailed, ErrTypeInvalidInputType, "n, abc, invalid literal for int() with base 10: 'abc'"},
		{"int from null", out(`{"image": ["1", 0], "n": null}`), ErrTypeOutputsFailed, ErrTypeInvalidInputType, "n, None, int() argument must be a string, a bytes-like object or a real number, not 'NoneType'"},
		{"int from float string", out(`{"image": ["1", 0], "n": "2.5"}`), ErrTypeOutputsFailed, ErrTypeInvalidInputType, "n, 2.5, invalid literal for int() with base 10: '2.5'"},
		{"int from bool", out(`{"image": ["1", 0], "n": true}`), "", "", ""},
		{"int too small", out(`{"image": ["1", 0], "n": 0}`), ErrTypeOutputsFailed, ErrTypeValueSmallerThanMin, "n"},
		{"int too big after truncation", out(`{"image": ["1", 0], "n": 10.9}`), "", "", ""},
		{"int too big", out(`{"image": ["1", 0], "n": 11}`), ErrTypeOutputsFailed, ErrTypeValueBiggerThanMax, "n"},
		{"float from text", out(`{"image": ["1", 0], "n": 1, "f": "x"}`), ErrTypeOutputsFailed, ErrTypeInvalidInputType, "f, x, could not convert string to float: 'x'"},
		{"float too big", out(`{"image": ["1", 0], "n": 1, "f": "1.5"}`), ErrTypeOutputsFailed, ErrTypeValueBiggerThanMax, "f"},
		{"bool from text is truthy", out(`{"image": ["1", 0], "n": 1, "b": "false"}`), "", "", ""},
		{"wrapped list value", out(`{"image": ["1", 0], "n": {"__value__": 4}}`), "", "", ""},
		{"combo not in list", out(`{"image": ["1", 0], "n": 1, "c": "z"}`), ErrTypeOutputsFailed, ErrTypeValueNotInList, "c: 'z' not in ['a', 'b']"},
		{"combo long list", out(`{"image": ["1", 0], "n": 1, "big": "z"}`), ErrTypeOutputsFailed, ErrTypeValueNotInList, "big: 'z' not in (list of length 25)"},
		{"seed at max", out(`{"image": ["1", 0], "n": 1, "seed": 18446744073709551615}`), "", "", ""},
		{"seed negative", out(`{"image": ["1", 0], "n": 1, "seed": -1}`), ErrTypeOutputsFailed, ErrTypeValueSmallerThanMin, "seed"},
		{"unknown inputs ignored", out(`{"image": ["1", 0], "n": 1, "choose file to upload": "image"}`), "", "", ""},
		{"custom validation", `{"1": {"class_type": "Checked", "inputs": {"file": "bad.png", "n": 5}}}`, ErrTypeOutputsFailed, ErrTypeCustomValidationFailed, "file - Invalid image file: bad.png"},
		{"custom validator skips list and range", `{"1": {"class_type": "Checked", "inputs": {"file": "x.png", "n": 5}}}`, "", "", ""},
		{"undeclared link input ignored", `{"1": {"class_type": "Out", "inputs": {"image": ["2", 0], "n": 1}}, "2": {"class_type": "Src", "inputs": {"x": ["1", 0]}}}`, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePrompt([]byte(tc.prompt))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Validate(p, reg, nil)
			if tc.errType == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				if len(res.Outputs) == 0 {
					t.Fatalf("no outputs")
				}
				return
			}
			var pe *PromptError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want *PromptError %s", err, tc.errType)
			}
			if pe.Type != tc.errType {
				t.Fatalf("type %s, want %s (%v)", pe.Type, tc.errType, pe)
			}
			if tc.nodeErr == "" {
				return
			}
			if len(pe.NodeErrors) == 0 || len(pe.NodeErrors[0].Errors) == 0 {
				t.Fatalf("no node errors: %v", pe)
			}
			e := pe.NodeErrors[0].Errors[0]
			if e.Type != tc.nodeErr || e.Details != tc.details {
				t.Errorf("got %s %q, want %s %q", e.Type, e.Details, tc.nodeErr, tc.details)
			}
			var ie *InputError = e
			if ie.Error() == "" || !strings.Contains(pe.Error(), e.Message) {
				t.Errorf("error text %q", pe.Error())
			}
			if _, err := json.Marshal(pe); err != nil {
				t.Errorf("marshal: %v", err)
			}
		})
	}
}

func TestValidateCoercesInPlace(t *testing.T) {
	p, _ := ParsePrompt([]byte(out(`{"image": ["1", 0], "n": "7", "f": 1, "b": 0, "s": 12.5}`)))
	if _, err := Validate(p, tableRegistry(), nil); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(p)
	// Members keep their posted order; the FLOAT is written as Python's
	// json.dumps writes float(1).
	want := `{"1":{"class_type":"Src","inputs":{}},"2":{"class_type":"Out","inputs":{"image":["1",0],"n":7,"f":1.0,"b":false,"s":"12.5"}}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if _, ok := p.Nodes["2"].Inputs["f"].(float64); !ok {
		t.Errorf("FLOAT kept as %T", p.Nodes["2"].Inputs["f"])
	}
}

func TestValidatePartialTargets(t *testing.T) {
	reg := tableRegistry()
	js := `{"1": {"class_type": "Src", "inputs": {}},
	 "2": {"class_type": "Out", "inputs": {"image": ["1", 0], "n": 1}},
	 "3": {"class_type": "Out", "inputs": {"image": ["1", 0], "n": 0}}}`
	p, _ := ParsePrompt([]byte(js))
	res, err := Validate(p, reg, []string{"2", "1"})
	if err != nil || len(res.Outputs) != 1 || res.Outputs[0] != "2" || len(res.NodeErrors) != 0 {
		t.Errorf("targets [2]: %+v %v", res, err)
	}
	p, _ = ParsePrompt([]byte(js))
	res, err = Validate(p, reg, nil)
	if err != nil || len(res.Outputs) != 1 || res.NodeErrors.Get("3") == nil {
		t.Fatalf("partial failure must be accepted with node_errors: %+v %v", res, err)
	}
	if got := res.NodeErrors.Get("3").DependentOutputs; len(got) != 1 || got[0] != "3" {
		t.Errorf("dependent_outputs %v", got)
	}
	p, _ = ParsePrompt([]byte(js))
	if _, err := Validate(p, reg, []string{"1"}); err == nil || !strings.Contains(err.Error(), "no outputs") {
		t.Errorf("targets without an output node: %v", err)
	}
}

func TestPromptFailedDetailsListOutputErrors(t *testing.T) {
	p, _ := ParsePrompt([]byte(out(`{"image": ["1", 0], "n": 0}`)))
	_, err := Validate(p, tableRegistry(), nil)
	var pe *PromptError
	if !errors.As(err, &pe) || pe.Details != "Value 0 smaller than min of 1: n" {
		t.Errorf("details %q", pe.Details)
	}
}
