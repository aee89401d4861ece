package server

import (
	"fmt"
	"strings"
	"testing"
)

// backlogClient is a session with no socket, to test its backlog alone.
func backlogClient(soft int) *client {
	return &client{
		lim:  Limits{SoftFrames: soft, SoftBytes: 1 << 30, MaxFrames: 1 << 20, MaxBytes: 1 << 30},
		wake: make(chan struct{}, 1), done: make(chan struct{}), coalesced: map[string]int{},
	}
}

func drainAll(c *client) []string {
	var out []string
	for {
		f, ok := c.pop()
		if !ok {
			return out
		}
		out = append(out, string(f.data))
	}
}

// TestBacklogCoalescing: below the soft limit everything is kept; above it
// a supersedable message replaces the unsent one of its kind and goes to
// the end, execution messages are all kept in order.
func TestBacklogCoalescing(t *testing.T) {
	tests := []struct {
		name string
		soft int
		in   []string // "key:payload"; key "" is an execution message
		want []string
		co   map[string]int
	}{
		{"under the soft limit", 10,
			[]string{"p:1", ":a", "p:2", "s:1"}, []string{"1", "a", "2", "s1"}, map[string]int{}},
		{"progress replaced, moved after the execution message", 1,
			[]string{":start", "p:1", ":exec", "p:2", "p:3"}, []string{"start", "exec", "3"}, map[string]int{"p": 2}},
		{"kinds coalesce separately", 1,
			[]string{":x", "p:1", "s:1", "p:2", "s:2"}, []string{"x", "2", "s2"}, map[string]int{"p": 1, "s": 1}},
		{"execution messages never dropped", 1,
			[]string{":a", ":b", ":c", ":d"}, []string{"a", "b", "c", "d"}, map[string]int{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := backlogClient(tc.soft)
			for _, m := range tc.in {
				key, data, _ := strings.Cut(m, ":")
				if key == "s" {
					data = "s" + data
				}
				c.enqueue(outFrame{data: []byte(data), key: key})
			}
			if got := drainAll(c); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("sent %v, want %v", got, tc.want)
			}
			if fmt.Sprint(c.coalesced) != fmt.Sprint(tc.co) {
				t.Errorf("coalesced %v, want %v", c.coalesced, tc.co)
			}
			if c.live != 0 || c.qBytes != 0 {
				t.Errorf("drained backlog still counts %d frames, %d bytes", c.live, c.qBytes)
			}
		})
	}
}

// TestBacklogCompacts: a long stream of coalesced progress behind a few
// execution messages does not grow the backlog's array.
func TestBacklogCompacts(t *testing.T) {
	c := backlogClient(4)
	for i := range 8 {
		c.enqueue(outFrame{data: fmt.Appendf(nil, "e%d", i)})
	}
	for i := range 100000 {
		c.enqueue(outFrame{data: fmt.Appendf(nil, "p%d", i), key: "p"})
	}
	if len(c.q) > 200 {
		t.Errorf("backlog array holds %d entries for %d live frames", len(c.q), c.live)
	}
	got := drainAll(c)
	if len(got) != 9 || got[0] != "e0" || got[7] != "e7" || got[8] != "p99999" {
		t.Errorf("sent %v, want e0..e7 and the newest progress", got)
	}
}
