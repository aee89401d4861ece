package queue

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestGroupCommitIsolation runs one batch whose middle functions fail (one
// after writing, one by panicking): the others commit, in order, and the
// failed ones leave no trace and get their own errors.
func TestGroupCommitIsolation(t *testing.T) {
	s, path := openTemp(t)
	errBoom := errors.New("boom")
	put := func(k, v string) func(*bolt.Tx) error {
		return func(tx *bolt.Tx) error { return tx.Bucket(bktMeta).Put([]byte(k), []byte(v)) }
	}
	batch := []*commitReq{
		{fn: put("a", "1")},
		{fn: func(tx *bolt.Tx) error {
			if err := put("bad", "x")(tx); err != nil {
				return err
			}
			return errBoom
		}},
		{fn: func(tx *bolt.Tx) error {
			// Sees the first function's write, as in sequential transactions.
			if v := tx.Bucket(bktMeta).Get([]byte("a")); string(v) != "1" {
				return fmt.Errorf("a = %q before me", v)
			}
			return put("b", "2")(tx)
		}},
		{fn: func(*bolt.Tx) error { panic("oops") }},
		{fn: put("a", "3")},
	}
	for _, r := range batch {
		r.res = make(chan error, 1)
	}
	before := s.Commits()
	s.gc.run(batch)
	want := []error{nil, errBoom, nil, errors.New("panic"), nil}
	for i, r := range batch {
		got := <-r.res
		if (got == nil) != (want[i] == nil) || (i == 1 && !errors.Is(got, errBoom)) {
			t.Errorf("function %d: err %v, want %v", i, got, want[i])
		}
	}
	if n := s.Commits() - before; n != 3 {
		t.Errorf("%d transactions for two failures, want 3", n)
	}
	s.Close()
	s2, err := OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	_ = s2.db.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bktMeta)
		if a, b, bad := m.Get([]byte("a")), m.Get([]byte("b")), m.Get([]byte("bad")); string(a) != "3" || string(b) != "2" || bad != nil {
			t.Errorf("after reopen a=%q b=%q bad=%q, want 3, 2, none", a, b, bad)
		}
		return nil
	})
}

// TestGroupCommitConcurrentPush: concurrent pushes all persist, a duplicate
// among them fails alone, and they share transactions.
func TestGroupCommitConcurrentPush(t *testing.T) {
	s, path := openTemp(t)
	const n = 64
	errs := make([]error, n+1)
	var wg sync.WaitGroup
	before := s.Commits()
	for i := 0; i <= n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprint("p", i)
			if i == n {
				id = "p0" // the duplicate
			}
			errs[i] = s.Push(item(float64(i), id))
		}()
	}
	wg.Wait()
	dups := 0
	for i, err := range errs {
		switch {
		case errors.Is(err, ErrDuplicate):
			dups++
			if i != 0 && i != n {
				t.Errorf("push %d: %v", i, err)
			}
		case err != nil:
			t.Errorf("push %d: %v", i, err)
		}
	}
	if dups != 1 {
		t.Errorf("%d duplicate errors, want 1", dups)
	}
	commits := s.Commits() - before
	t.Logf("%d pushes in %d transactions", n+1, commits)
	if commits > n+1 {
		t.Errorf("%d transactions for %d pushes", commits, n+1)
	}
	s.Close()
	s2, err := OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if p, _, _ := s2.Counts(); p != n {
		t.Errorf("%d pending after reopen, want %d", p, n)
	}
}
