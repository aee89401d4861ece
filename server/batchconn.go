package server

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"sync"
)

// maxBatch is the most a session's writer gathers before one write.
const maxBatch = 64 << 10

// batchConn lets a session's writer hand several websocket frames to the
// kernel in one write: with hundreds of sessions behind on a busy machine,
// one syscall per frame was most of the server's CPU. Between begin and
// flush, writes are gathered; otherwise (the handshake, pongs and close
// frames sent by other goroutines) they go straight through. gorilla
// serializes its own writes, so gathering never splits a frame.
type batchConn struct {
	net.Conn
	mu       sync.Mutex
	batching bool
	buf      []byte
}

func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	if b.batching && len(b.buf)+len(p) <= maxBatch {
		b.buf = append(b.buf, p...)
		b.mu.Unlock()
		return len(p), nil
	}
	pending := b.buf
	b.buf = nil
	b.mu.Unlock()
	if len(pending) > 0 {
		if _, err := b.Conn.Write(pending); err != nil {
			return 0, err
		}
	}
	return b.Conn.Write(p)
}

// begin starts gathering.
func (b *batchConn) begin() {
	b.mu.Lock()
	b.batching = true
	b.mu.Unlock()
}

// flush stops gathering and writes what was gathered, under the write
// deadline last set on the connection.
func (b *batchConn) flush() error {
	b.mu.Lock()
	pending := b.buf
	b.buf, b.batching = nil, false
	b.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	_, err := b.Conn.Write(pending)
	b.mu.Lock()
	if b.buf == nil { // keep the array for the next batch
		b.buf = pending[:0]
	}
	b.mu.Unlock()
	return err
}

// stop ends gathering and drops what was gathered: the session is being
// closed, and a close frame must not wait behind frames a stuck client
// will never read.
func (b *batchConn) stop() {
	b.mu.Lock()
	b.buf, b.batching = nil, false
	b.mu.Unlock()
}

// batchingWriter hands the websocket upgrader a batchConn when it hijacks
// the HTTP connection.
type batchingWriter struct {
	http.ResponseWriter
	conn *batchConn
}

var errNoHijack = errors.New("server: response cannot be hijacked")

func (w *batchingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errNoHijack
	}
	c, rw, err := h.Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.conn = &batchConn{Conn: c}
	return w.conn, rw, nil
}
