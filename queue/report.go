package queue

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"sync"
	"time"

	"sumi/api"
)

// report turns one run's Events into ComfyUI messages and collects the
// history entry. Its methods are safe for concurrent use.
type report struct {
	mu         sync.Mutex
	item       api.QueueItem
	client     string
	pub        Publisher
	cachedSent bool
	node       string
	lastNode   [2]string // id and display id of the last node started
	executed   []string
	states     map[string]api.NodeProgress
	outputs    map[string]json.RawMessage
	meta       map[string]api.NodeMeta
	messages   []api.EventRecord
}

func newReport(item api.QueueItem, pub Publisher) *report {
	return &report{
		item: item, client: item.ClientID(), pub: pub,
		states:  map[string]api.NodeProgress{},
		outputs: map[string]json.RawMessage{},
		meta:    map[string]api.NodeMeta{},
	}
}

func nowMilli() int64 { return time.Now().UnixMilli() }

func (r *report) send(typ string, data any) {
	r.pub.Publish(Outbound{ClientID: r.client, Type: typ, Frame: Frame(typ, data)})
}

// sendRecorded sends an execution_* message and keeps it for the history.
func (r *report) sendRecorded(typ string, data any) {
	r.messages = append(r.messages, record(typ, data))
	r.send(typ, data)
}

func (r *report) start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sendRecorded(api.MsgExecutionStart, api.ExecutionStart{PromptID: r.item.PromptID, Timestamp: nowMilli()})
}

// ensureCached sends an empty execution_cached if the runner reported none,
// so that clients always see it right after execution_start.
func (r *report) ensureCached(nodes []string) {
	if r.cachedSent {
		return
	}
	r.cachedSent = true
	if nodes == nil {
		nodes = []string{}
	}
	r.sendRecorded(api.MsgExecutionCached, api.ExecutionCached{Nodes: nodes, PromptID: r.item.PromptID, Timestamp: nowMilli()})
}

// currentNode is the node that is running now, for a reconnecting client.
func (r *report) currentNode() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.node
}

func (r *report) handle(ev Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ev.Kind == EventCached {
		r.ensureCached(ev.Nodes)
		return
	}
	r.ensureCached(nil)
	if ev.DisplayNode == "" {
		ev.DisplayNode = ev.Node
	}
	switch ev.Kind {
	case EventNodeStart:
		r.node = ev.Node
		r.lastNode = [2]string{ev.Node, ev.DisplayNode}
		r.setState(ev, 0, 1, api.NodeRunning)
		r.send(api.MsgExecuting, api.Executing{Node: &ev.Node, DisplayNode: ev.DisplayNode, PromptID: r.item.PromptID})
	case EventProgress:
		r.setState(ev, float64(ev.Value), float64(ev.Max), api.NodeRunning)
		r.send(api.MsgProgress, api.Progress{Value: ev.Value, Max: ev.Max, PromptID: r.item.PromptID, Node: ev.Node})
	case EventNodeDone:
		r.executed = append(r.executed, ev.Node)
		r.node = ""
		r.output(ev)
		r.setState(ev, 1, 1, api.NodeFinished)
	case EventCachedOutput:
		r.output(ev)
		r.setState(ev, 1, 1, api.NodeFinished)
	case EventPreview:
		r.preview(ev)
	case EventText:
		r.pub.Publish(Outbound{ClientID: r.client, Type: "text", Binary: api.TextFrame(ev.Node, ev.Text)})
	}
}

// setState updates the node's progress_state entry and sends the snapshot.
// A finished node keeps its max as value, as ComfyUI reports it.
func (r *report) setState(ev Event, value, max float64, state string) {
	if state == api.NodeFinished {
		if old, ok := r.states[ev.Node]; ok && old.Max > 0 {
			max = old.Max
		}
		value = max
	}
	r.states[ev.Node] = api.NodeProgress{
		Value: value, Max: max, State: state, NodeID: ev.Node, PromptID: r.item.PromptID,
		DisplayNodeID: ev.DisplayNode, RealNodeID: ev.Node,
	}
	r.send(api.MsgProgressState, api.ProgressState{PromptID: r.item.PromptID, Nodes: maps.Clone(r.states)})
}

// output sends executed for a node with UI (always for cached output nodes)
// and keeps the UI for the history.
func (r *report) output(ev Event) {
	if ev.Output == nil && ev.Kind == EventNodeDone {
		return
	}
	out := ev.Output
	if out == nil {
		out = json.RawMessage("null")
	} else {
		r.outputs[ev.Node] = out
		r.meta[ev.Node] = api.NodeMeta{NodeID: ev.Node, DisplayNode: ev.DisplayNode, RealNodeID: ev.Node}
	}
	r.send(api.MsgExecuted, api.Executed{Node: ev.Node, DisplayNode: ev.DisplayNode, Output: out, PromptID: r.item.PromptID})
}

func (r *report) preview(ev Event) {
	meta := api.PreviewMetadata{
		NodeID: ev.Node, PromptID: r.item.PromptID, DisplayNodeID: ev.DisplayNode,
		RealNodeID: ev.Node, ImageType: api.MimeOfFormat(ev.Format),
	}
	r.pub.Publish(Outbound{ClientID: r.client, Type: "preview", Preview: &Preview{Format: ev.Format, Image: ev.Image, Meta: meta}})
}

// finish sends the closing execution_* message and returns the history entry.
func (r *report) finish(err error) api.HistoryEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ensureCached(nil)
	r.node = ""
	status := api.HistoryStatus{StatusStr: api.StatusSuccess, Completed: true}
	var ne *NodeError
	var in *Interrupted
	if errors.Is(err, context.Canceled) && !errors.As(err, &in) {
		// A runner that just returns ctx.Err() was interrupted at the
		// node it had started last.
		err = &Interrupted{NodeID: r.lastNode[0], Executed: r.executed}
	}
	switch {
	case err == nil:
		r.sendRecorded(api.MsgExecutionSuccess, api.ExecutionStart{PromptID: r.item.PromptID, Timestamp: nowMilli()})
	case errors.As(err, &in):
		status = api.HistoryStatus{StatusStr: api.StatusError}
		r.sendRecorded(api.MsgExecutionInterrupted, api.ExecutionInterrupted{
			PromptID: r.item.PromptID, NodeID: in.NodeID, NodeType: in.NodeType,
			Executed: nonNil(in.Executed), Timestamp: nowMilli(),
		})
	default:
		if !errors.As(err, &ne) {
			ne = &NodeError{Message: err.Error(), ExceptionType: "RuntimeError", Executed: r.executed}
		}
		status = api.HistoryStatus{StatusStr: api.StatusError}
		r.sendRecorded(api.MsgExecutionError, r.errorData(ne))
	}
	status.Messages = r.messages
	return api.HistoryEntry{Prompt: r.item, Outputs: r.outputs, Status: status, Meta: r.meta}
}

func (r *report) errorData(ne *NodeError) api.ExecutionError {
	msg := ne.Message
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	inputs := ne.CurrentInputs
	if inputs == nil {
		inputs = map[string]json.RawMessage{}
	}
	typ := ne.ExceptionType
	if typ == "" {
		typ = "Exception"
	}
	return api.ExecutionError{
		PromptID: r.item.PromptID, NodeID: ne.NodeID, NodeType: ne.NodeType,
		Executed: nonNil(ne.Executed), ExceptionMessage: msg, ExceptionType: typ,
		Traceback: nonNil(ne.Traceback), CurrentInputs: inputs,
		CurrentOutputs: nonNil(ne.CurrentOutputs), Timestamp: nowMilli(),
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
