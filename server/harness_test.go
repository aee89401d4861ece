package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tidwall/gjson"

	"sumi/folders"
	"sumi/internal/testutil"
	"sumi/queue"
)

// harness is a server on a loopback httptest listener with a bbolt store in
// a temp dir and the fake node registry.
type harness struct {
	t       testing.TB
	url     string
	sched   *queue.Scheduler
	store   *queue.BoltStore
	folders *folders.Folders
	hub     *Hub
}

func newHarness(t testing.TB, mutate ...func(*Config)) *harness {
	t.Helper()
	return newHarnessTee(t, nil, mutate...)
}

// newHarnessTee is newHarness with every message the scheduler publishes
// also handed to tee (when not nil), before the hub sees it.
func newHarnessTee(t testing.TB, tee func(queue.Outbound), mutate ...func(*Config)) *harness {
	t.Helper()
	dir := t.TempDir()
	f := testutil.Folders(t, dir)
	store, err := queue.OpenBolt(filepath.Join(dir, "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	reg := testRegistry(f)
	hub := NewHub()
	var pub queue.Publisher = hub
	if tee != nil {
		pub = &teePublisher{tee: tee, next: hub}
	}
	sched := queue.NewScheduler(store, NewRunner(reg, f), pub)
	cfg := Config{Folders: f}
	for _, m := range mutate {
		m(&cfg)
	}
	s := New(cfg, &RegistryEngine{Registry: reg}, sched, hub)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { sched.Run(ctx); close(done) }()
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		store.Close()
	})
	return &harness{t: t, url: srv.URL, sched: sched, store: store, folders: f, hub: hub}
}

// teePublisher shows every message to a test before publishing it. The
// lock makes the order the test sees the order the sessions get.
type teePublisher struct {
	mu   sync.Mutex
	tee  func(queue.Outbound)
	next queue.Publisher
}

func (p *teePublisher) Publish(ob queue.Outbound) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tee(ob)
	p.next.Publish(ob)
}

// do sends a request and returns status and body.
func (h *harness) do(method, path string, body any, hdr ...string) (int, []byte, http.Header) {
	h.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		r = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, h.url+path, r)
	if err != nil {
		h.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out, resp.Header
}

// getJSON GETs path and decodes the 200 body.
func (h *harness) getJSON(path string, v any) {
	h.t.Helper()
	code, body, _ := h.do("GET", path, nil)
	if code != 200 {
		h.t.Fatalf("GET %s: %d %s", path, code, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		h.t.Fatalf("GET %s: %v in %s", path, err, body)
	}
}

// postPrompt queues a prompt body and returns the decoded answer.
func (h *harness) postPrompt(body map[string]any) (int, map[string]any) {
	h.t.Helper()
	code, out, _ := h.do("POST", "/prompt", body)
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		h.t.Fatalf("POST /prompt: %d %q: %v", code, out, err)
	}
	return code, m
}

// wsClient is a test websocket connection; a reader goroutine records
// every frame so tests can wait for, inspect and take them.
type wsClient struct {
	t      testing.TB
	conn   *websocket.Conn
	sid    string
	mu     sync.Mutex
	frames []frame
	closed bool
	// closeErr is the error that ended the reader (a *websocket.CloseError
	// carries the server's reason).
	closeErr error
	// delay, when set, is slept after every frame: a slow reader.
	delay time.Duration
	// lite decodes only type, sid, prompt_id and node (the benchmark's 500
	// readers share the CPU with the server they measure).
	lite bool
}

// frame is one received websocket frame; Raw is the message as sent, At
// when it was read.
type frame struct {
	Type   string
	Data   map[string]any
	Binary []byte
	Raw    []byte
	At     time.Time
}

func (h *harness) dial(clientID string, first ...string) *wsClient {
	h.t.Helper()
	conn := h.dialRaw(clientID)
	for _, m := range first {
		conn.WriteMessage(websocket.TextMessage, []byte(m))
	}
	return h.startClient(conn)
}

// dialRaw opens a websocket that nothing reads yet.
func (h *harness) dialRaw(clientID string) *websocket.Conn {
	h.t.Helper()
	url := "ws" + strings.TrimPrefix(h.url, "http") + "/ws"
	if clientID != "" {
		url += "?clientId=" + clientID
	}
	conn, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { conn.Close() })
	return conn
}

// startClient records conn's frames and waits for the greeting.
func (h *harness) startClient(conn *websocket.Conn, opts ...func(*wsClient)) *wsClient {
	h.t.Helper()
	c := &wsClient{t: h.t, conn: conn}
	for _, o := range opts {
		o(c)
	}
	go c.read()
	f := c.waitFor(func(f frame) bool { return f.Type == "status" }, 5*time.Second)
	c.sid, _ = f.Data["sid"].(string)
	return c
}

func (c *wsClient) read() {
	for {
		kind, data, err := c.conn.ReadMessage()
		if err != nil {
			c.mu.Lock()
			c.closed, c.closeErr = true, err
			c.mu.Unlock()
			return
		}
		f := frame{Type: "binary", Binary: data, Raw: data}
		switch {
		case kind == websocket.TextMessage && c.lite:
			f = frame{Type: gjson.GetBytes(data, "type").String(), Data: liteData(data), Raw: data}
		case kind == websocket.TextMessage:
			var m struct {
				Type string         `json:"type"`
				Data map[string]any `json:"data"`
			}
			if err := json.Unmarshal(data, &m); err != nil {
				m.Type = "unparsable: " + string(data)
			}
			f = frame{Type: m.Type, Data: m.Data, Raw: data}
		}
		f.At = time.Now()
		c.mu.Lock()
		c.frames = append(c.frames, f)
		c.mu.Unlock()
		if c.delay > 0 {
			time.Sleep(c.delay)
		}
	}
}

// liteData picks the fields the benchmark looks at out of a message.
func liteData(raw []byte) map[string]any {
	d := map[string]any{}
	for _, k := range []string{"sid", "prompt_id", "node"} {
		if v := gjson.GetBytes(raw, "data."+k); v.Type == gjson.String {
			d[k] = v.String()
		}
	}
	return d
}

// waitFor waits until some recorded frame satisfies pred and returns it.
func (c *wsClient) waitFor(pred func(frame) bool, timeout time.Duration) frame {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		for _, f := range c.frames {
			if pred(f) {
				c.mu.Unlock()
				return f
			}
		}
		closed, why := c.closed, c.closeErr
		c.mu.Unlock()
		if closed { // nothing more will come
			c.t.Fatalf("socket closed (%v) without a matching frame; got %v", why, types(c.snapshot()))
		}
		time.Sleep(2 * time.Millisecond)
	}
	c.t.Fatalf("no matching websocket frame within %v; got %v", timeout, types(c.snapshot()))
	return frame{}
}

func (c *wsClient) snapshot() []frame {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]frame(nil), c.frames...)
}

// take returns the recorded frames and forgets them.
func (c *wsClient) take() []frame {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.frames
	c.frames = nil
	return out
}

// closeError is why the reader stopped (nil while open).
func (c *wsClient) closeError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeErr
}

func (c *wsClient) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

func types(fs []frame) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Type
	}
	return out
}

// endOf matches the final executing {node: null} of a prompt.
func endOf(promptID string) func(frame) bool {
	return func(f frame) bool {
		return f.Type == "executing" && f.Data["node"] == nil && f.Data["prompt_id"] == promptID
	}
}
