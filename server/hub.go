package server

import (
	"crypto/rand"
	"encoding/hex"
	"log"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"sumi/api"
	"sumi/queue"
)

// Limits bounds what one websocket session may cost. Publish never blocks:
// each session has its own backlog drained by its own writer. A session
// that falls behind first loses only superseded messages (see
// supersedable), and is closed only when it is stuck: its backlog passes
// MaxFrames or MaxBytes, or one write makes no progress for StallTimeout.
// A close is visible (ComfyUI's frontend reconnects with the same clientId
// and re-reads /queue and /history), so nothing is lost for good and
// nobody else waits.
type Limits struct {
	// SoftFrames and SoftBytes: once the unsent backlog reaches either, a
	// new supersedable message replaces the unsent one of its kind.
	SoftFrames, SoftBytes int
	// MaxFrames and MaxBytes: a message that would take the backlog past
	// either closes the session.
	MaxFrames, MaxBytes int
	// StallTimeout is how long one write may block (the client reading
	// nothing) before the session is closed; large frames get extra time
	// at minWriteRate.
	StallTimeout time.Duration
}

// DefaultLimits keep a slow but reading client connected through long
// bursts (a session holds at most MaxFrames entries and MaxBytes of
// payload, much of it shared with other sessions).
var DefaultLimits = Limits{
	SoftFrames: 256, SoftBytes: 1 << 20,
	MaxFrames: 16384, MaxBytes: 16 << 20,
	StallTimeout: 30 * time.Second,
}

const (
	minWriteRate = 128 << 10 // bytes per second a slow client must at least read
	pingPeriod   = 30 * time.Second
	pongWait     = 75 * time.Second
	maxClientMsg = 1 << 16
	closeWait    = time.Second
)

// Hub is the websocket session registry and the in-process queue.Publisher.
type Hub struct {
	mu      sync.RWMutex
	clients map[string]*client
	limits  Limits
	logf    func(format string, args ...any)
}

var _ queue.Publisher = (*Hub)(nil)

// NewHub makes an empty hub with DefaultLimits that logs through log.Printf.
func NewHub() *Hub {
	return &Hub{clients: map[string]*client{}, limits: DefaultLimits, logf: log.Printf}
}

// SetLimits changes the limits of sessions that connect from now on.
func (h *Hub) SetLimits(l Limits) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.limits = l
}

// SetLogf sets where the hub reports sessions it closes itself (a stuck
// or vanished client, a newer connection with the same clientId).
func (h *Hub) SetLogf(f func(format string, args ...any)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.logf = f
}

func newSID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// newClient makes a session for conn with the hub's current limits.
func (h *Hub) newClient(sid string, conn *websocket.Conn, bc *batchConn) *client {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return &client{
		sid: sid, conn: conn, bc: bc, lim: h.limits, logf: h.logf,
		wake: make(chan struct{}, 1), done: make(chan struct{}),
		coalesced: map[string]int{},
	}
}

// register adds a session, replacing one with the same sid, and queues its
// first frames before any broadcast can reach it.
func (h *Hub) register(c *client, first ...[]byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if old, ok := h.clients[c.sid]; ok {
		old.shut(closeReplaced, "replaced by a newer connection with the same clientId")
	}
	h.clients[c.sid] = c
	for _, f := range first {
		c.enqueue(outFrame{kind: websocket.TextMessage, data: f})
	}
}

func (h *Hub) unregister(c *client, cause closeCause, reason string) {
	h.mu.Lock()
	if h.clients[c.sid] == c {
		delete(h.clients, c.sid)
	}
	h.mu.Unlock()
	c.shut(cause, reason)
}

// Count returns the number of connected sessions.
func (h *Hub) Count() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.clients)
}

// SessionStats describes one connected session's delivery.
type SessionStats struct {
	SID string
	// Backlog and BacklogBytes are the messages queued and not yet written.
	Backlog, BacklogBytes int
	// Sent counts messages written to the socket.
	Sent int
	// Coalesced counts, by message type, messages that were replaced by a
	// newer one of the same type before they could be sent.
	Coalesced map[string]int
}

// Sessions reports every connected session.
func (h *Hub) Sessions() []SessionStats {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]SessionStats, 0, len(h.clients))
	for _, c := range h.clients {
		out = append(out, c.stats())
	}
	return out
}

// Publish implements queue.Publisher with ComfyUI's recipient rules (see
// recipient). It only appends to the sessions' backlogs.
func (h *Hub) Publish(ob queue.Outbound) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	d := delivery{ob: ob, key: supersedeKey(ob)}
	sid, all := recipient(ob)
	if !all {
		if c, ok := h.clients[sid]; ok && sid != "" {
			c.enqueue(d.frameFor(c))
		}
		return
	}
	for _, c := range h.clients {
		c.enqueue(d.frameFor(c))
	}
}

// recipient applies ComfyUI's rules: status goes to everyone;
// execution_start/cached/success/error, executing and executed only to the
// prompt's client and nowhere when it has none; everything else
// (execution_interrupted, progress, progress_state, previews, text) to the
// prompt's client, or to everyone when it has none.
func recipient(ob queue.Outbound) (sid string, all bool) {
	switch {
	case ob.Type == api.MsgStatus:
		return "", true
	case clientOnly(ob.Type) || ob.ClientID != "":
		return ob.ClientID, false
	}
	return "", true
}

func clientOnly(typ string) bool {
	switch typ {
	case api.MsgExecutionStart, api.MsgExecutionCached, api.MsgExecutionSuccess,
		api.MsgExecutionError, api.MsgExecuting, api.MsgExecuted:
		return true
	}
	return false
}

// supersedeKey names the kind of message a newer one of which makes an
// unsent one pointless: the queue size (status broadcasts; the greeting
// status with its sid never comes through Publish), progress bars, node
// state snapshots, preview images and progress text. Execution messages
// (execution_*, executing, executed) and anything unknown return "" and are
// never coalesced: clients track runs through them.
func supersedeKey(ob queue.Outbound) string {
	switch ob.Type {
	case api.MsgStatus, api.MsgProgress, api.MsgProgressState, "preview", "text":
		return ob.Type
	}
	return ""
}

// delivery encodes a preview once per framing, however many sessions get it.
type delivery struct {
	ob           queue.Outbound
	key          string
	legacy, meta []byte
}

func (d *delivery) frameFor(c *client) outFrame {
	switch {
	case d.ob.Frame != nil:
		return outFrame{kind: websocket.TextMessage, data: d.ob.Frame, key: d.key}
	case d.ob.Binary != nil:
		return outFrame{kind: websocket.BinaryMessage, data: d.ob.Binary, key: d.key}
	case d.ob.Preview == nil:
		return outFrame{}
	case c.wantsMetadata():
		if d.meta == nil {
			d.meta = api.PreviewFrameWithMetadata(d.ob.Preview.Meta, d.ob.Preview.Image)
		}
		return outFrame{kind: websocket.BinaryMessage, data: d.meta, key: d.key}
	default:
		if d.legacy == nil {
			d.legacy = api.PreviewFrame(d.ob.Preview.Format, d.ob.Preview.Image)
		}
		return outFrame{kind: websocket.BinaryMessage, data: d.legacy, key: d.key}
	}
}
