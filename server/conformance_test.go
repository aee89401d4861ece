package server

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

const protocolDir = "../testdata/protocol/"

// recorded is one websocket frame of a transcript.
type recorded struct {
	Kind string `json:"kind"`
	JSON struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	} `json:"json"`
}

type exchange struct {
	Request struct {
		Method string         `json:"method"`
		Path   string         `json:"path"`
		Body   map[string]any `json:"body"`
	} `json:"request"`
	Response struct {
		Status int             `json:"status"`
		JSON   json.RawMessage `json:"json"`
	} `json:"response"`
}

func loadJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(protocolDir + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// shape describes a frame by what must match a recording: type, data keys
// and the values that are not run-specific. Prompt ids are replaced by
// names from ids.
func shape(typ string, data map[string]any, ids map[string]string) string {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := typ + " keys=" + strings.Join(keys, ",")
	if pid, ok := data["prompt_id"].(string); ok {
		s += " pid=" + nameOf(pid, ids)
	}
	switch typ {
	case "status":
		st, _ := data["status"].(map[string]any)
		ei, _ := st["exec_info"].(map[string]any)
		s += fmt.Sprintf(" remaining=%v", ei["queue_remaining"])
	case "executing":
		s += fmt.Sprintf(" node=%v display=%v", data["node"], data["display_node"])
	case "executed":
		s += fmt.Sprintf(" node=%v display=%v output=%s", data["node"], data["display_node"], outputShape(data["output"]))
	case "execution_cached":
		s += fmt.Sprintf(" nodes=%v", data["nodes"])
	case "progress_state":
		s += " nodes=" + progressShape(data["nodes"], ids)
	case "execution_error", "execution_interrupted":
		s += fmt.Sprintf(" node=%v type=%v executed=%v", data["node_id"], data["node_type"], sortedList(data["executed"]))
	}
	return s
}

func nameOf(pid string, ids map[string]string) string {
	if n, ok := ids[pid]; ok {
		return n
	}
	return "unknown:" + pid
}

func sortedList(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, fmt.Sprint(x))
	}
	sort.Strings(out)
	return out
}

// outputShape keeps output file names except the random part of temp names.
func outputShape(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Sprint(v)
	}
	var parts []string
	for key, list := range m {
		items, _ := list.([]any)
		for _, it := range items {
			im, _ := it.(map[string]any)
			name := fmt.Sprint(im["filename"])
			if im["type"] == "temp" {
				name = "<temp>"
			}
			parts = append(parts, fmt.Sprintf("%s:%s/%v:%v", key, name, im["subfolder"], im["type"]))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ";")
}

func progressShape(v any, ids map[string]string) string {
	m, _ := v.(map[string]any)
	var parts []string
	for id, st := range m {
		e, _ := st.(map[string]any)
		keys := make([]string, 0, len(e))
		for k := range e {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts = append(parts, fmt.Sprintf("%s:%v:%v/%v:%v[%s]", id, e["state"], e["value"], e["max"], nameOf(fmt.Sprint(e["prompt_id"]), ids), strings.Join(keys, ",")))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

func recordedShapes(frames []recorded, ids map[string]string) []string {
	var out []string
	for _, f := range frames {
		out = append(out, shape(f.JSON.Type, f.JSON.Data, ids))
	}
	return out
}

func ourShapes(frames []frame, ids map[string]string) []string {
	var out []string
	for _, f := range frames {
		out = append(out, shape(f.Type, f.Data, ids))
	}
	return out
}

func compareShapes(t *testing.T, what string, got, want []string) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	t.Errorf("%s: message sequence differs from the recording", what)
	for i := 0; i < max(len(got), len(want)); i++ {
		g, w := "-", "-"
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		mark := "  "
		if g != w {
			mark = "!!"
		}
		t.Logf("%s %2d got  %s\n      want %s", mark, i, g, w)
	}
}

// waitHistory polls /history/{id} until the prompt has finished.
func (h *harness) waitHistory(id string) map[string]any {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var m map[string]map[string]any
		h.getJSON("/history/"+id, &m)
		if e, ok := m[id]; ok {
			return e
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.t.Fatalf("prompt %s never reached the history", id)
	return nil
}
