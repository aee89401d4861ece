package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"sumi/api"
	"sumi/queue"
)

// fakeRun publishes what one prompt's run looks like to its client: the
// execution messages, many progress reports, state snapshots and previews,
// and the status broadcasts around it.
func fakeRun(pub queue.Publisher, client, pid string, steps int, preview []byte) {
	send := func(typ string, data any) {
		pub.Publish(queue.Outbound{ClientID: client, Type: typ, Frame: queue.Frame(typ, data)})
	}
	status := func(n int) {
		pub.Publish(queue.Outbound{Type: api.MsgStatus, Frame: queue.Frame(api.MsgStatus,
			api.StatusData{Status: api.PromptInfo{ExecInfo: api.ExecInfo{QueueRemaining: n}}})})
	}
	status(1)
	send(api.MsgExecutionStart, api.ExecutionStart{PromptID: pid})
	send(api.MsgExecutionCached, api.ExecutionCached{Nodes: []string{}, PromptID: pid})
	node := "3"
	send(api.MsgExecuting, api.Executing{Node: &node, DisplayNode: node, PromptID: pid})
	for i := 1; i <= steps; i++ {
		send(api.MsgProgress, api.Progress{Value: i, Max: steps, PromptID: pid, Node: node})
		send(api.MsgProgressState, api.ProgressState{PromptID: pid, Nodes: map[string]api.NodeProgress{
			node: {Value: float64(i), Max: float64(steps), State: api.NodeRunning, NodeID: node, PromptID: pid}}})
		if preview != nil && i%4 == 0 {
			meta := api.PreviewMetadata{NodeID: node, PromptID: pid, DisplayNodeID: node, RealNodeID: node, ImageType: "image/jpeg"}
			pub.Publish(queue.Outbound{ClientID: client, Type: "preview", Preview: &queue.Preview{Format: api.ImageJPEG, Image: preview, Meta: meta}})
		}
	}
	send(api.MsgExecuted, api.Executed{Node: node, DisplayNode: node, Output: []byte(`{"images":[]}`), PromptID: pid})
	send(api.MsgExecutionSuccess, api.ExecutionStart{PromptID: pid})
	status(0)
	send(api.MsgExecuting, api.Executing{PromptID: pid})
}

// TestSlowClientGetsEveryExecutionMessage: a client that reads slowly but
// steadily falls far behind a burst of runs. It stays connected and gets
// every execution message in order; only status, progress, state and
// previews are coalesced, the newest of each always arrives, and the
// server's coalescing accounts for every message it did not get.
func TestSlowClientGetsEveryExecutionMessage(t *testing.T) {
	h := newHarness(t)
	logs := &logCollector{}
	h.hub.SetLogf(logs.logf)
	// MaxFrames is far below what one burst publishes for each client: only
	// coalescing keeps them connected.
	h.hub.SetLimits(Limits{SoftFrames: 16, SoftBytes: 64 << 10, MaxFrames: 128, MaxBytes: 8 << 20, StallTimeout: 10 * time.Second})
	slow := h.startClient(h.dialRaw("slow"), func(c *wsClient) { c.delay = 2 * time.Millisecond })
	fast := h.dial("fast")
	rec := &outboundLog{}
	pub := &teePublisher{tee: rec.add, next: h.hub}
	preview := make([]byte, 2048)
	const runs, steps = 6, 60
	for i := 0; i < runs; i++ {
		fakeRun(pub, "slow", fmt.Sprint("slow-", i), steps, preview)
		fakeRun(pub, "fast", fmt.Sprint("fast-", i), steps, nil)
	}
	for _, c := range []*wsClient{slow, fast} {
		c.waitFor(endOf(fmt.Sprint(c.sid, "-", runs-1)), 30*time.Second)
	}
	time.Sleep(50 * time.Millisecond) // the broadcasts after the last end
	coalesced := hubCoalesced(h.hub)
	for _, c := range []*wsClient{slow, fast} {
		r := compareDelivery(afterGreeting(c.snapshot()), rec.expectedFor(c.sid))
		t.Logf("%s: %v; hub coalesced %v", c.sid, r, coalesced[c.sid])
		if c.isClosed() {
			t.Errorf("%s was disconnected: %v; %q", c.sid, c.closeError(), logs.about(c.sid))
		}
		if n := r.lost(coalesced[c.sid]); n > 0 {
			t.Errorf("%s lost %d messages: %v", c.sid, n, r)
		}
	}
	if len(coalesced["slow"]) == 0 {
		t.Error("the slow client never fell behind far enough to coalesce; the test proves nothing")
	}
}

// TestStuckClientIsClosed: a client that never reads cannot hold up
// Publish (the executor) or the other clients, its backlog stays within
// the limits, and it is closed: by the backlog limit, or, with a large
// limit, by the write that blocks for StallTimeout.
func TestStuckClientIsClosed(t *testing.T) {
	tests := []struct {
		name   string
		limits Limits
		reason string
	}{
		{"backlog limit", Limits{SoftFrames: 16, SoftBytes: 64 << 10, MaxFrames: 4096, MaxBytes: 1 << 20, StallTimeout: time.Minute}, "stuck:"},
		{"write stall", Limits{SoftFrames: 16, SoftBytes: 64 << 10, MaxFrames: 1 << 20, MaxBytes: 1 << 30, StallTimeout: time.Second}, "read nothing for 1s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			logs := &logCollector{}
			h.hub.SetLogf(logs.logf)
			h.hub.SetLimits(tc.limits)
			reader := h.dial("reader")
			h.dialRaw("stuck") // never read
			waitSessions(t, h.hub, 2)
			checkStuckClosed(t, h, reader, logs, tc.limits, tc.reason)
		})
	}
}

// checkStuckClosed publishes 64 KiB messages that are never coalesced
// until the stuck session is gone, then checks the reader got them all.
func checkStuckClosed(t *testing.T, h *harness, reader *wsClient, logs *logCollector, lim Limits, reason string) {
	t.Helper()
	pad := strings.Repeat("x", 64<<10)
	deadline := time.Now().Add(30 * time.Second)
	sent, maxBacklog := 0, 0
	var slowest time.Duration
	for h.hub.Count() > 1 && time.Now().Before(deadline) {
		// Publish only while the live reader keeps up: on a loaded machine
		// it could otherwise fall past the same limit as the stuck client.
		if backlogOf(h.hub, "reader") > lim.MaxBytes/4 {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		for range 2 {
			frame := queue.Frame(api.MsgExecutionInterrupted, map[string]any{"prompt_id": fmt.Sprint(sent), "pad": pad})
			start := time.Now()
			h.hub.Publish(queue.Outbound{Type: api.MsgExecutionInterrupted, Frame: frame})
			slowest = max(slowest, time.Since(start))
			sent++
		}
		maxBacklog = max(maxBacklog, backlogOf(h.hub, "stuck"))
		time.Sleep(10 * time.Millisecond)
	}
	if h.hub.Count() != 1 {
		t.Fatalf("stuck client still connected after %d messages (%d MiB)", sent, sent>>4)
	}
	lines := logs.about("stuck")
	if len(lines) != 1 || !strings.Contains(lines[0], reason) {
		t.Errorf("log about the stuck client %q, want one line with %q", lines, reason)
	}
	if maxBacklog > lim.MaxBytes {
		t.Errorf("stuck backlog reached %d bytes, limit %d", maxBacklog, lim.MaxBytes)
	}
	if slowest > time.Second {
		t.Errorf("a Publish took %v while a client was stuck", slowest)
	}
	isLast := func(f frame) bool {
		return f.Type == api.MsgExecutionInterrupted && f.Data["prompt_id"] == fmt.Sprint(sent-1)
	}
	reader.waitFor(isLast, 30*time.Second)
	got := 0
	for _, f := range reader.snapshot() {
		if f.Type == api.MsgExecutionInterrupted {
			if f.Data["prompt_id"] != fmt.Sprint(got) {
				t.Fatalf("reader got message %v as number %d", f.Data["prompt_id"], got)
			}
			got++
		}
	}
	if got != sent || reader.isClosed() {
		t.Errorf("reader got %d of %d messages, closed %v", got, sent, reader.isClosed())
	}
	t.Logf("stuck client closed after %d messages of 64 KiB; its largest backlog %d bytes; slowest Publish %v", sent, maxBacklog, slowest)
}

// backlogOf is the queued bytes of the session with the given client id.
func backlogOf(hub *Hub, sid string) int {
	for _, s := range hub.Sessions() {
		if s.SID == sid {
			return s.BacklogBytes
		}
	}
	return 0
}

// waitSessions waits until the hub has n sessions.
func waitSessions(t *testing.T, hub *Hub, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for hub.Count() != n && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	if hub.Count() != n {
		t.Fatalf("%d sessions, want %d", hub.Count(), n)
	}
}
