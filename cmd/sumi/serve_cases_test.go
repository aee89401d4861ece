package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"sumi/internal/testutil"
	"sumi/nodes/modelnodes"
	"sumi/pngmeta"
	"sumi/queue"
	"sumi/server"
)

// startServer wires the server as `sumi serve` does, on a test listener.
func startServer(t *testing.T, base string) (*httptest.Server, *modelnodes.Cache) {
	t.Helper()
	f := testutil.Folders(t, base)
	models := processModels(os.Getenv("SUMI_ORT_LIB"))
	reg, err := newRegistry(registryConfig{Folders: f, Models: models})
	if err != nil {
		t.Fatal(err)
	}
	store, err := queue.OpenBolt(filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	hub := server.NewHub()
	runner := server.NewRunner(reg, f)
	sched := queue.NewScheduler(store, runner, hub)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { sched.Run(ctx); close(done) }()
	srv := server.New(server.Config{Folders: f, Free: func(unload, free bool) {
		runner.Free(unload, free)
		if unload {
			models.Free()
		}
	}}, &server.RegistryEngine{Registry: reg}, sched, hub)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ts.Close()
		cancel()
		<-done
		store.Close()
	})
	return ts, models
}

// TestServePipelineCases posts the pipeline cases to the server, follows
// the websocket until "executing" with node null, expects one progress
// message per sampling step, and fetches the PNG through /view.
func TestServePipelineCases(t *testing.T) {
	ts, _ := startServer(t, tinyBase(t))
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"/ws?clientId=e2e", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	n := 0
	for _, c := range sumiCases(t) {
		if !strings.HasPrefix(c.Name, "pipeline_") {
			continue
		}
		n++
		t.Run(c.Name, func(t *testing.T) { servedCase(t, ts, ws, c) })
	}
	if n < 4 {
		t.Errorf("only %d pipeline cases", n)
	}
}

func servedCase(t *testing.T, ts *httptest.Server, ws *websocket.Conn, c sumiCase) {
	dir := casesDir + c.Dir
	prompt, err := os.ReadFile(dir + "case.api.json")
	if err != nil {
		t.Fatal(err)
	}
	body := map[string]json.RawMessage{"prompt": prompt, "client_id": json.RawMessage(`"e2e"`)}
	if extra, err := os.ReadFile(dir + "case.extra_data.json"); err == nil {
		body["extra_data"] = extra
	}
	b, _ := json.Marshal(body)
	resp, err := http.Post(ts.URL+"/prompt", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var posted struct {
		PromptID string `json:"prompt_id"`
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || json.Unmarshal(raw, &posted) != nil {
		t.Fatalf("POST /prompt: %d %s", resp.StatusCode, raw)
	}
	steps, previews := followRun(t, ws, posted.PromptID)
	if want := samplerSteps(t, prompt); steps != want {
		t.Errorf("%d progress messages, want one per step (%d)", steps, want)
	}
	if previews == 0 {
		t.Error("no preview frames")
	}
	for _, img := range c.Images {
		q := url.Values{"filename": {img.File}, "subfolder": {"e2e"}, "type": {"output"}}
		resp, err := http.Get(ts.URL + "/view?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		got, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("/view %s: %v", img.File, err)
		}
		comparePixels(t, got, testutil.DecodePNG(t, dir+img.File))
		compareExtraChunks(t, data, dir+img.File)
	}
}

// followRun reads messages until the prompt's final "executing" (node
// null), counting progress messages and binary preview frames.
func followRun(t *testing.T, ws *websocket.Conn, promptID string) (steps, previews int) {
	t.Helper()
	ws.SetReadDeadline(time.Now().Add(2 * time.Minute))
	for {
		typ, data, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("websocket: %v", err)
		}
		if typ == websocket.BinaryMessage {
			previews++
			continue
		}
		var m struct {
			Type string `json:"type"`
			Data struct {
				Node     *string `json:"node"`
				PromptID string  `json:"prompt_id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("message %s: %v", data, err)
		}
		if m.Data.PromptID != promptID {
			continue
		}
		switch m.Type {
		case "progress":
			steps++
		case "execution_error":
			t.Fatalf("execution error: %s", data)
		case "executing":
			if m.Data.Node == nil {
				return steps, previews
			}
		}
	}
}

// samplerSteps sums the steps inputs of the prompt's KSampler nodes.
func samplerSteps(t *testing.T, prompt []byte) int {
	var p map[string]struct {
		ClassType string         `json:"class_type"`
		Inputs    map[string]any `json:"inputs"`
	}
	if err := json.Unmarshal(prompt, &p); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, node := range p {
		if node.ClassType == "KSampler" {
			n += int(node.Inputs["steps"].(float64))
		}
	}
	if n == 0 {
		t.Fatal(fmt.Sprint("no KSampler in ", string(prompt)))
	}
	return n
}

// compareExtraChunks checks every text chunk ("prompt" and the
// extra_pnginfo members, e.g. "workflow") byte for byte.
func compareExtraChunks(t *testing.T, got []byte, wantPath string) {
	t.Helper()
	want, err := os.ReadFile(wantPath)
	if err != nil {
		t.Fatal(err)
	}
	gm, err := pngmeta.ReadMap(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	wm, err := pngmeta.ReadMap(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	if len(gm) != len(wm) {
		t.Errorf("%d text chunks, want %d", len(gm), len(wm))
	}
	for k, v := range wm {
		if gm[k] != v {
			t.Errorf("chunk %q:\n got  %.200s\n want %.200s", k, gm[k], v)
		}
	}
}
