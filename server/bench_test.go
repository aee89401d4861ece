package server

import (
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"
)

// BenchmarkPrompts500Clients connects 500 websocket clients, posts 200
// prompts through fast nodes (8 at a time, each owned by one client) and
// reports POST /prompt latency and whether any client lost a message. Each
// client's frames are matched against everything the scheduler published
// for it (see compareDelivery); a client that lost anything is logged with
// the lost messages and why its session ended. Loopback only.
func BenchmarkPrompts500Clients(b *testing.B) {
	for i := 0; i < b.N; i++ {
		runPromptsBench(b, 500, 0, 200, i)
	}
}

// BenchmarkSlowReaders is the same run with 50 of the 500 clients reading
// at most one message per 20 ms: they must keep every execution message
// (status and progress may be coalesced) and stay connected.
func BenchmarkSlowReaders(b *testing.B) {
	for i := 0; i < b.N; i++ {
		runPromptsBench(b, 500, 50, 200, i)
	}
}

// benchStats are one run's results.
type benchStats struct {
	lat                        []time.Duration
	missingClients, lost       int
	coalesced, late, closed    int
	drain                      time.Duration
	commitsBefore, commitsPost int
}

func runPromptsBench(b *testing.B, nClients, nSlow, nPrompts, iter int) {
	rec := &outboundLog{}
	logs := &logCollector{}
	h := newHarnessTee(b, rec.add)
	h.hub.SetLogf(logs.logf)
	clients := make([]*wsClient, nClients)
	for c := range clients {
		conn := h.dialRaw(fmt.Sprint("bench", c))
		clients[c] = h.startClient(conn, func(w *wsClient) {
			w.lite = true
			if c < nSlow {
				w.delay = 20 * time.Millisecond
			}
		})
	}
	st := benchStats{commitsBefore: h.store.Commits()}
	st.lat = postAll(h, clients, nPrompts, iter)
	st.commitsPost = h.store.Commits() - st.commitsBefore
	want := map[string]int{}
	for _, c := range clients {
		want[c.sid] = len(rec.expectedFor(c.sid))
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(incomplete(clients, want, h.hub)) > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	st.drain, st.late = drainTimes(clients)
	coalesced := hubCoalesced(h.hub)
	for _, c := range clients {
		r := compareDelivery(afterGreeting(c.snapshot()), rec.expectedFor(c.sid))
		for _, v := range coalesced[c.sid] {
			st.coalesced += v
		}
		lost := r.lost(coalesced[c.sid])
		if c.isClosed() {
			st.closed++
		}
		if lost > 0 || c.isClosed() {
			st.missingClients++
			st.lost += lost
			b.Logf("client %s: %v; hub coalesced %v; closed %v (%v); hub log %q",
				c.sid, r, coalesced[c.sid], c.isClosed(), c.closeError(), logs.about(c.sid))
		}
	}
	reportBench(b, st, nPrompts)
}

// postAll posts nPrompts, 8 at a time, waits until each owner saw its
// prompt end and returns the POST latencies, sorted.
func postAll(h *harness, clients []*wsClient, nPrompts, iter int) []time.Duration {
	lat := make([]time.Duration, nPrompts)
	ids := make([]string, nPrompts)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for p := 0; p < nPrompts; p++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			start := time.Now()
			_, m := h.postPrompt(smallPrompt(1000+iter*nPrompts+p, clients[p%len(clients)].sid))
			lat[p] = time.Since(start)
			ids[p], _ = m["prompt_id"].(string)
		}()
	}
	wg.Wait()
	for p, id := range ids {
		clients[p%len(clients)].waitFor(endOf(id), 60*time.Second)
	}
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	return lat
}

// drainTimes measures how long after the last prompt's end reached its
// owner the last message reached any client, and how many clients got
// their last message more than 200 ms after it: the old version of this
// benchmark counted those as having lost a message.
func drainTimes(clients []*wsClient) (time.Duration, int) {
	var lastEnd time.Time
	for _, c := range clients {
		for _, f := range c.snapshot() {
			if f.Type == "executing" && f.Data["node"] == nil && f.At.After(lastEnd) {
				lastEnd = f.At
			}
		}
	}
	var drain time.Duration
	late := 0
	for _, c := range clients {
		fs := c.snapshot()
		if len(fs) == 0 {
			continue
		}
		d := fs[len(fs)-1].At.Sub(lastEnd)
		drain = max(drain, d)
		if d > 200*time.Millisecond {
			late++
		}
	}
	return drain, late
}

// incomplete lists the open clients that have neither received nor had
// coalesced every message published for them.
func incomplete(clients []*wsClient, want map[string]int, hub *Hub) []*wsClient {
	coalesced := hubCoalesced(hub)
	var out []*wsClient
	for _, c := range clients {
		got := len(afterGreeting(c.snapshot()))
		for _, v := range coalesced[c.sid] {
			got += v
		}
		if got < want[c.sid] && !c.isClosed() {
			out = append(out, c)
		}
	}
	return out
}

func reportBench(b *testing.B, st benchStats, nPrompts int) {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(st.lat[len(st.lat)/2]), "p50_ms")
	b.ReportMetric(ms(st.lat[len(st.lat)*99/100]), "p99_ms")
	b.ReportMetric(float64(st.missingClients), "clients_missing_msgs")
	b.ReportMetric(float64(st.lost), "lost_msgs")
	b.ReportMetric(float64(st.coalesced), "coalesced_msgs")
	b.ReportMetric(float64(st.closed), "disconnects")
	b.ReportMetric(float64(st.late), "late_at_200ms")
	b.ReportMetric(ms(st.drain), "drain_ms")
	b.ReportMetric(float64(st.commitsPost)/float64(nPrompts), "commits/prompt")
}
