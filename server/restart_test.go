package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"sumi/folders"
	"sumi/queue"
)

// Environment of the child server process the restart test starts by
// re-executing the test binary.
const (
	envChildDir   = "SUMI_SERVER_CHILD_DIR"
	envChildDelay = "SUMI_SERVER_CHILD_DELAY"
	envChildPause = "SUMI_SERVER_CHILD_PAUSED"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(envChildDir); dir != "" {
		os.Exit(runChild(dir))
	}
	os.Exit(m.Run())
}

// runChild is a real server process over dir: bbolt store, fake nodes
// (EmptyImage of width >= 2048 is slow), loopback listener whose address
// goes to dir/addr. Paused, it serves but does not start the worker.
func runChild(dir string) int {
	d, _ := time.ParseDuration(os.Getenv(envChildDelay))
	slowNodeDelay.Store(int64(d))
	f, err := folders.New(folders.Config{Base: dir})
	if err == nil {
		err = f.CreateDirs()
	}
	store, err2 := queue.OpenBolt(filepath.Join(dir, "queue.db"))
	if err != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, "child:", err, err2)
		return 1
	}
	reg := testRegistry(f)
	hub := NewHub()
	sched := queue.NewScheduler(store, NewRunner(reg, f), hub)
	if os.Getenv(envChildPause) == "" {
		go sched.Run(context.Background())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 1
	}
	tmp := filepath.Join(dir, "addr.tmp")
	os.WriteFile(tmp, []byte(ln.Addr().String()), 0o644)
	os.Rename(tmp, filepath.Join(dir, "addr"))
	http.Serve(ln, New(Config{Folders: f}, &RegistryEngine{Registry: reg}, sched, hub).Handler())
	return 0
}

// child is a running server process.
type child struct {
	cmd  *exec.Cmd
	addr string
}

func startChild(t *testing.T, dir string, delay time.Duration, paused bool) *child {
	t.Helper()
	os.Remove(filepath.Join(dir, "addr"))
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChildDir+"="+dir, envChildDelay+"="+delay.String())
	if paused {
		cmd.Env = append(cmd.Env, envChildPause+"=1")
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(filepath.Join(dir, "addr")); err == nil {
			return &child{cmd: cmd, addr: string(b)}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("child server did not start")
	return nil
}

func (c *child) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c.cmd.Wait()
}

// harness lets the HTTP and websocket helpers talk to a child.
func (c *child) harness(t *testing.T) *harness {
	return &harness{t: t, url: "http://" + c.addr}
}

// TestRestartAfterKill kills the server process with SIGKILL while a slow
// prompt runs and two more wait, then restarts it: the finished history
// entry must be byte-for-byte intact, the killed prompt recorded as failed
// (ServerRestarted), the waiting prompts still pending in order, and they
// must run once the worker is back.
func TestRestartAfterKill(t *testing.T) {
	dir := t.TempDir()
	c := startChild(t, dir, time.Minute, false)
	h := c.harness(t)
	ws := h.dial("R")
	_, done := h.postPrompt(smallPrompt(1, "R"))
	doneID := done["prompt_id"].(string)
	ws.waitFor(endOf(doneID), 10*time.Second)
	_, before, _ := h.do("GET", "/history/"+doneID, nil)

	slow := smallPrompt(2, "R")
	slow["prompt"].(map[string]any)["1"].(map[string]any)["inputs"].(map[string]any)["width"] = 4096
	_, r := h.postPrompt(slow)
	slowID := r["prompt_id"].(string)
	ws.waitFor(executingNode(slowID, "1"), 10*time.Second)
	var pending []string
	for i := 0; i < 2; i++ {
		_, r := h.postPrompt(smallPrompt(10+i, "R"))
		pending = append(pending, r["prompt_id"].(string))
	}
	c.kill(t)

	c = startChild(t, dir, 0, true)
	h = c.harness(t)
	_, after, _ := h.do("GET", "/history/"+doneID, nil)
	if string(after) != string(before) {
		t.Errorf("finished entry changed across the crash:\n%s\n%s", before, after)
	}
	checkRestartedEntry(t, h, slowID)
	var q struct {
		Running [][]json.RawMessage `json:"queue_running"`
		Pending [][]json.RawMessage `json:"queue_pending"`
	}
	h.getJSON("/queue", &q)
	if len(q.Running) != 0 || len(q.Pending) != 2 {
		t.Fatalf("after restart: %d running, %d pending, want 0 and 2", len(q.Running), len(q.Pending))
	}
	for i, it := range q.Pending {
		var id string
		json.Unmarshal(it[1], &id)
		if id != pending[i] {
			t.Errorf("pending[%d] = %s, want %s", i, id, pending[i])
		}
	}
	c.kill(t)

	c = startChild(t, dir, 0, false)
	h = c.harness(t)
	for _, id := range pending {
		e := h.waitHistory(id)
		if st := e["status"].(map[string]any); st["status_str"] != "success" {
			t.Errorf("re-run pending prompt %s: %v", id, st)
		}
	}
}

func checkRestartedEntry(t *testing.T, h *harness, id string) {
	t.Helper()
	var m map[string]map[string]any
	h.getJSON("/history/"+id, &m)
	e, ok := m[id]
	if !ok {
		t.Fatalf("killed prompt %s is not in the history", id)
	}
	st := e["status"].(map[string]any)
	msgs := st["messages"].([]any)
	last := msgs[len(msgs)-1].([]any)
	data, _ := json.Marshal(last[1])
	if st["status_str"] != "error" || st["completed"] != false || last[0] != "execution_error" ||
		!strings.Contains(string(data), queue.ExceptionServerRestarted) {
		t.Errorf("killed prompt entry: %v", st)
	}
}

// TestConcurrentAcksSurviveKill posts prompts from 8 goroutines at once
// (so that their writes share commits) while the worker runs, kills the
// server with SIGKILL right after the last 200 and restarts it paused:
// every acknowledged prompt must be pending or in the history.
func TestConcurrentAcksSurviveKill(t *testing.T) {
	dir := t.TempDir()
	c := startChild(t, dir, 0, false)
	const n = 48
	ids := make(chan string, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			id, err := postRaw("http://"+c.addr, smallPrompt(100+i, ""))
			if err != nil {
				errs <- err
				return
			}
			ids <- id
		}()
	}
	for range 8 {
		sem <- struct{}{}
	}
	c.kill(t)
	close(ids)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	c = startChild(t, dir, 0, true)
	h := c.harness(t)
	var q struct {
		Pending [][]json.RawMessage `json:"queue_pending"`
	}
	h.getJSON("/queue", &q)
	pending := map[string]bool{}
	for _, it := range q.Pending {
		var id string
		json.Unmarshal(it[1], &id)
		pending[id] = true
	}
	var hist map[string]json.RawMessage
	h.getJSON("/history", &hist)
	acked := 0
	for id := range ids {
		acked++
		if _, ok := hist[id]; !ok && !pending[id] {
			t.Errorf("acknowledged prompt %s is neither pending nor in the history after SIGKILL", id)
		}
	}
	if acked != n {
		t.Fatalf("%d of %d prompts acknowledged", acked, n)
	}
	t.Logf("after the kill: %d pending, %d in the history", len(pending), len(hist))
}

// postRaw posts a prompt without the harness (whose failures must come from
// the test goroutine) and returns its id once the server answered 200.
func postRaw(base string, body map[string]any) (string, error) {
	js, err := json.Marshal(body)
	if err != nil {
		return "", err
	}
	resp, err := http.Post(base+"/prompt", "application/json", strings.NewReader(string(js)))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var r struct {
		PromptID string `json:"prompt_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("POST /prompt: %d %v", resp.StatusCode, err)
	}
	return r.PromptID, nil
}
