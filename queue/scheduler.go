package queue

import (
	"context"
	"fmt"
	"log"
	"sync"

	"sumi/api"
)

// Scheduler is the one worker: it takes pending prompts in order, runs them
// through the Runner, records them in the history and tells websocket
// clients about every change of the queue.
type Scheduler struct {
	store  Store
	runner Runner
	pub    Publisher
	wake   chan struct{}
	// Logf reports problems that have no client to go to (store errors).
	Logf func(format string, args ...any)

	mu      sync.Mutex
	current *runState
}

// runState is the prompt the worker runs now.
type runState struct {
	item   api.QueueItem
	cancel context.CancelFunc
	rep    *report
}

// NewScheduler wires a store, a runner and a publisher together. Call Run
// to start working.
func NewScheduler(store Store, runner Runner, pub Publisher) *Scheduler {
	return &Scheduler{store: store, runner: runner, pub: pub, wake: make(chan struct{}, 1), Logf: log.Printf}
}

// Store returns the scheduler's store, for the read-only routes.
func (s *Scheduler) Store() Store { return s.store }

// Submit queues an item durably, then tells every client the new queue size.
func (s *Scheduler) Submit(item api.QueueItem) error {
	if err := s.store.Push(item); err != nil {
		return err
	}
	s.BroadcastStatus()
	s.poke()
	return nil
}

// Delete removes pending items and, when any was removed, broadcasts the
// new queue size (ComfyUI stays silent when nothing matched).
func (s *Scheduler) Delete(ids []string) error {
	n, err := s.store.Delete(ids)
	if n > 0 {
		s.BroadcastStatus()
	}
	return err
}

// Clear empties the pending queue and broadcasts the new queue size.
func (s *Scheduler) Clear() error {
	_, err := s.store.Clear()
	s.BroadcastStatus()
	return err
}

// Interrupt stops the running prompt; with a non-empty promptID only if that
// is the one running. Interrupting while idle does nothing, so it never
// affects the next prompt.
func (s *Scheduler) Interrupt(promptID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != nil && (promptID == "" || promptID == s.current.item.PromptID) {
		s.current.cancel()
	}
}

// Current returns the running item and the node it is executing ("" between
// nodes); ok is false when idle.
func (s *Scheduler) Current() (item api.QueueItem, node string, ok bool) {
	s.mu.Lock()
	cur := s.current
	s.mu.Unlock()
	if cur == nil {
		return api.QueueItem{}, "", false
	}
	return cur.item, cur.rep.currentNode(), true
}

// Remaining is queue_remaining: pending plus running items.
func (s *Scheduler) Remaining() int {
	p, r, err := s.store.Counts()
	if err != nil {
		s.Logf("queue: count: %v", err)
	}
	return p + r
}

// StatusFrame encodes a status message carrying the current queue size.
func (s *Scheduler) StatusFrame(sid string) []byte {
	return Frame(api.MsgStatus, api.StatusData{Status: api.PromptInfo{ExecInfo: api.ExecInfo{QueueRemaining: s.Remaining()}}, SID: sid})
}

// BroadcastStatus sends the queue size to every client.
func (s *Scheduler) BroadcastStatus() {
	s.pub.Publish(Outbound{Type: api.MsgStatus, Frame: s.StatusFrame("")})
}

func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run works until ctx is cancelled.
func (s *Scheduler) Run(ctx context.Context) {
	for ctx.Err() == nil {
		item, ok, err := s.store.Claim()
		if err != nil {
			s.Logf("queue: claim: %v", err)
		}
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-s.wake:
			}
			continue
		}
		s.execute(ctx, item)
	}
}

// execute runs one claimed item and moves it to the history. The message
// order matches ComfyUI: status, execution_*, ..., status, executing null.
func (s *Scheduler) execute(ctx context.Context, item api.QueueItem) {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	rep := newReport(item, s.pub)
	s.mu.Lock()
	s.current = &runState{item: item, cancel: cancel, rep: rep}
	s.mu.Unlock()

	s.BroadcastStatus()
	rep.start()
	err := s.runSafely(runCtx, item, rep.handle)
	entry := rep.finish(err)
	if ferr := s.store.Finish(item.PromptID, entry); ferr != nil {
		s.Logf("queue: %v", ferr)
	}
	s.mu.Lock()
	s.current = nil
	s.mu.Unlock()
	s.BroadcastStatus()
	rep.send(api.MsgExecuting, api.Executing{PromptID: item.PromptID})
}

// runSafely turns a panicking runner into a failed prompt instead of a dead
// server.
func (s *Scheduler) runSafely(ctx context.Context, item api.QueueItem, emit func(Event)) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &NodeError{Message: fmt.Sprintf("panic: %v", p), ExceptionType: "RuntimeError"}
		}
	}()
	return s.runner.Run(ctx, item, emit)
}
