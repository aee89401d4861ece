package server

import (
	"encoding/json"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"
)

type rawExchange struct {
	Request struct {
		Method   string          `json:"method"`
		Path     string          `json:"path"`
		Body     json.RawMessage `json:"body"`
		BodyText string          `json:"body_text"`
	} `json:"request"`
	Response struct {
		Status int             `json:"status"`
		JSON   json.RawMessage `json:"json"`
	} `json:"response"`
}

// TestRecordedInvalidPrompts replays ComfyUI's answers to invalid prompts:
// status, error type, and which nodes failed with which error types. The
// two requests ComfyUI answers with a 500 traceback get a 400 JSON body
// here (the spec allows it; clients parse either as failure).
func TestRecordedInvalidPrompts(t *testing.T) {
	var recs map[string]rawExchange
	loadJSON(t, "http_post_prompt_invalid.json", &recs)
	h := newHarness(t)
	for name, rec := range recs {
		t.Run(name, func(t *testing.T) {
			h.t = t
			body := any(rec.Request.Body)
			if rec.Request.Body == nil {
				body = rec.Request.BodyText
			}
			code, out, _ := h.do("POST", "/prompt", body)
			want := rec.Response.Status
			if want == http.StatusInternalServerError {
				want = http.StatusBadRequest
			}
			if code != want {
				t.Fatalf("status %d, want %d: %s", code, want, out)
			}
			if rec.Response.Status == http.StatusInternalServerError {
				if !strings.Contains(string(out), `"error"`) {
					t.Errorf("400 body has no error object: %s", out)
				}
				return
			}
			if g, w := errorShape(t, out), errorShape(t, rec.Response.JSON); g != w {
				t.Errorf("answer shape\n got %s\nwant %s", g, w)
			}
		})
	}
}

// errorShape keeps the parts of a /prompt answer that must match: the top
// keys, the error type and per node the error types.
func errorShape(t *testing.T, raw []byte) string {
	var m struct {
		Error *struct {
			Type string `json:"type"`
		} `json:"error"`
		PromptID   *string `json:"prompt_id"`
		NodeErrors map[string]struct {
			Errors []struct {
				Type string `json:"type"`
			} `json:"errors"`
			DependentOutputs []string `json:"dependent_outputs"`
			ClassType        string   `json:"class_type"`
		} `json:"node_errors"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	var parts []string
	if m.Error != nil {
		parts = append(parts, "error="+m.Error.Type)
	}
	if m.PromptID != nil {
		parts = append(parts, "prompt_id")
	}
	for id, ne := range m.NodeErrors {
		var types []string
		for _, e := range ne.Errors {
			types = append(types, e.Type)
		}
		deps := append([]string{}, ne.DependentOutputs...)
		sort.Strings(deps)
		parts = append(parts, id+":"+ne.ClassType+":"+strings.Join(types, ",")+":deps="+strings.Join(deps, ","))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// TestRecordedGets replays the simple GETs, bare and under /api, comparing
// status and the JSON shape (keys, or the value for constant bodies).
func TestRecordedGets(t *testing.T) {
	var recs map[string]rawExchange
	loadJSON(t, "http_gets.json", &recs)
	h := newHarness(t)
	for path, rec := range recs {
		if strings.Contains(path, "KSampler") || strings.HasSuffix(path, "/models") {
			continue // node set and model folders belong to the registry/folders tests
		}
		t.Run(path, func(t *testing.T) {
			h.t = t
			code, out, _ := h.do("GET", path, nil)
			if code != rec.Response.Status {
				t.Fatalf("status %d, want %d", code, rec.Response.Status)
			}
			if rec.Response.JSON == nil || strings.Contains(path, "internal/logs") {
				return
			}
			if g, w := jsonShape(t, out), jsonShape(t, rec.Response.JSON); g != w {
				t.Errorf("shape\n got %s\nwant %s", g, w)
			}
		})
	}
}

// jsonShape writes the keys (recursively for objects) and the types of
// leaves; empty containers and small constants are written as is.
func jsonShape(t *testing.T, raw []byte) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	return shapeOf(v)
}

func shapeOf(v any) string {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, k+":"+shapeOf(x[k]))
		}
		return "{" + strings.Join(parts, ",") + "}"
	case []any:
		if len(x) == 0 {
			return "[]"
		}
		return "[" + shapeOf(x[0]) + "...]"
	case nil:
		return "null"
	case bool:
		return "bool"
	case float64:
		return "number"
	case string:
		return "string"
	}
	return "?"
}

// TestRecordedModels checks /models lists ComfyUI's folder keys.
func TestRecordedModels(t *testing.T) {
	var recs map[string]rawExchange
	loadJSON(t, "http_gets.json", &recs)
	var want, got []string
	json.Unmarshal(recs["/models"].Response.JSON, &want)
	h := newHarness(t)
	h.getJSON("/api/models", &got)
	sort.Strings(want)
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("/models %v\nwant %v", got, want)
	}
}
