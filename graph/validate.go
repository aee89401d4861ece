package graph

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"sumi/nodes"
)

// Result is an accepted prompt.
type Result struct {
	// Prompt is the validated prompt: the same value passed to Validate,
	// with constants coerced and links of validated nodes turned into Link.
	Prompt *Prompt
	// Outputs are the output nodes that passed validation, in prompt order
	// (ComfyUI's outputs_to_execute).
	Outputs []string
	// NodeErrors lists failing nodes when only some outputs failed; the
	// prompt is still accepted (HTTP 200 with node_errors).
	NodeErrors NodeErrors
}

// Validate checks a prompt as ComfyUI's POST /prompt does and coerces its
// constants in place. targets, when non-nil, restricts the output nodes
// (partial_execution_targets). A rejected prompt returns a *PromptError.
func Validate(p *Prompt, reg *nodes.Registry, targets []string) (*Result, error) {
	if err := checkClasses(p, reg); err != nil {
		return nil, err
	}
	outputs := outputNodes(p, reg, targets)
	if len(outputs) == 0 {
		return nil, &PromptError{Type: ErrTypeNoOutputs, Message: "Prompt has no outputs"}
	}
	v := &validator{p: p, reg: reg, done: map[string]*nodeResult{}, onStack: map[string]bool{}}
	res := &Result{Prompt: p}
	var failed []*InputError
	for _, o := range outputs {
		ok, exc := v.node(o)
		var reasons []*InputError
		if exc != nil {
			reasons = []*InputError{{NodeID: o, Type: ErrTypeExceptionDuringValidate,
				Message: "Exception when validating node", Details: exc.msg,
				ExtraInfo: Fields{{"exception_type", exc.typ}, {"traceback", exc.traceback()}}}}
			v.record(o, false, reasons)
		} else {
			reasons = v.done[o].errs
		}
		if ok {
			res.Outputs = append(res.Outputs, o)
			continue
		}
		failed = append(failed, reasons...)
		v.blame(o, &res.NodeErrors)
	}
	if len(res.Outputs) == 0 {
		lines := make([]string, len(failed))
		for i, e := range failed {
			lines[i] = e.Message + ": " + e.Details
		}
		return nil, &PromptError{Type: ErrTypeOutputsFailed, Message: "Prompt outputs failed validation",
			Details: strings.Join(lines, "\n"), NodeErrors: res.NodeErrors}
	}
	return res, nil
}

// checkClasses is ComfyUI's first pass: every node, reachable or not, must
// name a known class; the first failure in prompt order rejects the prompt.
func checkClasses(p *Prompt, reg *nodes.Registry) error {
	for _, id := range p.Order {
		n := p.Nodes[id]
		details := "Node ID '#" + id + "'"
		if !n.HasClassType {
			return &PromptError{Type: ErrTypeInvalidPrompt, Message: errInvalidPromptMissingClass, Details: details}
		}
		if _, ok := reg.Get(n.ClassType); !ok {
			return &PromptError{Type: ErrTypeInvalidPrompt,
				Message: fmt.Sprintf(errInvalidPromptUnknownClassFmt, n.ClassType), Details: details}
		}
	}
	return nil
}

func outputNodes(p *Prompt, reg *nodes.Registry, targets []string) []string {
	var want map[string]bool
	if targets != nil {
		want = map[string]bool{}
		for _, t := range targets {
			want[t] = true
		}
	}
	var out []string
	for _, id := range p.Order {
		s, _ := reg.Get(p.Nodes[id].ClassType)
		if s.OutputNode && (want == nil || want[id]) {
			out = append(out, id)
		}
	}
	return out
}

type nodeResult struct {
	valid bool
	errs  []*InputError
}

// exception is a failure ComfyUI raises (rather than records) while
// validating: a link to a missing node or slot.
type exception struct{ typ, msg string }

func (e *exception) traceback() []string {
	return []string{"  File \"sumi/graph/validate.go\", in validate\n"}
}

type validator struct {
	p       *Prompt
	reg     *nodes.Registry
	done    map[string]*nodeResult
	order   []string // insertion order of done, as Python's dict keeps it
	onStack map[string]bool
}

func (v *validator) record(id string, valid bool, errs []*InputError) {
	if _, ok := v.done[id]; !ok {
		v.order = append(v.order, id)
	}
	v.done[id] = &nodeResult{valid, errs}
}

// blame adds output o to dependent_outputs of every node that failed with
// errors of its own so far, as ComfyUI does after each failed output.
func (v *validator) blame(o string, ne *NodeErrors) {
	for _, id := range v.order {
		r := v.done[id]
		if r.valid || len(r.errs) == 0 {
			continue
		}
		e := ne.Get(id)
		if e == nil {
			e = &NodeError{NodeID: id, ClassType: v.p.Nodes[id].ClassType, Errors: r.errs}
			*ne = append(*ne, e)
		}
		e.DependentOutputs = append(e.DependentOutputs, o)
	}
}

// node validates one node and, through links, its ancestors. A node on the
// current path (a cycle) is invalid without an error of its own, which is
// what ComfyUI's recursion ends up reporting.
func (v *validator) node(id string) (bool, *exception) {
	if r, ok := v.done[id]; ok {
		return r.valid, nil
	}
	if v.onStack[id] {
		return false, nil
	}
	v.onStack[id] = true
	defer delete(v.onStack, id)
	n := v.p.Nodes[id]
	spec, _ := v.reg.Get(n.ClassType)
	var errs []*InputError
	valid := true
	for _, kind := range []nodes.Kind{nodes.Required, nodes.Optional} {
		for i := range spec.Inputs {
			in := &spec.Inputs[i]
			if in.Kind != kind {
				continue
			}
			ok, e, exc := v.input(n, spec, in)
			if exc != nil {
				return false, exc
			}
			if e != nil {
				e.NodeID, e.Input = id, in.Name
				errs = append(errs, e)
			}
			valid = valid && ok && e == nil
		}
	}
	if e := customValidate(n, spec); len(e) > 0 {
		errs = append(errs, e...)
	}
	valid = valid && len(errs) == 0
	v.record(id, valid, errs)
	return valid, nil
}

// input checks one declared input. ok=false without an error means an
// upstream node failed.
func (v *validator) input(n *Node, spec *nodes.Spec, in *nodes.Input) (bool, *InputError, *exception) {
	val, present := n.Inputs[in.Name]
	if !present {
		if in.Kind == nodes.Required {
			return false, &InputError{Type: ErrTypeRequiredInputMissing, Message: "Required input is missing",
				Details: in.Name, ExtraInfo: Fields{{"input_name", in.Name}}}, nil
		}
		return true, nil, nil
	}
	switch x := val.(type) {
	case Link:
		return v.link(n, in, x.NodeID, int64(x.Slot), "", x)
	case []any:
		if len(x) != 2 {
			return false, &InputError{Type: ErrTypeBadLinkedInput,
				Message: "Bad linked input, must be a length-2 list of [node_id, slot_index]",
				Details: in.Name, ExtraInfo: Fields{{"input_name", in.Name}, {"input_config", in.Config()}, {"received_value", x}}}, nil
		}
		id, slot, idOK, slotErr := linkParts(x)
		if !idOK {
			return false, nil, &exception{"KeyError", pyRepr(x[0])}
		}
		return v.link(n, in, id, slot, slotErr, x)
	}
	return v.constant(n, spec, in, val)
}

// link checks a linked input: the source exists, has the slot, its type
// fits; then validates the source. raw is the value as received.
func (v *validator) link(n *Node, in *nodes.Input, srcID string, slot int64, slotErr string, raw any) (bool, *InputError, *exception) {
	src, ok := v.p.Nodes[srcID]
	if !ok {
		return false, nil, &exception{"KeyError", pyQuote(srcID)}
	}
	if slotErr != "" {
		return false, nil, &exception{"TypeError", slotErr}
	}
	srcSpec, _ := v.reg.Get(src.ClassType)
	outs := srcSpec.Outputs
	if slot < 0 {
		slot += int64(len(outs)) // Python indexing from the end
	}
	if slot < 0 || slot >= int64(len(outs)) {
		return false, nil, &exception{"IndexError", "tuple index out of range"}
	}
	link := Link{NodeID: srcID, Slot: int(slot)}.withPosted(raw)
	received := outs[slot].Type
	if !TypesMatch(received, in.Type) {
		return false, &InputError{Type: ErrTypeReturnTypeMismatch, Message: "Return type mismatch between linked nodes",
			Details: fmt.Sprintf("%s, received_type(%s) mismatch input_type(%s)", in.Name, received, inputTypeText(in)),
			ExtraInfo: Fields{{"input_name", in.Name}, {"input_config", in.Config()},
				{"received_type", string(received)}, {"linked_node", raw}}}, nil
	}
	n.Inputs[in.Name] = link
	ok, exc := v.node(srcID)
	if exc != nil {
		v.record(srcID, false, []*InputError{{NodeID: srcID, Input: in.Name, Type: ErrTypeExceptionDuringInnerVal,
			Message: "Exception when validating inner node", Details: exc.msg,
			ExtraInfo: Fields{{"input_name", in.Name}, {"input_config", in.Config()}, {"exception_message", exc.msg},
				{"exception_type", exc.typ}, {"traceback", exc.traceback()}, {"linked_node", link}}}})
		return false, nil, nil
	}
	return ok, nil, nil
}

// inputTypeText is how ComfyUI prints an input type in messages: a combo's type
// is its list of choices.
func inputTypeText(in *nodes.Input) string {
	if in.Type == nodes.TypeCombo {
		return pyRepr(in.ChoiceList())
	}
	return string(in.Type)
}

// TypesMatch is ComfyUI's link type rule: equal names, "*" on either side,
// or comma-separated unions that intersect.
func TypesMatch(received, want nodes.Type) bool {
	if received == want || received == nodes.TypeAny || want == nodes.TypeAny {
		return true
	}
	for _, r := range strings.Split(string(received), ",") {
		for _, w := range strings.Split(string(want), ",") {
			if strings.TrimSpace(r) == strings.TrimSpace(w) {
				return true
			}
		}
	}
	return false
}

func (v *validator) constant(n *Node, spec *nodes.Spec, in *nodes.Input, val any) (bool, *InputError, *exception) {
	if m, ok := val.(map[string]any); ok {
		if w, ok := m["__value__"]; ok {
			val = w
			n.Inputs[in.Name] = val
		}
	}
	cv, excText := coerce(in.Type, val)
	if excText != "" {
		return false, &InputError{Type: ErrTypeInvalidInputType,
			Message: fmt.Sprintf("Failed to convert an input value to a %s value", in.Type),
			Details: fmt.Sprintf("%s, %s, %s", in.Name, pyStr(val), excText),
			ExtraInfo: Fields{{"input_name", in.Name}, {"input_config", in.Config()},
				{"received_value", val}, {"exception_message", excText}}}, nil
	}
	n.Inputs[in.Name] = cv
	if takesCustom(spec, in.Name) {
		return true, nil, nil
	}
	if e := checkRange(in, cv); e != nil {
		return false, e, nil
	}
	if in.Type == nodes.TypeCombo {
		return checkChoice(in, cv)
	}
	return true, nil, nil
}

func takesCustom(spec *nodes.Spec, name string) bool {
	for _, x := range spec.ValidateInputs {
		if x == name {
			return true
		}
	}
	return false
}

func checkRange(in *nodes.Input, v any) *InputError {
	extra := func() Fields {
		return Fields{{"input_name", in.Name}, {"input_config", in.Config()}, {"received_value", v}}
	}
	if m := in.Opts.Min; m != nil && compareBound(v, *m) < 0 {
		return &InputError{Type: ErrTypeValueSmallerThanMin,
			Message: fmt.Sprintf("Value %s smaller than min of %s", pyRepr(v), boundText(in, *m)),
			Details: in.Name, ExtraInfo: extra()}
	}
	if m := in.Opts.Max; m != nil && compareBound(v, *m) > 0 {
		return &InputError{Type: ErrTypeValueBiggerThanMax,
			Message: fmt.Sprintf("Value %s bigger than max of %s", pyRepr(v), boundText(in, *m)),
			Details: in.Name, ExtraInfo: extra()}
	}
	return nil
}

// boundText prints a bound as the node declared it: integers for INT.
func boundText(in *nodes.Input, f float64) string {
	if in.Type == nodes.TypeInt {
		if f >= 1<<64 {
			return "18446744073709551615"
		}
		if f == float64(int64(f)) {
			return strconv.FormatInt(int64(f), 10)
		}
	}
	return pyFloat(f)
}

func checkChoice(in *nodes.Input, v any) (bool, *InputError, *exception) {
	choices := in.ChoiceList()
	if s, ok := v.(string); ok {
		for _, c := range choices {
			if c == s {
				return true, nil, nil
			}
		}
	}
	list := pyRepr(choices)
	var cfg any = in.Config()
	if len(choices) > 20 {
		list = fmt.Sprintf("(list of length %d)", len(choices))
		cfg = nil
	}
	return false, &InputError{Type: ErrTypeValueNotInList, Message: "Value not in list",
		Details:   fmt.Sprintf("%s: '%s' not in %s", in.Name, pyStr(v), list),
		ExtraInfo: Fields{{"input_name", in.Name}, {"input_config", cfg}, {"received_value", v}}}, nil
}

// customValidate runs the spec's Validate with the constant inputs it takes.
func customValidate(n *Node, spec *nodes.Spec) (errs []*InputError) {
	if spec.Validate == nil || len(spec.ValidateInputs) == 0 {
		return nil
	}
	vals := map[string]any{}
	var names []string
	for _, name := range spec.ValidateInputs {
		if v, ok := n.Inputs[name]; ok && !isLinkValue(v) {
			vals[name] = v
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	err := safeValidate(spec, nodes.NewArgs(n.ID, vals, nodes.HiddenValues{}))
	if err == nil {
		return nil
	}
	for _, name := range names {
		errs = append(errs, &InputError{NodeID: n.ID, Input: name, Type: ErrTypeCustomValidationFailed,
			Message: "Custom validation failed for node", Details: name + " - " + err.Error(),
			ExtraInfo: Fields{{"input_name", name}}})
	}
	return errs
}

func safeValidate(spec *nodes.Spec, a nodes.Args) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return spec.Validate(a)
}

func isLinkValue(v any) bool {
	switch x := v.(type) {
	case Link:
		return true
	case []any:
		return len(x) == 2
	}
	return false
}

var _ json.Marshaler = Link{}
