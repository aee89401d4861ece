package server

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"sumi/api"
	"sumi/queue"
)

// outboundLog records every message the scheduler publishes, so that a
// test can work out exactly what each session should have received.
type outboundLog struct {
	mu  sync.Mutex
	obs []queue.Outbound
}

func (l *outboundLog) add(ob queue.Outbound) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.obs = append(l.obs, ob)
}

// expected is one message a session should get, as sent.
type expected struct {
	raw []byte
	key string // supersedeKey: "" for messages that must never be lost
	ob  queue.Outbound
}

// expectedFor lists, in order, the messages sid should get (ComfyUI's
// recipient rules; previews framed without metadata).
func (l *outboundLog) expectedFor(sid string) []expected {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []expected
	for _, ob := range l.obs {
		to, all := recipient(ob)
		if !all && (to == "" || to != sid) {
			continue
		}
		d := delivery{ob: ob, key: supersedeKey(ob)}
		f := d.frameFor(&client{})
		if f.data == nil {
			continue
		}
		out = append(out, expected{raw: f.data, key: f.key, ob: ob})
	}
	return out
}

// deliveryReport compares what a session received with what it should
// have: every received message must be an expected one, in order; an
// expected message that was not received is either coalesced (superseded
// by a newer one of its kind, which did arrive) or lost.
type deliveryReport struct {
	received, expected int
	// missing describes each lost message: type, prompt and node.
	missing []string
	// coalesced counts superseded messages by kind; lastMissing lists kinds
	// whose newest message never arrived (coalescing always keeps it).
	coalesced   map[string]int
	lastMissing []string
	unexpected  int
}

// compareDelivery matches got (the session's frames after its greeting)
// against want; both are in send order, so a greedy walk suffices.
func compareDelivery(got []frame, want []expected) deliveryReport {
	r := deliveryReport{received: len(got), expected: len(want), coalesced: map[string]int{}}
	lastOf := map[string]int{}
	for i, e := range want {
		if e.key != "" {
			lastOf[e.key] = i
		}
	}
	g := 0
	for i, e := range want {
		if g < len(got) && bytes.Equal(got[g].Raw, e.raw) {
			g++
			continue
		}
		switch {
		case e.key == "":
			r.missing = append(r.missing, describe(e.ob))
		case lastOf[e.key] == i:
			r.lastMissing = append(r.lastMissing, e.key)
		default:
			r.coalesced[e.key]++
		}
	}
	r.unexpected = len(got) - g
	return r
}

// lost counts messages that were neither delivered nor legitimately
// superseded: coalescedByHub is what the server says it superseded.
func (r deliveryReport) lost(coalescedByHub map[string]int) int {
	n := len(r.missing) + len(r.lastMissing) + r.unexpected
	for k, v := range r.coalesced {
		if d := v - coalescedByHub[k]; d > 0 {
			n += d
		}
	}
	return n
}

func (r deliveryReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "received %d of %d", r.received, r.expected)
	if len(r.missing) > 0 {
		fmt.Fprintf(&b, "; lost %d execution messages: %s", len(r.missing), strings.Join(r.missing, ", "))
	}
	if len(r.lastMissing) > 0 {
		fmt.Fprintf(&b, "; newest never arrived: %v", r.lastMissing)
	}
	if len(r.coalesced) > 0 {
		fmt.Fprintf(&b, "; not received (coalesced?) %v", r.coalesced)
	}
	if r.unexpected > 0 {
		fmt.Fprintf(&b, "; %d unexpected or out of order", r.unexpected)
	}
	return b.String()
}

// describe names a message for a report: type, prompt and node.
func describe(ob queue.Outbound) string {
	if ob.Frame == nil {
		if ob.Binary != nil && len(ob.Binary) >= 4 {
			return fmt.Sprintf("%s(binary type %d)", ob.Type, binary.BigEndian.Uint32(ob.Binary))
		}
		return ob.Type
	}
	var m struct {
		Data struct {
			PromptID string  `json:"prompt_id"`
			Node     *string `json:"node"`
		} `json:"data"`
	}
	_ = json.Unmarshal(ob.Frame, &m)
	node := "-"
	if m.Data.Node != nil {
		node = *m.Data.Node
	} else if ob.Type == api.MsgExecuting {
		node = "null"
	}
	return fmt.Sprintf("%s(prompt %.8s node %s)", ob.Type, m.Data.PromptID, node)
}

// afterGreeting drops the status message with the session's sid that
// opens every connection (it is not published through the scheduler).
func afterGreeting(fs []frame) []frame {
	if len(fs) > 0 && fs[0].Type == api.MsgStatus && fs[0].Data["sid"] != nil {
		return fs[1:]
	}
	return fs
}

// hubCoalesced returns the hub's per-kind coalesced counts by session.
func hubCoalesced(h *Hub) map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, s := range h.Sessions() {
		out[s.SID] = s.Coalesced
	}
	return out
}

// logCollector gathers the hub's log lines for a report.
type logCollector struct {
	mu    sync.Mutex
	lines []string
}

func (l *logCollector) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

// about returns the lines that mention sid.
func (l *logCollector) about(sid string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, s := range l.lines {
		if strings.Contains(s, " "+sid+" ") {
			out = append(out, s)
		}
	}
	return out
}
