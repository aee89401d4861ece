package queue

import (
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// groupCommit runs write functions in shared bbolt transactions: every
// change still waits for an fsynced commit that contains it before it
// returns, but changes that arrive while a commit is in flight (concurrent
// POST /prompt requests, the worker's claim or finish) ride together in the
// next one, so the number of fsyncs no longer grows with the request rate.
// Nothing waits on a timer: a lone change commits at once.
//
// Each function behaves as if it had its own transaction: it sees the
// writes of the functions committed before it in the batch, and one that
// fails is rolled back alone (the batch is retried without it), which is
// why the functions must depend only on the transaction they are given.
type groupCommit struct {
	db      *bolt.DB
	mu      sync.Mutex
	queue   []*commitReq
	leading bool
	// commits counts transactions, for tests and benchmarks.
	commits int
}

type commitReq struct {
	fn func(*bolt.Tx) error
	// res receives errLead when this caller must run the next batch, then
	// (or only) its own result.
	res chan error
}

// errLead is the baton handed to the caller that commits the next batch.
var errLead = fmt.Errorf("queue: lead the next commit")

// update runs fn in a durable transaction, possibly shared with others.
func (g *groupCommit) update(fn func(*bolt.Tx) error) error {
	r := &commitReq{fn: fn, res: make(chan error, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, r)
	lead := !g.leading
	g.leading = true
	g.mu.Unlock()
	if lead {
		g.lead()
	}
	err := <-r.res
	if err == errLead {
		g.lead()
		err = <-r.res
	}
	return err
}

// lead commits everything queued so far, then hands the lead to the oldest
// caller still waiting, so that no caller keeps committing for others.
func (g *groupCommit) lead() {
	g.mu.Lock()
	batch := g.queue
	g.queue = nil
	g.mu.Unlock()
	g.run(batch)
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.queue) == 0 {
		g.leading = false
		return
	}
	g.queue[0].res <- errLead
}

// run commits batch in as few transactions as the failures allow.
func (g *groupCommit) run(batch []*commitReq) {
	for len(batch) > 0 {
		failed := -1
		var failure error
		err := g.db.Update(func(tx *bolt.Tx) error {
			for i, r := range batch {
				if err := safeCall(r.fn, tx); err != nil {
					failed, failure = i, err
					return err
				}
			}
			return nil
		})
		g.mu.Lock()
		g.commits++
		g.mu.Unlock()
		if failed < 0 {
			for _, r := range batch {
				r.res <- err
			}
			return
		}
		// The functions before the failed one would do the same again on
		// the same state, and the failed one would fail the same way.
		batch[failed].res <- failure
		batch = append(batch[:failed:failed], batch[failed+1:]...)
	}
}

// safeCall turns a panic in fn into an error so that a bad change cannot
// leave the lead unreleased and block every later write.
func safeCall(fn func(*bolt.Tx) error, tx *bolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("queue: write panicked: %v", p)
		}
	}()
	return fn(tx)
}

// Commits returns how many write transactions the store has committed (or
// tried to) since it was opened.
func (s *BoltStore) Commits() int {
	s.gc.mu.Lock()
	defer s.gc.mu.Unlock()
	return s.gc.commits
}
