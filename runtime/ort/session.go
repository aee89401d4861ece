package ort

import (
	"context"
	"errors"
	"fmt"
	"sync"

	ortgo "github.com/yalue/onnxruntime_go"

	"sumi/runtime/onnx"
)

// ErrClosed is returned by Run on a session that was closed (or freed from
// a Cache).
var ErrClosed = errors.New("ort: session is closed")

// Session is one loaded model. Run may be called from several goroutines at
// once (ONNX Runtime sessions are thread-safe); Close waits for running
// calls to finish.
type Session struct {
	inputs, outputs []string
	// bound are the values of the model inputs the session feeds itself,
	// after the caller's inputs (bound.go).
	bound *boundInputs

	mu     sync.RWMutex
	s      *ortgo.DynamicAdvancedSession
	closed bool
}

// NewSession creates a session from in-memory model bytes. dataDir is the
// folder that the model's external-data locations are relative to (usually
// the checkpoint's directory); no model file is ever written. inputs and
// outputs name the tensors Run feeds and fetches, in order.
func NewSession(model []byte, dataDir string, inputs, outputs []string, opts Options) (*Session, error) {
	return newSession(model, dataDir, inputs, outputs, opts, nil)
}

func newSession(model []byte, dataDir string, inputs, outputs []string, opts Options, bound []Bound) (*Session, error) {
	if err := initialized(); err != nil {
		return nil, err
	}
	if len(inputs) == 0 || len(outputs) == 0 {
		return nil, fmt.Errorf("ort: new session: need at least one input and one output")
	}
	bv, err := newBoundInputs(bound)
	if err != nil {
		return nil, fmt.Errorf("ort: new session: %w", err)
	}
	so, err := opts.sessionOptions(dataDir)
	if err != nil {
		bv.destroy()
		return nil, fmt.Errorf("ort: new session: %w", err)
	}
	defer so.Destroy()
	s, err := ortgo.NewDynamicAdvancedSessionWithONNXData(model, append(append([]string{}, inputs...), bv.names...), outputs, so)
	if err != nil {
		bv.destroy()
		return nil, fmt.Errorf("ort: new session: %w", err)
	}
	return &Session{inputs: append([]string{}, inputs...), outputs: append([]string{}, outputs...), bound: bv, s: s}, nil
}

// NewSessionFromGraph marshals g and creates a session over all its inputs
// and outputs. The inputs named by bound are fed by the session itself on
// every Run; Inputs and Run cover the others, in declaration order.
func NewSessionFromGraph(g *onnx.Graph, dataDir string, opts Options, bound ...Bound) (*Session, error) {
	model, err := g.Marshal()
	if err != nil {
		return nil, fmt.Errorf("ort: %w", err)
	}
	fed := map[string]bool{}
	for _, b := range bound {
		fed[b.Name] = true
	}
	var inputs []string
	for _, name := range g.InputNames() {
		if !fed[name] {
			inputs = append(inputs, name)
		}
		delete(fed, name)
	}
	if len(fed) > 0 {
		return nil, fmt.Errorf("ort: new session: %d bound values name no input of the graph", len(fed))
	}
	return newSession(model, dataDir, inputs, g.OutputNames(), opts, bound)
}

// Inputs lists the input names Run expects, in order.
func (s *Session) Inputs() []string { return append([]string{}, s.inputs...) }

// Outputs lists the output names Run fills, in order.
func (s *Session) Outputs() []string { return append([]string{}, s.outputs...) }

// Close releases the session; it waits for running calls and is idempotent.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.s.Destroy()
	s.bound.destroy()
	if err != nil {
		return fmt.Errorf("ort: close session: %w", err)
	}
	return nil
}

// Run computes outputs from inputs, both in the session's order. Each
// output must be preallocated with its dtype and shape (NewTensor); ORT
// writes straight into its Data. A nil output is allocated by ORT, which
// works only for float32 and int64 outputs of rank >= 1 (see sdxl.md §7.7).
// Cancelling ctx terminates a running model.
func (s *Session) Run(ctx context.Context, inputs, outputs []*Tensor) error {
	if len(inputs) != len(s.inputs) || len(outputs) != len(s.outputs) {
		return fmt.Errorf("ort: run: got %d inputs and %d outputs, session has %d and %d",
			len(inputs), len(outputs), len(s.inputs), len(s.outputs))
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	b := &binding{}
	defer b.destroy()
	if err := b.bind(s.inputs, inputs, s.outputs, outputs); err != nil {
		return fmt.Errorf("ort: run: %w", err)
	}
	if err := s.runValues(ctx, append(b.in, s.bound.inputs()...), b.out); err != nil {
		return err
	}
	if err := b.collect(outputs); err != nil {
		return fmt.Errorf("ort: run: %w", err)
	}
	return nil
}

// runValues runs the model, wiring ctx cancellation to RunOptions.Terminate.
func (s *Session) runValues(ctx context.Context, in, out []ortgo.Value) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ro, err := ortgo.NewRunOptions()
	if err != nil {
		return fmt.Errorf("ort: run: %w", err)
	}
	defer ro.Destroy()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-ctx.Done():
			ro.Terminate()
		case <-done:
		}
	}()
	err = s.s.RunWithOptions(in, out, ro)
	close(done)
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("ort: run: %w", err)
	}
	return nil
}
