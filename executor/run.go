package executor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"

	"sumi/api"
	"sumi/graph"
	"sumi/nodes"
)

// run is the state of one prompt execution.
type run struct {
	*Executor
	ctx           context.Context
	req           Request
	send          func(Event)
	sendMu        sync.Mutex
	hidden        nodes.HiddenValues
	sigs          map[string]sigKey
	cachedAtStart []string
	executed      []string
	ui            map[string]nodes.UI
	// isChangedJSON holds, per node, the "is_changed" member ComfyUI adds
	// to the prompt it hands to PROMPT inputs (see promptJSON).
	isChangedJSON map[string]json.RawMessage
}

func (e *Executor) newRun(ctx context.Context, req Request, emit func(Event)) (*run, error) {
	if req.Prompt == nil {
		return nil, errors.New("executor: no prompt")
	}
	for _, id := range req.Prompt.Order {
		if _, ok := e.reg.Get(req.Prompt.Nodes[id].ClassType); !ok {
			return nil, fmt.Errorf("executor: node %s: unknown class %q", id, req.Prompt.Nodes[id].ClassType)
		}
	}
	return &run{Executor: e, ctx: ctx, req: req, send: emit, ui: map[string]nodes.UI{},
		hidden: nodes.HiddenValues{ExtraPNGInfo: req.ExtraPNGInfo, PromptID: req.PromptID}}, nil
}

// promptJSON encodes the prompt once, when a node first asks for PROMPT.
// ComfyUI stores each IS_CHANGED answer in the prompt itself, as the
// node's last member "is_changed", before anything runs, so SaveImage's
// metadata carries it; we add it to a copy, leaving the request's prompt
// as it was so that running it again asks the nodes again.
func (r *run) promptJSON() (json.RawMessage, error) {
	if r.hidden.Prompt == nil {
		p := r.req.Prompt
		if len(r.isChangedJSON) > 0 {
			p = p.Clone()
			for id, raw := range r.isChangedJSON {
				p.Nodes[id].SetExtra("is_changed", raw)
			}
		}
		b, err := json.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("executor: encode prompt: %w", err)
		}
		r.hidden.Prompt = b
	}
	return r.hidden.Prompt, nil
}

// emit is serialised because a node may report progress from its own goroutines.
func (r *run) emit(typ string, data any) {
	r.sendMu.Lock()
	defer r.sendMu.Unlock()
	r.send(Event{Type: typ, Data: data})
}

func (r *run) now() int64 { return r.Now().UnixMilli() }

// prepare computes every node's signature, drops cache entries the prompt
// does not use (ComfyUI's classic cache) and lists the cached nodes.
func (r *run) prepare() {
	p := r.req.Prompt
	isChanged := make(map[string]changed, len(p.Nodes))
	for _, id := range p.Order {
		isChanged[id] = r.isChanged(p.Nodes[id])
	}
	r.sigs = signatures(p, r.reg, isChanged)
	keep := make(map[sigKey]bool, len(r.sigs))
	for _, s := range r.sigs {
		keep[s] = true
	}
	for k := range r.cache {
		if !keep[k] {
			delete(r.cache, k)
		}
	}
	r.cachedAtStart = []string{}
	for _, id := range p.Order {
		if r.isCached(id) {
			r.cachedAtStart = append(r.cachedAtStart, id)
		}
	}
}

// isChanged calls the spec's IsChanged with the node's constant inputs; an
// error or panic means "changed" (ComfyUI treats exceptions as NaN). A
// successful answer is recorded for promptJSON as ComfyUI's one-element
// list. A prompt that already carries "is_changed" for the node (one
// copied from a saved PNG) is taken at its word, as ComfyUI does: the node
// is not asked.
func (r *run) isChanged(n *graph.Node) (c changed) {
	spec, _ := r.reg.Get(n.ClassType)
	if spec.IsChanged == nil {
		return changed{ok: true}
	}
	if raw, ok := n.Extra["is_changed"]; ok {
		var b bytes.Buffer
		if json.Compact(&b, raw) != nil {
			return changed{}
		}
		return changed{value: b.String(), ok: true}
	}
	vals := map[string]any{}
	for _, name := range n.InputNames {
		if _, link := graph.LinkOf(n.Inputs[name]); !link {
			vals[name] = n.Inputs[name]
		}
	}
	defer func() {
		if recover() != nil {
			c = changed{}
		}
	}()
	v, err := spec.IsChanged(nodes.NewArgs(n.ID, vals, r.hidden))
	if err != nil {
		return changed{}
	}
	rec, _ := json.Marshal([]string{v}) // a []string always encodes
	if r.isChangedJSON == nil {
		r.isChangedJSON = map[string]json.RawMessage{}
	}
	r.isChangedJSON[n.ID] = rec
	return changed{value: string(rec), ok: true}
}

func (r *run) isCached(id string) bool {
	s, ok := r.sigs[id]
	return ok && r.cache[s] != nil
}

// step runs one scheduled node, or replays a cached output node's UI.
func (r *run) step(id string) error {
	n := r.req.Prompt.Nodes[id]
	spec, _ := r.reg.Get(n.ClassType)
	if c := r.cache[r.sigs[id]]; c != nil {
		if spec.OutputNode {
			r.record(id, c.ui, true)
		}
		return nil
	}
	r.state(id, 0, 1, api.NodeRunning)
	r.emit(EventExecuting, api.Executing{Node: &id, DisplayNode: id, PromptID: r.req.PromptID})
	if r.ctx.Err() != nil {
		return r.interrupted(id, n.ClassType)
	}
	args, err := r.args(n, spec)
	if err != nil {
		return r.failed(id, n, spec, err, nil)
	}
	out, err, stack := r.call(spec, args, id)
	if err != nil {
		if r.ctx.Err() != nil && errors.Is(err, r.ctx.Err()) {
			return r.interrupted(id, n.ClassType)
		}
		return r.failed(id, n, spec, err, stack)
	}
	outs, ui, err := nodes.SplitUI(out, len(spec.Outputs))
	if err != nil {
		return r.failed(id, n, spec, err, nil)
	}
	r.cache[r.sigs[id]] = &entry{outputs: outs, ui: ui}
	r.executed = append(r.executed, id)
	r.record(id, ui, false)
	return nil
}

// record reports an output node's UI and marks the node finished.
func (r *run) record(id string, ui nodes.UI, cached bool) {
	if ui != nil {
		r.ui[id] = ui
	}
	if ui != nil || cached {
		r.emit(EventExecuted, ExecutedData{Node: id, DisplayNode: id, Output: ui, PromptID: r.req.PromptID})
	}
	r.state(id, 1, 1, api.NodeFinished)
}

func (r *run) state(id string, value, max float64, state string) {
	r.emit(EventProgressState, &api.NodeProgress{Value: value, Max: max, State: state, NodeID: id,
		PromptID: r.req.PromptID, DisplayNodeID: id, RealNodeID: id})
}

// args gathers constants, linked outputs from the cache, and hidden values.
func (r *run) args(n *graph.Node, spec *nodes.Spec) (nodes.Args, error) {
	vals := make(map[string]any, len(n.Inputs))
	for _, name := range n.InputNames {
		v := n.Inputs[name]
		l, ok := graph.LinkOf(v)
		if !ok {
			vals[name] = v
			continue
		}
		src := r.cache[r.sigs[l.NodeID]]
		if src == nil || l.Slot < 0 || l.Slot >= len(src.outputs) {
			return nodes.Args{}, fmt.Errorf("executor: input %s: no output %d of node %s", name, l.Slot, l.NodeID)
		}
		vals[name] = src.outputs[l.Slot]
	}
	for _, in := range spec.Inputs {
		if in.Kind != nodes.HiddenInput {
			continue
		}
		switch in.Hidden {
		case nodes.HiddenPrompt, nodes.HiddenDynPrompt:
			pj, err := r.promptJSON()
			if err != nil {
				return nodes.Args{}, err
			}
			vals[in.Name] = pj
		case nodes.HiddenExtraPNGInfo:
			vals[in.Name] = r.hidden.ExtraPNGInfo
		case nodes.HiddenUniqueID:
			vals[in.Name] = n.ID
		}
	}
	return nodes.NewArgs(n.ID, vals, r.hidden), nil
}

// call runs the node, turning a panic into an error with its stack.
func (r *run) call(spec *nodes.Spec, args nodes.Args, id string) (out []any, err error, stack []string) {
	defer func() {
		if p := recover(); p != nil {
			err = &panicError{value: p}
			stack = stackLines(debug.Stack())
		}
	}()
	prog := &progress{r: r, node: id}
	out, err = spec.Run(r.ctx, args, prog)
	return out, err, nil
}

type panicError struct{ value any }

func (p *panicError) Error() string { return fmt.Sprintf("panic: %v", p.value) }

func stackLines(b []byte) []string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		lines = append(lines, l+"\n")
	}
	return lines
}
