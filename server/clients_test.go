package server

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// smallPrompt is a one-output prompt; color makes each prompt unique so
// nothing is served from the cache.
func smallPrompt(color int, clientID string) map[string]any {
	body := map[string]any{"prompt": map[string]any{
		"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 8, "height": 8, "batch_size": 1, "color": color}},
		"2": map[string]any{"class_type": "ImageInvert", "inputs": map[string]any{"image": []any{"1", 0}}},
		"3": map[string]any{"class_type": "PreviewImage", "inputs": map[string]any{"images": []any{"2", 0}}},
	}}
	if clientID != "" {
		body["client_id"] = clientID
	}
	return body
}

// TestThreeClients has three sockets submit prompts concurrently: each must
// see the execution messages of its own prompts only, and every status
// broadcast.
func TestThreeClients(t *testing.T) {
	h := newHarness(t)
	const perClient = 4
	clients := []*wsClient{h.dial("c1"), h.dial("c2"), h.dial("c3")}
	owner := map[string]string{} // prompt id -> client
	var mu sync.Mutex
	var wg sync.WaitGroup
	for ci, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perClient; i++ {
				code, out, _ := h.do("POST", "/prompt", smallPrompt(ci*100+i, c.sid))
				if code != 200 {
					t.Errorf("POST /prompt: %d %s", code, out)
					return
				}
				mu.Lock()
				owner[string(out[len(`{"prompt_id":"`):len(`{"prompt_id":"`)+36])] = c.sid
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for id, sid := range owner {
		for _, c := range clients {
			if c.sid == sid {
				c.waitFor(endOf(id), 10*time.Second)
			}
		}
	}
	for _, c := range clients {
		c.waitFor(func(f frame) bool {
			return f.Type == "status" && shape(f.Type, f.Data, nil) == "status keys=status remaining=0"
		}, 5*time.Second)
	}
	time.Sleep(50 * time.Millisecond)
	statuses := -1
	for _, c := range clients {
		n := checkOwnMessages(t, c, owner)
		if statuses >= 0 && n != statuses {
			t.Errorf("client %s saw %d status broadcasts, another saw %d", c.sid, n, statuses)
		}
		statuses = n
	}
	// Each prompt causes 3 broadcasts: queued, taken, finished.
	if want := 3 * 3 * perClient; statuses != want {
		t.Errorf("status broadcasts per client %d, want %d", statuses, want)
	}
}

// checkOwnMessages verifies that every prompt-bound message c received
// belongs to one of c's prompts, that each of them ended exactly once, and
// returns how many status messages c saw after the greeting.
func checkOwnMessages(t *testing.T, c *wsClient, owner map[string]string) int {
	t.Helper()
	ends := map[string]int{}
	statuses := 0
	for _, f := range c.take() {
		if f.Type == "status" {
			if _, greeting := f.Data["sid"]; !greeting {
				statuses++
			}
			continue
		}
		pid := fmt.Sprint(f.Data["prompt_id"])
		if owner[pid] != c.sid {
			t.Errorf("client %s got %s of prompt %s owned by %q", c.sid, f.Type, pid, owner[pid])
		}
		if f.Type == "executing" && f.Data["node"] == nil {
			ends[pid]++
		}
	}
	for pid, sid := range owner {
		if sid == c.sid && ends[pid] != 1 {
			t.Errorf("client %s saw %d ends of its prompt %s", c.sid, ends[pid], pid)
		}
	}
	return statuses
}
