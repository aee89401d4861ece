package executor

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"sumi/api"
	"sumi/graph"
	"sumi/nodes"
)

// ExceptionTyper lets a node error name its exception_type (ComfyUI
// reports Python class names such as "Exception" or "torch.OutOfMemoryError").
type ExceptionTyper interface {
	ExceptionType() string
}

func (r *run) interrupted(id, class string) error {
	d := api.ExecutionInterrupted{PromptID: r.req.PromptID, NodeID: id, NodeType: class,
		Executed: r.executedList(), Timestamp: r.now()}
	r.emit(EventExecutionInterrupted, d)
	return &InterruptedError{Data: d}
}

func (r *run) failed(id string, n *graph.Node, spec *nodes.Spec, err error, stack []string) error {
	msg := err.Error()
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	d := ErrorData{PromptID: r.req.PromptID, NodeID: id, NodeType: n.ClassType, Executed: r.executedList(),
		ExceptionMessage: msg, ExceptionType: exceptionType(err), Traceback: stack,
		CurrentInputs: r.currentInputs(n, spec), CurrentOutputs: r.currentOutputs(), Timestamp: r.now()}
	if d.Traceback == nil {
		d.Traceback = errorChain(err, id, n.ClassType)
	}
	r.emit(EventExecutionError, d)
	return &NodeError{Data: d, Err: err}
}

// orderFailed reports a dependency cycle (or a link to a missing node) as
// ComfyUI does: an execution_error before any node runs.
func (r *run) orderFailed(err error) error {
	d := ErrorData{PromptID: r.req.PromptID, Executed: []string{}, ExceptionMessage: err.Error() + "\n",
		ExceptionType: "Exception", Traceback: []string{}, CurrentInputs: map[string][]any{},
		CurrentOutputs: []string{}, Timestamp: r.now()}
	var ce *graph.CycleError
	if errors.As(err, &ce) {
		d.ExceptionMessage, d.ExceptionType = "Dependency cycle detected\n", "graph.DependencyCycleError"
		if len(ce.NodeIDs) > 0 {
			d.NodeID = ce.NodeIDs[0]
			d.NodeType = r.req.Prompt.Nodes[d.NodeID].ClassType
		}
	}
	r.emit(EventExecutionError, d)
	return &NodeError{Data: d, Err: err}
}

func exceptionType(err error) string {
	var t ExceptionTyper
	if errors.As(err, &t) {
		return t.ExceptionType()
	}
	var p *panicError
	if errors.As(err, &p) {
		return "panic"
	}
	return "Exception"
}

// errorChain renders the wrapped errors as traceback-like lines.
func errorChain(err error, id, class string) []string {
	lines := []string{fmt.Sprintf("  node %s (%s)\n", id, class)}
	for e := err; e != nil; e = errors.Unwrap(e) {
		lines = append(lines, "    "+e.Error()+"\n")
	}
	return lines
}

func (r *run) executedList() []string {
	return append([]string{}, r.executed...)
}

// currentOutputs lists the prompt's nodes that have a cached result.
func (r *run) currentOutputs() []string {
	out := []string{}
	for _, id := range r.req.Prompt.Order {
		if r.isCached(id) {
			out = append(out, id)
		}
	}
	return out
}

// currentInputs formats the failing node's inputs as ComfyUI does: one
// list per input, plain JSON values as is, anything else as text.
func (r *run) currentInputs(n *graph.Node, spec *nodes.Spec) map[string][]any {
	in := map[string][]any{}
	for _, name := range n.InputNames {
		v := n.Inputs[name]
		if l, ok := graph.LinkOf(v); ok {
			if src := r.cache[r.sigs[l.NodeID]]; src != nil && l.Slot >= 0 && l.Slot < len(src.outputs) {
				v = src.outputs[l.Slot]
			}
		}
		in[name] = []any{formatValue(v)}
	}
	for _, h := range spec.Inputs {
		if h.Kind != nodes.HiddenInput {
			continue
		}
		switch h.Hidden {
		case nodes.HiddenPrompt, nodes.HiddenDynPrompt:
			in[h.Name] = []any{formatValue(r.hidden.Prompt)}
		case nodes.HiddenExtraPNGInfo:
			in[h.Name] = []any{formatValue(r.hidden.ExtraPNGInfo)}
		case nodes.HiddenUniqueID:
			in[h.Name] = []any{n.ID}
		}
	}
	return in
}

func formatValue(v any) any {
	switch x := v.(type) {
	case nil, bool, string, int64, uint64, int, float64, json.Number, graph.Link:
		return x
	case json.RawMessage:
		if len(x) == 0 || string(x) == "null" {
			return nil
		}
		return string(x)
	}
	return fmt.Sprint(v)
}

// progress forwards a running node's reports as events.
type progress struct {
	r    *run
	node string
}

func (p *progress) Update(value, max int) {
	p.r.state(p.node, float64(value), float64(max), api.NodeRunning)
	p.r.emit(EventProgress, api.Progress{Value: value, Max: max, PromptID: p.r.req.PromptID, Node: p.node})
}

func (p *progress) Preview(img nodes.Preview) {
	p.r.emit(EventPreview, PreviewData{PromptID: p.r.req.PromptID, Node: p.node, Image: img})
}

func (p *progress) Text(s string) {
	p.r.emit(EventText, TextData{PromptID: p.r.req.PromptID, Node: p.node, Text: s})
}
