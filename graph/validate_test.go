package graph

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"testing"
)

type recordedCase struct {
	Request struct {
		Body json.RawMessage `json:"body"`
	} `json:"request"`
	Response struct {
		Status int             `json:"status"`
		JSON   json.RawMessage `json:"json"`
	} `json:"response"`
}

// dropTracebacks removes Python stack frames, which cannot match ours.
func dropTracebacks(v any) any {
	switch x := v.(type) {
	case map[string]any:
		delete(x, "traceback")
		for k := range x {
			x[k] = dropTracebacks(x[k])
		}
	case []any:
		for i := range x {
			x[i] = dropTracebacks(x[i])
		}
	}
	return v
}

func jsonValue(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	return dropTracebacks(v)
}

// TestValidateRecordedResponses replays every recorded invalid POST /prompt
// and compares our error JSON with ComfyUI's.
func TestValidateRecordedResponses(t *testing.T) {
	b, err := os.ReadFile("../testdata/protocol/http_post_prompt_invalid.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases map[string]recordedCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	reg := infoRegistry(t, "../testdata/protocol/object_info_core.json")
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var body struct {
				Prompt json.RawMessage `json:"prompt"`
			}
			if json.Unmarshal(c.Request.Body, &body) != nil || body.Prompt == nil {
				if name == "no_prompt_key" {
					got, _ := json.Marshal(NoPromptError())
					compareJSON(t, got, c.Response.JSON)
				}
				return // malformed bodies are the server's (500, plain text)
			}
			p, err := ParsePrompt(body.Prompt)
			if c.Response.Status == 500 {
				if err == nil {
					t.Fatalf("ParsePrompt accepted %s", body.Prompt)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			res, err := Validate(p, reg, nil)
			if c.Response.Status == 400 {
				var pe *PromptError
				if !errors.As(err, &pe) {
					t.Fatalf("got %v, want a *PromptError", err)
				}
				got, _ := json.Marshal(pe)
				compareJSON(t, got, c.Response.JSON)
				return
			}
			if err != nil {
				t.Fatalf("rejected: %v", err)
			}
			var want struct {
				NodeErrors json.RawMessage `json:"node_errors"`
			}
			_ = json.Unmarshal(c.Response.JSON, &want)
			got, _ := json.Marshal(res.NodeErrors)
			compareJSON(t, got, want.NodeErrors)
		})
	}
}

func compareJSON(t *testing.T, got, want []byte) {
	t.Helper()
	if g, w := jsonValue(t, got), jsonValue(t, want); !reflect.DeepEqual(g, w) {
		t.Errorf("JSON differs\n got %s\nwant %s", got, want)
	}
}
