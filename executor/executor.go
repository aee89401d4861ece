package executor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"sumi/api"
	"sumi/graph"
	"sumi/nodes"
)

// ErrInterrupted is matched (errors.Is) by the error of an interrupted run.
var ErrInterrupted = errors.New("executor: interrupted")

// Executor runs prompts one at a time against a registry, keeping the
// output cache between them. It is safe for concurrent use; runs are
// serialised.
type Executor struct {
	reg *nodes.Registry
	// Now is the clock for event timestamps; tests may replace it.
	Now func() time.Time

	mu    sync.Mutex
	cache map[sigKey]*entry
}

// entry is one cached node result.
type entry struct {
	outputs []any
	ui      nodes.UI
}

// New returns an executor with an empty cache.
func New(reg *nodes.Registry) *Executor {
	return &Executor{reg: reg, Now: time.Now, cache: map[sigKey]*entry{}}
}

// Request is one validated prompt to run.
type Request struct {
	// PromptID names the run in every event.
	PromptID string
	// Prompt is graph.Validate's Result.Prompt (constants coerced, links typed).
	Prompt *graph.Prompt
	// Outputs are the output nodes to execute (Result.Outputs).
	Outputs []string
	// ExtraPNGInfo is extra_data.extra_pnginfo as JSON, or nil.
	ExtraPNGInfo json.RawMessage
}

// Result is what a run produced.
type Result struct {
	// Outputs holds the UI of every output node that has one, including
	// those replayed from the cache (the history entry's "outputs").
	Outputs map[string]nodes.UI
	// Executed lists the nodes that ran (not cache hits), in order.
	Executed []string
}

// NodeError is a node's failure: it carries the execution_error data.
type NodeError struct {
	Data ErrorData
	Err  error
}

// Error describes the failure.
func (e *NodeError) Error() string {
	return fmt.Sprintf("executor: node %s (%s): %v", e.Data.NodeID, e.Data.NodeType, e.Err)
}

// Unwrap returns the node's error.
func (e *NodeError) Unwrap() error { return e.Err }

// InterruptedError is an interrupted run; errors.Is(err, ErrInterrupted) holds.
type InterruptedError struct {
	Data api.ExecutionInterrupted
}

// Error describes the interruption.
func (e *InterruptedError) Error() string {
	return fmt.Sprintf("executor: interrupted at node %s (%s)", e.Data.NodeID, e.Data.NodeType)
}

// Is matches ErrInterrupted.
func (e *InterruptedError) Is(target error) bool { return target == ErrInterrupted }

// Run executes the request, reporting through emit (called synchronously
// from Run's goroutine; it must not block for long). It returns a
// *NodeError when a node fails (after emitting execution_error), an
// *InterruptedError when ctx is cancelled (after execution_interrupted), or
// nil after execution_success. Every run ends with the final
// executing {"node": null} event. Other errors mean the request was unusable.
func (e *Executor) Run(ctx context.Context, req Request, emit func(Event)) (*Result, error) {
	if emit == nil {
		emit = func(Event) {}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	r, err := e.newRun(ctx, req, emit)
	if err != nil {
		return nil, err
	}
	defer r.emit(EventExecuting, api.Executing{PromptID: req.PromptID})
	r.emit(EventExecutionStart, api.ExecutionStart{PromptID: req.PromptID, Timestamp: r.now()})
	r.prepare()
	r.emit(EventExecutionCached, api.ExecutionCached{Nodes: r.cachedAtStart, PromptID: req.PromptID, Timestamp: r.now()})
	order, err := graph.ExecutionOrder(req.Prompt, e.reg, req.Outputs, r.isCached)
	if err != nil {
		return nil, r.orderFailed(err)
	}
	for _, id := range order {
		if err := r.step(id); err != nil {
			return nil, err
		}
	}
	r.emit(EventExecutionSuccess, api.ExecutionStart{PromptID: req.PromptID, Timestamp: r.now()})
	return &Result{Outputs: r.ui, Executed: r.executed}, nil
}

// ClearCache drops every cached output (e.g. POST /free).
func (e *Executor) ClearCache() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cache = map[sigKey]*entry{}
}

// CacheSize is the number of cached node results.
func (e *Executor) CacheSize() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.cache)
}
