package queue

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"sumi/api"
)

// Finish implements Store: the running item and its history entry change
// in one transaction.
func (s *BoltStore) Finish(id string, entry api.HistoryEntry) error {
	val, err := json.Marshal(entry)
	if err != nil {
		return fmt.Errorf("queue: finish %s: %w", id, err)
	}
	err = s.gc.update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bktRunning).Delete([]byte(id)); err != nil {
			return err
		}
		return appendHistory(tx, id, val)
	})
	if err != nil {
		return fmt.Errorf("queue: finish %s: %w", id, err)
	}
	return nil
}

// appendHistory adds an entry under the next sequence number, replacing an
// older entry with the same id, and trims the history to MaxHistory.
func appendHistory(tx *bolt.Tx, id string, val []byte) error {
	h, idx := tx.Bucket(bktHistory), tx.Bucket(bktHistoryIdx)
	if old := idx.Get([]byte(id)); old != nil {
		if err := h.Delete(old); err != nil {
			return err
		}
	} else if err := addHistoryCount(tx, 1); err != nil {
		return err
	}
	seq, err := h.NextSequence()
	if err != nil {
		return err
	}
	k := binary.BigEndian.AppendUint64(nil, seq)
	if err := h.Put(k, val); err != nil {
		return err
	}
	if err := idx.Put([]byte(id), k); err != nil {
		return err
	}
	return trimHistory(tx)
}

// historyCount is kept in the meta bucket because bbolt's Stats do not see
// changes made earlier in the same write transaction.
func historyCount(tx *bolt.Tx) int64 {
	v := tx.Bucket(bktMeta).Get(keyHistoryCount)
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

func addHistoryCount(tx *bolt.Tx, delta int64) error {
	n := max(historyCount(tx)+delta, 0)
	return tx.Bucket(bktMeta).Put(keyHistoryCount, binary.BigEndian.AppendUint64(nil, uint64(n)))
}

func trimHistory(tx *bolt.Tx) error {
	h, idx := tx.Bucket(bktHistory), tx.Bucket(bktHistoryIdx)
	for historyCount(tx) > MaxHistory {
		k, v := h.Cursor().First()
		if k == nil {
			return nil
		}
		var e api.HistoryEntry
		if err := json.Unmarshal(v, &e); err == nil {
			if err := idx.Delete([]byte(e.Prompt.PromptID)); err != nil {
				return err
			}
		}
		if err := h.Delete(k); err != nil {
			return err
		}
		if err := addHistoryCount(tx, -1); err != nil {
			return err
		}
	}
	return nil
}

// Get implements History.
func (s *BoltStore) Get(id string) (api.HistoryEntry, bool, error) {
	var e api.HistoryEntry
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		k := tx.Bucket(bktHistoryIdx).Get([]byte(id))
		if k == nil {
			return nil
		}
		v := tx.Bucket(bktHistory).Get(k)
		if v == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(v, &e)
	})
	if err != nil {
		return e, false, fmt.Errorf("queue: history %s: %w", id, err)
	}
	return e, ok, nil
}

// List implements History.
func (s *BoltStore) List(offset, max int) (api.History, error) {
	out := api.History{Entries: map[string]api.HistoryEntry{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		h := tx.Bucket(bktHistory)
		start, end := window(int(historyCount(tx)), offset, max)
		i := 0
		return h.ForEach(func(_, v []byte) error {
			defer func() { i++ }()
			if i < start || i >= end {
				return nil
			}
			var e api.HistoryEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("corrupt history entry: %w", err)
			}
			out.IDs = append(out.IDs, e.Prompt.PromptID)
			out.Entries[e.Prompt.PromptID] = e
			return nil
		})
	})
	if err != nil {
		return out, fmt.Errorf("queue: history: %w", err)
	}
	return out, nil
}

// window turns ComfyUI's offset/max_items rules into a [start, end) range
// over n entries.
func window(n, offset, max int) (int, int) {
	switch {
	case max < 0 && offset < 0:
		return 0, n
	case offset < 0:
		return clamp(n-max, 0, n), n
	case max < 0:
		return clamp(offset, 0, n), n
	}
	start := clamp(offset, 0, n)
	return start, clamp(start+max, start, n)
}

func clamp(v, lo, hi int) int {
	return min(max(v, lo), hi)
}

// DeleteHistory implements History.
func (s *BoltStore) DeleteHistory(ids []string) error {
	return s.gc.update(func(tx *bolt.Tx) error {
		h, idx := tx.Bucket(bktHistory), tx.Bucket(bktHistoryIdx)
		for _, id := range ids {
			k := idx.Get([]byte(id))
			if k == nil {
				continue
			}
			if err := h.Delete(k); err != nil {
				return err
			}
			if err := idx.Delete([]byte(id)); err != nil {
				return err
			}
			if err := addHistoryCount(tx, -1); err != nil {
				return err
			}
		}
		return nil
	})
}

// ClearHistory implements History.
func (s *BoltStore) ClearHistory() error {
	return s.gc.update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bktHistory, bktHistoryIdx} {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(b); err != nil {
				return err
			}
		}
		return tx.Bucket(bktMeta).Delete(keyHistoryCount)
	})
}
