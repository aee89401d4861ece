package api

import (
	"encoding/json"
	"fmt"
)

// PromptRequest is the body of POST /prompt. Prompt stays raw so that large
// integers (seeds up to 2^64-1) survive until the validator reads them.
type PromptRequest struct {
	Prompt    json.RawMessage `json:"prompt"`
	ClientID  string          `json:"client_id,omitempty"`
	PromptID  string          `json:"prompt_id,omitempty"`
	Number    *float64        `json:"number,omitempty"`
	Front     json.RawMessage `json:"front,omitempty"`
	ExtraData ExtraData       `json:"extra_data,omitempty"`
	// PartialExecutionTargets restricts the run to these output node ids.
	PartialExecutionTargets []string `json:"partial_execution_targets,omitempty"`
}

// FrontRequested reports whether "front" is truthy in Python's sense, which
// is how ComfyUI reads it (true, 1, "yes" all count; false, 0, "", null do not).
func (r *PromptRequest) FrontRequested() bool {
	return Truthy(r.Front)
}

// Truthy reports whether a raw JSON value is truthy the way Python's bool()
// would judge the decoded value.
func Truthy(raw json.RawMessage) bool {
	if len(raw) == 0 {
		return false
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return false
	}
	switch t := v.(type) {
	case nil:
		return false
	case bool:
		return t
	case float64:
		return t != 0
	case string:
		return t != ""
	case []any:
		return len(t) > 0
	case map[string]any:
		return len(t) > 0
	}
	return false
}

// ExtraData is the free-form extra_data object. Values stay raw so that
// whatever a client stored (workflow JSON, custom keys) round-trips exactly.
type ExtraData map[string]json.RawMessage

// SensitiveExtraKeys are removed before an item is stored, as ComfyUI keeps
// them out of /queue, /history and /api/jobs.
var SensitiveExtraKeys = []string{"auth_token_comfy_org", "api_key_comfy_org"}

// ClientID returns extra_data.client_id, or "" when absent or not a string.
func (e ExtraData) ClientID() string {
	return e.str("client_id")
}

// CreateTime returns extra_data.create_time in Unix milliseconds, or 0.
func (e ExtraData) CreateTime() int64 {
	var n int64
	if raw, ok := e["create_time"]; ok && json.Unmarshal(raw, &n) == nil {
		return n
	}
	return 0
}

// WorkflowID returns extra_data.extra_pnginfo.workflow.id, or "".
func (e ExtraData) WorkflowID() string {
	var v struct {
		Workflow struct {
			ID string `json:"id"`
		} `json:"workflow"`
	}
	if raw, ok := e["extra_pnginfo"]; ok && json.Unmarshal(raw, &v) == nil {
		return v.Workflow.ID
	}
	return ""
}

func (e ExtraData) str(key string) string {
	var s string
	if raw, ok := e[key]; ok && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return ""
}

// Set stores v (marshalled) under key.
func (e ExtraData) Set(key string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("api: marshal extra_data %s: %v", key, err))
	}
	e[key] = b
}

// PromptResponse is the 200 body of POST /prompt.
type PromptResponse struct {
	PromptID   string     `json:"prompt_id"`
	Number     Number     `json:"number"`
	NodeErrors NodeErrors `json:"node_errors"`
}

// ExecInfo is the queue summary in GET /prompt and in status messages.
type ExecInfo struct {
	QueueRemaining int `json:"queue_remaining"`
}

// PromptInfo is the body of GET /prompt.
type PromptInfo struct {
	ExecInfo ExecInfo `json:"exec_info"`
}
