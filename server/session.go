package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"sumi/api"
	"sumi/queue"
)

// client is one websocket session: an unbounded-looking but limited
// backlog that Publish appends to, and one writer goroutine draining it.
type client struct {
	sid  string
	conn *websocket.Conn
	bc   *batchConn // conn's transport
	lim  Limits
	logf func(format string, args ...any)
	wake chan struct{} // capacity 1: "the backlog is not empty"
	done chan struct{} // closed by shut
	once sync.Once

	mu        sync.Mutex
	meta      bool // announced supports_preview_metadata
	q         []outFrame
	live      int // frames in q that are not superseded
	qBytes    int
	sent      int
	coalesced map[string]int
	reason    string // why the session ended; "" while open
}

// outFrame is one queued message. key is its supersedeKey ("" for
// messages that are always delivered); dead marks one replaced by a newer
// message of its kind.
type outFrame struct {
	kind int
	data []byte
	key  string
	dead bool
}

// How a session ended, which decides the log line and the close frame.
type closeCause int

const (
	closeByPeer     closeCause = iota // the client went away or broke the protocol
	closeReplaced                     // a newer socket took its clientId
	closeStuck                        // the backlog passed the limits
	closeWriteStall                   // a write or ping failed or timed out, or pongs stopped
)

// enqueue appends f to the backlog without blocking. Behind by SoftFrames
// or SoftBytes, a supersedable frame replaces the unsent one of its kind;
// past MaxFrames or MaxBytes the session is closed as stuck.
func (c *client) enqueue(f outFrame) {
	if f.data == nil {
		return
	}
	c.mu.Lock()
	if c.reason != "" {
		c.mu.Unlock()
		return
	}
	if f.key != "" && (c.live >= c.lim.SoftFrames || c.qBytes >= c.lim.SoftBytes) {
		c.supersede(f.key)
		if dead := len(c.q) - c.live; dead > 64 && dead > c.live {
			c.compact()
		}
	}
	if c.live+1 > c.lim.MaxFrames || c.qBytes+len(f.data) > c.lim.MaxBytes {
		reason := fmt.Sprintf("stuck: %d messages (%d bytes) unsent, limit %d messages or %d bytes",
			c.live, c.qBytes, c.lim.MaxFrames, c.lim.MaxBytes)
		c.mu.Unlock()
		c.shut(closeStuck, reason)
		return
	}
	c.q = append(c.q, f)
	c.live++
	c.qBytes += len(f.data)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// supersede marks the newest unsent frame with key dead. The newer frame
// goes to the end of the backlog, after everything queued before it, so a
// progress report never overtakes the executing message it follows.
// Called with c.mu held.
func (c *client) supersede(key string) {
	for i := len(c.q) - 1; i >= 0; i-- {
		if f := &c.q[i]; f.key == key && !f.dead {
			f.dead = true
			c.live--
			c.qBytes -= len(f.data)
			f.data = nil
			c.coalesced[key]++
			return
		}
	}
}

// compact drops superseded entries, so that a long stream of coalesced
// messages to a slow session does not grow its backlog's array. Called
// with c.mu held.
func (c *client) compact() {
	live := c.q[:0]
	for _, f := range c.q {
		if !f.dead {
			live = append(live, f)
		}
	}
	clear(c.q[len(live):])
	c.q = live
}

// pop takes the oldest live frame.
func (c *client) pop() (outFrame, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.q) > 0 {
		f := c.q[0]
		c.q[0] = outFrame{}
		c.q = c.q[1:]
		if f.dead {
			continue
		}
		c.live--
		c.qBytes -= len(f.data)
		return f, true
	}
	c.q = nil // let the drained array go
	return outFrame{}, false
}

func (c *client) stats() SessionStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	co := make(map[string]int, len(c.coalesced))
	for k, v := range c.coalesced {
		co[k] = v
	}
	return SessionStats{SID: c.sid, Backlog: c.live, BacklogBytes: c.qBytes, Sent: c.sent, Coalesced: co}
}

func (c *client) wantsMetadata() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.meta
}

// shut ends the session once: the backlog is freed at once, the writer
// stops, and the socket is closed from another goroutine (with a close
// frame saying why, when the client can still take one) so that Publish,
// which may be the caller, never waits on it.
func (c *client) shut(cause closeCause, reason string) {
	c.once.Do(func() {
		c.mu.Lock()
		c.reason = reason
		c.q, c.live, c.qBytes = nil, 0, 0
		c.mu.Unlock()
		close(c.done)
		if cause != closeByPeer && c.logf != nil {
			c.logf("server: websocket %s closed: %s", c.sid, reason)
		}
		go c.closeConn(cause, reason)
	})
}

func (c *client) closeConn(cause closeCause, reason string) {
	code := websocket.CloseTryAgainLater
	switch cause {
	case closeReplaced:
		code = websocket.CloseNormalClosure
	case closeByPeer, closeWriteStall:
		c.conn.Close() // nothing more can be written usefully
		return
	}
	if c.bc != nil {
		c.bc.stop()
	}
	if len(reason) > 120 { // a close frame's payload is at most 125 bytes
		reason = reason[:120]
	}
	msg := websocket.FormatCloseMessage(code, reason)
	_ = c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeWait))
	c.conn.Close()
}

// writeLoop is the only writer of the connection's data frames.
func (c *client) writeLoop() {
	ping := time.NewTicker(pingPeriod)
	defer ping.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-ping.C:
			if err := c.write(websocket.PingMessage, nil); err != nil {
				c.shut(closeWriteStall, "ping: "+writeFailure(err, c.lim))
				return
			}
		case <-c.wake:
			if !c.drain(ping.C) {
				return
			}
		}
	}
}

// drain writes the backlog until it is empty, pinging on schedule, in
// batches of up to maxBatchFrames frames per syscall; false means the
// session is over.
func (c *client) drain(ping <-chan time.Time) bool {
	for {
		n, err := c.writeBatch(ping)
		if err != nil {
			c.shut(closeWriteStall, "write: "+writeFailure(err, c.lim))
			return false
		}
		if n == 0 {
			return true
		}
	}
}

// maxBatchFrames bounds a batch so that a steady stream still goes out
// promptly.
const maxBatchFrames = 64

// writeBatch writes up to maxBatchFrames frames in one go and returns how
// many it wrote.
func (c *client) writeBatch(ping <-chan time.Time) (int, error) {
	c.bc.begin()
	n := 0
	for ; n < maxBatchFrames; n++ {
		f, ok := c.pop()
		if !ok {
			break
		}
		select {
		case <-c.done:
			return n, errors.New("session closed")
		case <-ping:
			if err := c.write(websocket.PingMessage, nil); err != nil {
				return n, err
			}
		default:
		}
		if err := c.write(f.kind, f.data); err != nil {
			return n, err
		}
	}
	if err := c.bc.flush(); err != nil {
		return n, err
	}
	c.mu.Lock()
	c.sent += n
	c.mu.Unlock()
	return n, nil
}

// write sends one frame with a deadline that only a client reading nothing
// for StallTimeout (plus time for the frame's size) can miss.
func (c *client) write(kind int, data []byte) error {
	d := c.lim.StallTimeout + time.Duration(len(data))*time.Second/minWriteRate
	if err := c.conn.SetWriteDeadline(time.Now().Add(d)); err != nil {
		return err
	}
	return c.conn.WriteMessage(kind, data)
}

func writeFailure(err error, lim Limits) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Sprintf("client read nothing for %v: %v", lim.StallTimeout, err)
	}
	return err.Error()
}

// readLoop watches for the close and for the first client message: only a
// feature_flags frame sent first is honoured, as in ComfyUI. It returns why
// the session ended.
func (c *client) readLoop(flags api.FeatureFlags) (closeCause, string) {
	c.conn.SetReadLimit(maxClientMsg)
	c.conn.SetReadDeadline(time.Now().Add(pongWait))
	c.conn.SetPongHandler(func(string) error {
		return c.conn.SetReadDeadline(time.Now().Add(pongWait))
	})
	first := true
	for {
		kind, data, err := c.conn.ReadMessage()
		if err != nil {
			return readFailure(err)
		}
		c.conn.SetReadDeadline(time.Now().Add(pongWait))
		if kind != websocket.TextMessage || !first {
			continue
		}
		first = false
		var msg struct {
			Type string          `json:"type"`
			Data api.ClientFlags `json:"data"`
		}
		if json.Unmarshal(data, &msg) != nil || msg.Type != api.MsgFeatureFlags {
			continue
		}
		c.mu.Lock()
		c.meta = msg.Data.SupportsPreviewMetadata
		c.mu.Unlock()
		c.enqueue(outFrame{kind: websocket.TextMessage, data: queue.Frame(api.MsgFeatureFlags, flags)})
	}
}

// readFailure tells a client that stopped answering pings (worth a log
// line) from one that went away.
func readFailure(err error) (closeCause, string) {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return closeWriteStall, fmt.Sprintf("read: no message or pong for %v", pongWait)
	}
	return closeByPeer, "read: " + err.Error()
}
