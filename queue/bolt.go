package queue

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"sumi/api"
)

// Bucket names. pending is keyed by sortKey(number, id) so that a cursor
// walks it in run order; the *_idx buckets map prompt ids to those keys.
var (
	bktPending      = []byte("pending")
	bktPendingIdx   = []byte("pending_idx")
	bktRunning      = []byte("running")
	bktHistory      = []byte("history")
	bktHistoryIdx   = []byte("history_idx")
	bktMeta         = []byte("meta")
	keyCounter      = []byte("counter")
	keyHistoryCount = []byte("history_count")
	allBuckets      = [][]byte{bktPending, bktPendingIdx, bktRunning, bktHistory, bktHistoryIdx, bktMeta}
)

// BoltStore is the embedded, crash-safe Store. No change returns before a
// bbolt transaction holding it is fsynced; concurrent changes share one
// transaction (see groupCommit).
type BoltStore struct {
	db        *bolt.DB
	gc        groupCommit
	recovered []string
	// counter is the next auto number. It lives in memory and is written
	// with each Push, so assigning a number costs no disk write; a number
	// handed out but never pushed leaves only a harmless gap.
	mu      sync.Mutex
	counter uint64
}

var _ Store = (*BoltStore)(nil)

// OpenBolt opens (or creates) the store at path and records prompts that
// were running when the previous process died as failed (see the package
// comment for why they are not re-queued).
func OpenBolt(path string) (*BoltStore, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("queue: open %s: %w", path, err)
	}
	s := &BoltStore{db: db, gc: groupCommit{db: db}}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if v := tx.Bucket(bktMeta).Get(keyCounter); len(v) == 8 {
			s.counter = binary.BigEndian.Uint64(v)
		}
		s.recovered, err = recoverRunning(tx)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("queue: open %s: %w", path, err)
	}
	return s, nil
}

// Recovered lists the prompt ids that OpenBolt found running and recorded
// as failed.
func (s *BoltStore) Recovered() []string { return s.recovered }

// Close closes the database.
func (s *BoltStore) Close() error { return s.db.Close() }

// sortKey orders by number (as a float, sign-corrected so that bytes compare
// like numbers), then by prompt id, which is ComfyUI's heap order.
func sortKey(n api.Number, id string) []byte {
	bits := math.Float64bits(float64(n))
	if bits>>63 == 1 {
		bits = ^bits
	} else {
		bits |= 1 << 63
	}
	k := make([]byte, 8, 8+len(id))
	binary.BigEndian.PutUint64(k, bits)
	return append(k, id...)
}

// NextNumber implements Queue.
func (s *BoltStore) NextNumber(front bool) (api.Number, error) {
	s.mu.Lock()
	n := s.counter
	s.counter++
	s.mu.Unlock()
	if front {
		return -api.Number(n), nil
	}
	return api.Number(n), nil
}

// Push implements Queue.
func (s *BoltStore) Push(item api.QueueItem) error {
	val, err := json.Marshal(item)
	if err != nil {
		return fmt.Errorf("queue: push %s: %w", item.PromptID, err)
	}
	id := []byte(item.PromptID)
	return s.gc.update(func(tx *bolt.Tx) error {
		if tx.Bucket(bktPendingIdx).Get(id) != nil || tx.Bucket(bktRunning).Get(id) != nil {
			return fmt.Errorf("%w: %s", ErrDuplicate, item.PromptID)
		}
		k := sortKey(item.Number, item.PromptID)
		if err := tx.Bucket(bktPending).Put(k, val); err != nil {
			return err
		}
		s.mu.Lock()
		c := s.counter
		s.mu.Unlock()
		if err := tx.Bucket(bktMeta).Put(keyCounter, binary.BigEndian.AppendUint64(nil, c)); err != nil {
			return err
		}
		return tx.Bucket(bktPendingIdx).Put(id, k)
	})
}

// Claim implements Queue. An empty queue costs no write transaction (the
// worker looks after every wake-up).
func (s *BoltStore) Claim() (api.QueueItem, bool, error) {
	var item api.QueueItem
	var ok bool
	if !s.hasPending() {
		return item, false, nil
	}
	err := s.gc.update(func(tx *bolt.Tx) error {
		// A shared commit may run this again: start from scratch.
		item, ok = api.QueueItem{}, false
		k, v := tx.Bucket(bktPending).Cursor().First()
		if k == nil {
			return nil
		}
		if err := json.Unmarshal(v, &item); err != nil {
			return fmt.Errorf("queue: corrupt pending item: %w", err)
		}
		if err := removePending(tx, []byte(item.PromptID)); err != nil {
			return err
		}
		ok = true
		return tx.Bucket(bktRunning).Put([]byte(item.PromptID), v)
	})
	return item, ok, err
}

// hasPending reports whether anything is pending; on a read error it says
// yes and lets Claim report the error.
func (s *BoltStore) hasPending() bool {
	found := true
	_ = s.db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bktPending).Cursor().First()
		found = k != nil
		return nil
	})
	return found
}

func removePending(tx *bolt.Tx, id []byte) error {
	idx := tx.Bucket(bktPendingIdx)
	k := idx.Get(id)
	if k == nil {
		return nil
	}
	if err := tx.Bucket(bktPending).Delete(k); err != nil {
		return err
	}
	return idx.Delete(id)
}

// Pending implements Queue.
func (s *BoltStore) Pending() ([]api.QueueItem, error) {
	return s.items(bktPending)
}

// Running implements Queue.
func (s *BoltStore) Running() ([]api.QueueItem, error) {
	return s.items(bktRunning)
}

func (s *BoltStore) items(bucket []byte) ([]api.QueueItem, error) {
	var out []api.QueueItem
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(_, v []byte) error {
			var it api.QueueItem
			if err := json.Unmarshal(v, &it); err != nil {
				return fmt.Errorf("queue: corrupt item in %s: %w", bucket, err)
			}
			out = append(out, it)
			return nil
		})
	})
	return out, err
}

// Counts implements Queue.
func (s *BoltStore) Counts() (pending, running int, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		pending = countKeys(tx.Bucket(bktPendingIdx))
		running = countKeys(tx.Bucket(bktRunning))
		return nil
	})
	return pending, running, err
}

// Delete implements Queue.
func (s *BoltStore) Delete(ids []string) (int, error) {
	n := 0
	err := s.gc.update(func(tx *bolt.Tx) error {
		n = 0 // a shared commit may run this again
		for _, id := range ids {
			if tx.Bucket(bktPendingIdx).Get([]byte(id)) == nil {
				continue
			}
			n++
			if err := removePending(tx, []byte(id)); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// Clear implements Queue.
func (s *BoltStore) Clear() (int, error) {
	n := 0
	err := s.gc.update(func(tx *bolt.Tx) error {
		n = countKeys(tx.Bucket(bktPendingIdx))
		for _, b := range [][]byte{bktPending, bktPendingIdx} {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(b); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

func countKeys(b *bolt.Bucket) int {
	n := 0
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}
