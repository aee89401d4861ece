package queue

import (
	"errors"

	"sumi/api"
)

// ErrDuplicate is returned by Push when the prompt id is already pending or
// running (clients may choose prompt ids).
var ErrDuplicate = errors.New("queue: prompt id already queued")

// MaxHistory is how many history entries are kept; the oldest is dropped
// when a finishing prompt would exceed it (ComfyUI's limit).
const MaxHistory = 10000

// Queue holds pending and running prompts.
type Queue interface {
	// NextNumber assigns the priority of a prompt queued without an
	// explicit number: a growing counter, negated for front items.
	NextNumber(front bool) (api.Number, error)
	// Push adds a pending item durably.
	Push(item api.QueueItem) error
	// Claim moves the pending item with the lowest (number, prompt_id) to
	// running; ok is false when nothing is pending.
	Claim() (item api.QueueItem, ok bool, err error)
	// Pending lists pending items in run order.
	Pending() ([]api.QueueItem, error)
	// Running lists running items (at most one with the single worker).
	Running() ([]api.QueueItem, error)
	// Counts returns how many items are pending and running, cheaply.
	Counts() (pending, running int, err error)
	// Delete removes the named pending items; unknown ids are ignored.
	Delete(ids []string) (int, error)
	// Clear removes every pending item.
	Clear() (int, error)
}

// History holds finished prompts in completion order.
type History interface {
	// Get returns one entry.
	Get(id string) (api.HistoryEntry, bool, error)
	// List returns entries: all when max < 0, the last max when offset < 0,
	// else up to max (all when max < 0) starting at offset (oldest first).
	List(offset, max int) (api.History, error)
	// DeleteHistory removes entries; unknown ids are ignored.
	DeleteHistory(ids []string) error
	// ClearHistory removes every entry.
	ClearHistory() error
}

// Store is a Queue and a History that can move a running item to the
// history atomically, so that a crash never loses or duplicates it.
type Store interface {
	Queue
	History
	// Finish removes the running item id and appends its history entry
	// in one durable step.
	Finish(id string, entry api.HistoryEntry) error
	// Close releases the store.
	Close() error
}
