package server

import (
	"context"
	"encoding/json"
	"errors"

	"sumi/api"
	"sumi/executor"
	"sumi/folders"
	"sumi/graph"
	"sumi/nodes"
	"sumi/queue"
)

// ExecRunner is the queue.Runner backed by the executor package. The
// executor speaks ComfyUI's message vocabulary itself; the queue's report
// owns the start/end messages and the progress_state snapshots, so the
// runner forwards only node-level facts.
type ExecRunner struct {
	reg  *nodes.Registry
	exec *executor.Executor
}

var _ queue.Runner = (*ExecRunner)(nil)

// NewRunner returns the Runner that executes prompts with reg's nodes.
func NewRunner(reg *nodes.Registry, _ *folders.Folders) *ExecRunner {
	return &ExecRunner{reg: reg, exec: executor.New(reg)}
}

// Free drops the output cache (POST /free with free_memory).
func (r *ExecRunner) Free(_, freeMemory bool) {
	if freeMemory {
		r.exec.ClearCache()
	}
}

// Run implements queue.Runner.
func (r *ExecRunner) Run(ctx context.Context, item api.QueueItem, emit func(queue.Event)) error {
	p, err := graph.ParsePrompt(item.Prompt)
	if err != nil {
		return err
	}
	res, err := graph.Validate(p, r.reg, item.Outputs)
	if err != nil {
		return err
	}
	req := executor.Request{PromptID: item.PromptID, Prompt: res.Prompt, Outputs: item.Outputs}
	if raw, ok := item.ExtraData["extra_pnginfo"]; ok {
		req.ExtraPNGInfo = raw
	}
	tr := &translator{emit: emit, started: map[string]bool{}, ui: map[string]json.RawMessage{}}
	_, err = r.exec.Run(ctx, req, tr.handle)
	return convertRunError(err)
}

// translator turns executor events into queue events.
type translator struct {
	emit    func(queue.Event)
	started map[string]bool
	ui      map[string]json.RawMessage
}

func (t *translator) handle(ev executor.Event) {
	switch d := ev.Data.(type) {
	case api.ExecutionCached:
		t.emit(queue.Event{Kind: queue.EventCached, Nodes: d.Nodes})
	case api.Executing:
		if d.Node != nil {
			t.started[*d.Node] = true
			t.emit(queue.Event{Kind: queue.EventNodeStart, Node: *d.Node, DisplayNode: d.DisplayNode})
		}
	case api.Progress:
		t.emit(queue.Event{Kind: queue.EventProgress, Node: d.Node, Value: d.Value, Max: d.Max})
	case executor.ExecutedData:
		t.ui[d.Node] = uiJSON(d.Output)
	case *api.NodeProgress:
		t.state(*d)
	case api.NodeProgress:
		t.state(d)
	case executor.PreviewData:
		f := uint32(api.ImageJPEG)
		if d.Image.Format == nodes.PreviewPNG {
			f = api.ImagePNG
		}
		t.emit(queue.Event{Kind: queue.EventPreview, Node: d.Node, Format: f, Image: d.Image.Data})
	case executor.TextData:
		t.emit(queue.Event{Kind: queue.EventText, Node: d.Node, Text: d.Text})
	}
}

// state reports a finished node: run in this prompt, or an output node
// replayed from the cache.
func (t *translator) state(s api.NodeProgress) {
	if s.State != api.NodeFinished {
		return
	}
	kind := queue.EventCachedOutput
	if t.started[s.NodeID] {
		kind = queue.EventNodeDone
	}
	t.emit(queue.Event{Kind: kind, Node: s.NodeID, DisplayNode: s.DisplayNodeID, Output: t.ui[s.NodeID]})
}

func uiJSON(ui nodes.UI) json.RawMessage {
	if ui == nil {
		return nil
	}
	b, err := json.Marshal(ui)
	if err != nil {
		return nil
	}
	return b
}

// convertRunError maps the executor's errors onto the queue's.
func convertRunError(err error) error {
	var ne *executor.NodeError
	var ie *executor.InterruptedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ie):
		return &queue.Interrupted{NodeID: ie.Data.NodeID, NodeType: ie.Data.NodeType, Executed: ie.Data.Executed}
	case errors.As(err, &ne):
		d := ne.Data
		inputs := map[string]json.RawMessage{}
		for k, v := range d.CurrentInputs {
			if b, err := json.Marshal(v); err == nil {
				inputs[k] = b
			}
		}
		return &queue.NodeError{NodeID: d.NodeID, NodeType: d.NodeType, Message: d.ExceptionMessage,
			ExceptionType: d.ExceptionType, Traceback: d.Traceback, CurrentInputs: inputs,
			CurrentOutputs: d.CurrentOutputs, Executed: d.Executed}
	}
	return err
}
