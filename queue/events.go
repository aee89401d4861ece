package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"sumi/api"
)

// Runner executes one prompt: it reports through emit (from any goroutine,
// but never after Run returns) and returns nil, a *NodeError or an
// *Interrupted. Cancelling ctx is how /interrupt reaches it.
type Runner interface {
	Run(ctx context.Context, item api.QueueItem, emit func(Event)) error
}

// RunnerFunc adapts a function to Runner.
type RunnerFunc func(ctx context.Context, item api.QueueItem, emit func(Event)) error

// Run implements Runner.
func (f RunnerFunc) Run(ctx context.Context, item api.QueueItem, emit func(Event)) error {
	return f(ctx, item, emit)
}

// EventKind says what an Event reports.
type EventKind int

// The events a Runner reports, in the order they happen.
const (
	// EventCached lists every node of the prompt served from the cache.
	EventCached EventKind = iota + 1
	// EventNodeStart: Node starts running.
	EventNodeStart
	// EventProgress: Node reached step Value of Max.
	EventProgress
	// EventNodeDone: Node finished; Output is its UI (nil when none).
	EventNodeDone
	// EventCachedOutput: output Node was served from the cache; Output is
	// its cached UI, nil when it has none (sent as "output": null).
	EventCachedOutput
	// EventPreview: Node produced a preview image.
	EventPreview
	// EventText: Node reported progress text.
	EventText
)

// Event is one thing a Runner reports.
type Event struct {
	Kind        EventKind
	Node        string
	DisplayNode string // defaults to Node
	Nodes       []string
	Value, Max  int
	Output      json.RawMessage
	// Format (api.ImageJPEG or api.ImagePNG) and Image carry a preview.
	Format uint32
	Image  []byte
	Text   string
}

// ErrInterrupted is matched by *Interrupted through errors.Is.
var ErrInterrupted = errors.New("queue: interrupted")

// NodeError is a Runner's report that a node failed.
type NodeError struct {
	NodeID, NodeType string
	Message          string // exception_message; a trailing newline is added if missing
	ExceptionType    string
	Traceback        []string
	CurrentInputs    map[string]json.RawMessage
	CurrentOutputs   []string
	Executed         []string
}

func (e *NodeError) Error() string {
	return fmt.Sprintf("queue: node %s (%s): %s", e.NodeID, e.NodeType, e.Message)
}

// Interrupted is a Runner's report that the prompt was stopped before
// NodeID started (or while it ran).
type Interrupted struct {
	NodeID, NodeType string
	Executed         []string
}

func (e *Interrupted) Error() string {
	return fmt.Sprintf("queue: interrupted at node %s (%s)", e.NodeID, e.NodeType)
}

// Is makes errors.Is(err, ErrInterrupted) true.
func (e *Interrupted) Is(target error) bool { return target == ErrInterrupted }

// Outbound is one websocket delivery. ClientID is the prompt's client ("" when
// it has none); the receiving side decides, by Type, whether it goes to that
// client only or to everyone (the rules of ComfyUI's server). Exactly one of
// Frame (an encoded text message), Preview or Binary is set.
type Outbound struct {
	ClientID string
	Type     string
	Frame    []byte
	Preview  *Preview
	Binary   []byte
}

// Preview is an encoded preview image; the hub frames it as type 1 or 4
// depending on what each client announced.
type Preview struct {
	Format uint32
	Image  []byte
	Meta   api.PreviewMetadata
}

// Publisher fans Outbound messages out to websocket sessions. Publish must
// not block on slow receivers.
type Publisher interface {
	Publish(Outbound)
}

// Frame encodes a text message once, so that every recipient gets the same
// bytes.
func Frame(typ string, data any) []byte {
	b, err := json.Marshal(api.Message{Type: typ, Data: data})
	if err != nil {
		panic(fmt.Sprintf("queue: marshal %s: %v", typ, err))
	}
	return b
}
