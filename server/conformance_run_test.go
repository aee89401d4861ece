package server

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"mime/multipart"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

const clientA = "refclientA7517102b"

// scenario is one entry of ws_runs.json.
type scenario map[string]json.RawMessage

func (sc scenario) exchange(t *testing.T, key string) exchange {
	t.Helper()
	var e exchange
	if err := json.Unmarshal(sc[key], &e); err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return e
}

func (sc scenario) frames(t *testing.T, key string) []recorded {
	t.Helper()
	var f []recorded
	if err := json.Unmarshal(sc[key], &f); err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return f
}

// TestConformanceRuns replays every websocket scenario recorded from
// ComfyUI against sumi with fake nodes of the same classes and checks the
// message sequence seen by the submitting socket A and the bystander B,
// the POST /prompt answer and the history entry.
func TestConformanceRuns(t *testing.T) {
	var runs map[string]scenario
	loadJSON(t, "ws_runs.json", &runs)
	slowNodeDelay.Store(int64(300 * time.Millisecond))
	defer slowNodeDelay.Store(0)
	h := newHarness(t)
	a, b := h.dial(clientA), h.dial("")
	h.upload(t, "ref_upload.png", "", pngBytes(t, 4), false)
	h.upload(t, "ref_sub.png", "refsub", pngBytes(t, 6), false)
	for _, name := range []string{"success", "success_again_cached", "success_one_input_changed",
		"fails_inside_node", "success_without_client_id", "primitive_string_nodes",
		"caller_chosen_prompt_id_and_extra_data", "interrupted", "load_uploaded_image", "load_uploaded_image_subfolder"} {
		t.Run(name, func(t *testing.T) {
			h.t, a.t, b.t = t, t, t
			a.take()
			b.take()
			if name == "interrupted" {
				replayInterrupted(t, h, a, b, runs[name])
				return
			}
			replayRun(t, h, a, b, runs[name])
		})
	}
}

func replayRun(t *testing.T, h *harness, a, b *wsClient, sc scenario) {
	post := sc.exchange(t, "post_prompt")
	code, resp := h.postPrompt(post.Request.Body)
	checkPostAnswer(t, code, resp, post)
	pid, _ := resp["prompt_id"].(string)
	var rec map[string]any
	json.Unmarshal(post.Response.JSON, &rec)
	ids := map[string]string{pid: "P"}
	recIDs := map[string]string{rec["prompt_id"].(string): "P"}
	if want, ok := post.Request.Body["prompt_id"]; ok && pid != want {
		t.Errorf("prompt_id %q, want the caller's %q", pid, want)
	}
	entry := h.waitHistory(pid)
	idle := func(f frame) bool {
		return f.Type == "status" && shape(f.Type, f.Data, nil) == "status keys=status remaining=0"
	}
	if _, ok := post.Request.Body["client_id"]; ok {
		a.waitFor(endOf(pid), 5*time.Second)
	} else {
		a.waitFor(idle, 5*time.Second)
	}
	b.waitFor(idle, 5*time.Second)
	time.Sleep(30 * time.Millisecond) // let stray frames arrive, to be caught
	gotA, wantA := ourShapes(a.take(), ids), recordedShapes(sc.frames(t, "ws_A_clientId_"+clientA), recIDs)
	if sameNodes(gotA, "execution_cached") {
		// A fully cached run replays its output nodes in the order of
		// outputs_to_execute, which ComfyUI takes from a Python set
		// (randomised string hashing), so only the set is comparable.
		gotA, wantA = cachedBlocks(gotA), cachedBlocks(wantA)
	}
	compareShapes(t, "socket A", gotA, wantA)
	compareShapes(t, "socket B", ourShapes(b.take(), ids), recordedShapes(sc.frames(t, "ws_B_no_clientId"), recIDs))
	compareHistory(t, entry, recordedEntry(t, sc.exchange(t, "history_item")), post.Request.Body)
}

func checkPostAnswer(t *testing.T, code int, resp map[string]any, post exchange) {
	t.Helper()
	var want map[string]any
	json.Unmarshal(post.Response.JSON, &want)
	if code != post.Response.Status || !sameKeys(resp, want) {
		t.Fatalf("POST /prompt: %d %v, want %d with keys of %v", code, resp, post.Response.Status, want)
	}
}

func sameKeys(a, b map[string]any) bool {
	return reflect.DeepEqual(keysOf(a), keysOf(b))
}

func keysOf(m map[string]any) []string {
	out := []string{}
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func recordedEntry(t *testing.T, e exchange) map[string]any {
	var m map[string]map[string]any
	if err := json.Unmarshal(e.Response.JSON, &m); err != nil {
		t.Fatal(err)
	}
	for _, v := range m {
		return v
	}
	t.Fatal("recorded history is empty")
	return nil
}

// compareHistory checks a history entry against the recorded one: keys,
// the 5-element prompt item, outputs, status and meta.
func compareHistory(t *testing.T, got, want map[string]any, body map[string]any) {
	t.Helper()
	if !sameKeys(got, want) {
		t.Fatalf("history keys %v, want %v", keysOf(got), keysOf(want))
	}
	gp, wp := got["prompt"].([]any), want["prompt"].([]any)
	if len(gp) != 5 || !reflect.DeepEqual(gp[2], wp[2]) {
		t.Errorf("history prompt item %v, want %v", gp, wp)
	} else {
		if !sameKeys(gp[3].(map[string]any), wp[3].(map[string]any)) {
			t.Errorf("extra_data keys %v, want %v", keysOf(gp[3].(map[string]any)), keysOf(wp[3].(map[string]any)))
		}
		if !reflect.DeepEqual(sortedList(gp[4]), sortedList(wp[4])) {
			t.Errorf("outputs_to_execute %v, want %v", gp[4], wp[4])
		}
	}
	if g, w := outputsShape(got["outputs"]), outputsShape(want["outputs"]); g != w {
		t.Errorf("history outputs %s, want %s", g, w)
	}
	gs, ws := got["status"].(map[string]any), want["status"].(map[string]any)
	if gs["status_str"] != ws["status_str"] || gs["completed"] != ws["completed"] || !reflect.DeepEqual(events(gs), events(ws)) {
		t.Errorf("history status %v %v %v, want %v %v %v", gs["status_str"], gs["completed"], events(gs), ws["status_str"], ws["completed"], events(ws))
	}
	if !reflect.DeepEqual(got["meta"], want["meta"]) {
		t.Errorf("history meta %v, want %v", got["meta"], want["meta"])
	}
}

func outputsShape(v any) string {
	m, _ := v.(map[string]any)
	var parts []string
	for id, out := range m {
		parts = append(parts, id+"="+outputShape(out))
	}
	sort.Strings(parts)
	return fmtList(parts)
}

func fmtList(s []string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func events(status map[string]any) []string {
	var out []string
	for _, m := range status["messages"].([]any) {
		out = append(out, m.([]any)[0].(string))
	}
	return out
}

// pngBytes is a tiny valid PNG of size n x n.
func pngBytes(t *testing.T, n int) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewNRGBA(image.Rect(0, 0, n, n))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// upload posts a multipart /upload/image form and returns status and body.
func (h *harness) upload(t *testing.T, name, subfolder string, data []byte, overwrite bool, extra ...string) (int, map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if name != "" {
		fw, _ := mw.CreateFormFile("image", name)
		fw.Write(data)
	}
	if subfolder != "" {
		mw.WriteField("subfolder", subfolder)
	}
	if overwrite {
		mw.WriteField("overwrite", "true")
	}
	for i := 0; i+1 < len(extra); i += 2 {
		mw.WriteField(extra[i], extra[i+1])
	}
	mw.Close()
	code, out, _ := h.do("POST", "/upload/image", buf.Bytes(), "Content-Type", mw.FormDataContentType())
	var m map[string]any
	json.Unmarshal(out, &m)
	return code, m
}

// sameNodes reports whether execution_cached listed any node.
func sameNodes(shapes []string, typ string) bool {
	for _, s := range shapes {
		if strings.HasPrefix(s, typ+" ") && !strings.HasSuffix(s, "nodes=[]") {
			return true
		}
	}
	return false
}

// cachedBlocks sorts the executed/progress_state pairs that follow
// execution_cached, and reduces each progress_state to its newest node.
func cachedBlocks(shapes []string) []string {
	out := append([]string{}, shapes...)
	start, end := -1, -1
	for i, s := range out {
		switch {
		case strings.HasPrefix(s, "execution_cached "):
			start = i + 1
		case strings.HasPrefix(s, "execution_success "):
			end = i
		}
	}
	if start < 0 || end < start || (end-start)%2 != 0 {
		return out
	}
	var blocks []string
	for i := start; i < end; i += 2 {
		ex := out[i]
		node := ex[strings.Index(ex, " node=")+6:]
		node = node[:strings.Index(node, " ")]
		ps := out[i+1]
		for _, part := range strings.Split(ps[strings.Index(ps, "nodes=")+6:], " ") {
			if strings.HasPrefix(part, node+":") {
				ps = "progress_state(" + part + ")"
			}
		}
		blocks = append(blocks, ex+" | "+ps)
	}
	sort.Strings(blocks)
	return append(append(out[:start:start], blocks...), out[end:]...)
}
