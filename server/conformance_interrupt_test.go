package server

import (
	"encoding/json"
	"testing"
	"time"
)

// replayInterrupted reproduces the recorded interrupt scenario: two slow
// prompts, a global interrupt during node 2 of the first (noticed when node
// 3 is about to start), a too-late queue delete of the second and an
// interrupt by prompt id that stops it in node 1.
func replayInterrupted(t *testing.T, h *harness, a, b *wsClient, sc scenario) {
	post1, post2 := sc.exchange(t, "post_prompt_slow1"), sc.exchange(t, "post_prompt_slow2")
	code, r1 := h.postPrompt(post1.Request.Body)
	checkPostAnswer(t, code, r1, post1)
	p1 := r1["prompt_id"].(string)
	a.waitFor(executingNode(p1, "1"), 5*time.Second)
	code, r2 := h.postPrompt(post2.Request.Body)
	checkPostAnswer(t, code, r2, post2)
	p2 := r2["prompt_id"].(string)

	checkBusyQueue(t, h, p1, p2)
	a.waitFor(executingNode(p1, "2"), 5*time.Second)
	if code, body, _ := h.do("POST", "/interrupt", map[string]any{}); code != 200 || len(body) != 0 {
		t.Fatalf("POST /interrupt: %d %q", code, body)
	}
	a.waitFor(executingNode(p2, "1"), 5*time.Second)
	if code, _, _ := h.do("POST", "/queue", map[string]any{"delete": []string{p2}}); code != 200 {
		t.Fatalf("POST /queue delete: %d", code)
	}
	if code, _, _ := h.do("POST", "/interrupt", map[string]any{"prompt_id": p2}); code != 200 {
		t.Fatalf("POST /interrupt prompt_id: %d", code)
	}
	a.waitFor(endOf(p2), 5*time.Second)
	b.waitFor(func(f frame) bool { return shape(f.Type, f.Data, nil) == "status keys=status remaining=0" }, 5*time.Second)
	time.Sleep(30 * time.Millisecond)

	rec1, rec2 := promptIDOf(t, post1), promptIDOf(t, post2)
	ids := map[string]string{p1: "P1", p2: "P2"}
	recIDs := map[string]string{rec1: "P1", rec2: "P2"}
	compareShapes(t, "socket A", ourShapes(a.take(), ids), recordedShapes(sc.frames(t, "ws_A_clientId_"+clientA), recIDs))
	compareShapes(t, "socket B", ourShapes(b.take(), ids), recordedShapes(sc.frames(t, "ws_B_no_clientId"), recIDs))
	compareHistory(t, h.waitHistory(p1), recordedEntry(t, sc.exchange(t, "history_slow1")), post1.Request.Body)
	compareHistory(t, h.waitHistory(p2), recordedEntry(t, sc.exchange(t, "history_slow2")), post2.Request.Body)
}

func promptIDOf(t *testing.T, e exchange) string {
	var m map[string]any
	json.Unmarshal(e.Response.JSON, &m)
	return m["prompt_id"].(string)
}

func executingNode(pid, node string) func(frame) bool {
	return func(f frame) bool {
		return f.Type == "executing" && f.Data["node"] == node && f.Data["prompt_id"] == pid
	}
}

// checkBusyQueue compares GET /queue and GET /api/jobs while p1 runs and p2
// waits with the recorded answers' shapes.
func checkBusyQueue(t *testing.T, h *harness, p1, p2 string) {
	t.Helper()
	var q struct {
		Running [][]json.RawMessage `json:"queue_running"`
		Pending [][]json.RawMessage `json:"queue_pending"`
	}
	h.getJSON("/queue", &q)
	if len(q.Running) != 1 || len(q.Pending) != 1 || len(q.Running[0]) != 5 || len(q.Pending[0]) != 5 {
		t.Fatalf("busy queue %d running, %d pending", len(q.Running), len(q.Pending))
	}
	var id1, id2 string
	json.Unmarshal(q.Running[0][1], &id1)
	json.Unmarshal(q.Pending[0][1], &id2)
	if id1 != p1 || id2 != p2 {
		t.Fatalf("busy queue running %s pending %s, want %s %s", id1, id2, p1, p2)
	}
	var jobs struct {
		Jobs []map[string]any `json:"jobs"`
	}
	h.getJSON("/api/jobs", &jobs)
	status := map[string]any{}
	for _, j := range jobs.Jobs {
		status[j["id"].(string)] = j["status"]
	}
	if status[p1] != "in_progress" || status[p2] != "pending" {
		t.Fatalf("busy jobs %v", status)
	}
}
