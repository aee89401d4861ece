package queue

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"sumi/api"
)

func openTemp(t *testing.T) (*BoltStore, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "queue.db")
	s, err := OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func item(n float64, id string) api.QueueItem {
	return api.QueueItem{Number: api.Number(n), PromptID: id, Prompt: json.RawMessage(`{"1":{"class_type":"X","inputs":{}}}`),
		ExtraData: api.ExtraData{"client_id": json.RawMessage(`"c"`)}, Outputs: []string{"1"}}
}

func ids(items []api.QueueItem) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, it.PromptID)
	}
	return out
}

func TestClaimOrder(t *testing.T) {
	tests := []struct {
		name  string
		items []api.QueueItem
		want  []string
	}{
		{"by number", []api.QueueItem{item(2, "a"), item(0, "b"), item(1, "c")}, []string{"b", "c", "a"}},
		{"front (negative) first", []api.QueueItem{item(3, "a"), item(-4, "b"), item(-5, "c")}, []string{"c", "b", "a"}},
		{"ties by prompt id", []api.QueueItem{item(1, "zz"), item(1, "aa"), item(1, "mm")}, []string{"aa", "mm", "zz"}},
		{"fractions", []api.QueueItem{item(1.5, "a"), item(1.25, "b"), item(-0.5, "c")}, []string{"c", "b", "a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := openTemp(t)
			for _, it := range tc.items {
				if err := s.Push(it); err != nil {
					t.Fatal(err)
				}
			}
			var got []string
			for {
				it, ok, err := s.Claim()
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					break
				}
				got = append(got, it.PromptID)
				if err := s.Finish(it.PromptID, api.HistoryEntry{Prompt: it}); err != nil {
					t.Fatal(err)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("claim order %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPushDuplicate(t *testing.T) {
	s, _ := openTemp(t)
	if err := s.Push(item(0, "x")); err != nil {
		t.Fatal(err)
	}
	if err := s.Push(item(1, "x")); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("second push: %v, want ErrDuplicate", err)
	}
	s.Claim()
	if err := s.Push(item(1, "x")); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("push while running: %v, want ErrDuplicate", err)
	}
}

func TestNextNumberPersists(t *testing.T) {
	s, path := openTemp(t)
	for want := 0; want < 3; want++ {
		n, _ := s.NextNumber(false)
		if int(n) != want {
			t.Fatalf("number %v, want %d", n, want)
		}
	}
	n, _ := s.NextNumber(true)
	if n != -3 {
		t.Fatalf("front number %v, want -3", n)
	}
	// The counter is saved with the items that use it.
	if err := s.Push(item(float64(n), "front")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if n, _ := s2.NextNumber(false); n != 4 {
		t.Fatalf("number after reopen %v, want 4", n)
	}
}

func TestDeleteAndClear(t *testing.T) {
	s, _ := openTemp(t)
	for i, id := range []string{"a", "b", "c", "d"} {
		s.Push(item(float64(i), id))
	}
	if n, _ := s.Delete([]string{"b", "nope", "d"}); n != 2 {
		t.Fatalf("deleted %d, want 2", n)
	}
	p, _ := s.Pending()
	if got := ids(p); !reflect.DeepEqual(got, []string{"a", "c"}) {
		t.Fatalf("pending %v", got)
	}
	if n, _ := s.Clear(); n != 2 {
		t.Fatalf("cleared %d, want 2", n)
	}
	if p, _ := s.Pending(); len(p) != 0 {
		t.Fatalf("pending after clear: %v", ids(p))
	}
	if err := s.Push(item(0, "a")); err != nil {
		t.Fatalf("push after clear: %v", err)
	}
}

func TestHistoryWindow(t *testing.T) {
	s, _ := openTemp(t)
	for i := 0; i < 5; i++ {
		id := fmt.Sprint("p", i)
		s.Push(item(float64(i), id))
		s.Claim()
		s.Finish(id, api.HistoryEntry{Prompt: item(float64(i), id)})
	}
	tests := []struct {
		offset, max int
		want        []string
	}{
		{-1, -1, []string{"p0", "p1", "p2", "p3", "p4"}},
		{-1, 2, []string{"p3", "p4"}},
		{1, 2, []string{"p1", "p2"}},
		{3, -1, []string{"p3", "p4"}},
		{9, 2, nil},
		{-1, 0, nil},
		{-1, 50, []string{"p0", "p1", "p2", "p3", "p4"}},
	}
	for _, tc := range tests {
		h, err := s.List(tc.offset, tc.max)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(h.IDs, tc.want) {
			t.Errorf("List(%d, %d) = %v, want %v", tc.offset, tc.max, h.IDs, tc.want)
		}
	}
	s.DeleteHistory([]string{"p1", "zzz"})
	if _, ok, _ := s.Get("p1"); ok {
		t.Fatal("p1 still in history")
	}
	if e, ok, _ := s.Get("p2"); !ok || e.Prompt.PromptID != "p2" {
		t.Fatal("p2 lost")
	}
	s.ClearHistory()
	if h, _ := s.List(-1, -1); len(h.IDs) != 0 {
		t.Fatalf("history after clear: %v", h.IDs)
	}
}

func TestRecoverRunningAsFailed(t *testing.T) {
	s, path := openTemp(t)
	s.Push(item(0, "done"))
	s.Push(item(1, "running"))
	s.Push(item(2, "pending"))
	s.Claim()
	s.Finish("done", api.HistoryEntry{Prompt: item(0, "done"), Status: api.HistoryStatus{StatusStr: api.StatusSuccess, Completed: true}})
	s.Claim() // "running" stays running: the process "dies" here
	s.Close()

	s2, err := OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got := s2.Recovered(); !reflect.DeepEqual(got, []string{"running"}) {
		t.Fatalf("recovered %v", got)
	}
	if r, _ := s2.Running(); len(r) != 0 {
		t.Fatalf("still running: %v", ids(r))
	}
	if p, _ := s2.Pending(); !reflect.DeepEqual(ids(p), []string{"pending"}) {
		t.Fatalf("pending %v", ids(p))
	}
	e, ok, _ := s2.Get("running")
	if !ok || e.Status.StatusStr != api.StatusError || e.Status.Completed {
		t.Fatalf("interrupted entry %+v", e.Status)
	}
	last := e.Status.Messages[len(e.Status.Messages)-1]
	var data api.ExecutionError
	json.Unmarshal(last.Data, &data)
	if last.Event != api.MsgExecutionError || data.ExceptionType != ExceptionServerRestarted || data.PromptID != "running" {
		t.Fatalf("last message %s %+v", last.Event, data)
	}
	if e, ok, _ := s2.Get("done"); !ok || e.Status.StatusStr != api.StatusSuccess {
		t.Fatal("finished entry lost")
	}
}

func TestHistoryLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 10002 history entries")
	}
	s, _ := openTemp(t)
	s.db.NoSync = true
	for i := 0; i < MaxHistory+2; i++ {
		id := fmt.Sprint("p", i)
		s.Push(item(float64(i), id))
		s.Claim()
		s.Finish(id, api.HistoryEntry{Prompt: item(float64(i), id)})
	}
	h, _ := s.List(-1, -1)
	if len(h.IDs) != MaxHistory || h.IDs[0] != "p2" {
		t.Fatalf("history len %d first %s", len(h.IDs), h.IDs[0])
	}
}
