package api

import "encoding/json"

// Websocket message types (the "type" of every text frame).
const (
	MsgStatus               = "status"
	MsgExecutionStart       = "execution_start"
	MsgExecutionCached      = "execution_cached"
	MsgExecuting            = "executing"
	MsgExecuted             = "executed"
	MsgProgress             = "progress"
	MsgProgressState        = "progress_state"
	MsgExecutionSuccess     = "execution_success"
	MsgExecutionError       = "execution_error"
	MsgExecutionInterrupted = "execution_interrupted"
	MsgFeatureFlags         = "feature_flags"
	MsgLogs                 = "logs"
)

// Message is one websocket text frame.
type Message struct {
	Type string `json:"type"`
	Data any    `json:"data"`
}

// StatusData is the data of a status message; SID is set only on the first
// one a socket receives.
type StatusData struct {
	Status PromptInfo `json:"status"`
	SID    string     `json:"sid,omitempty"`
}

// ExecutionStart is the data of execution_start and execution_success.
type ExecutionStart struct {
	PromptID  string `json:"prompt_id"`
	Timestamp int64  `json:"timestamp"`
}

// ExecutionCached lists the prompt's nodes served from the cache.
type ExecutionCached struct {
	Nodes     []string `json:"nodes"`
	PromptID  string   `json:"prompt_id"`
	Timestamp int64    `json:"timestamp"`
}

// Executing says a node starts; Node is nil once the prompt is over.
type Executing struct {
	Node        *string `json:"node"`
	DisplayNode string  `json:"display_node,omitempty"`
	PromptID    string  `json:"prompt_id,omitempty"`
}

// Executed carries the UI output of a node (or of a cached output node).
type Executed struct {
	Node        string          `json:"node"`
	DisplayNode string          `json:"display_node"`
	Output      json.RawMessage `json:"output"`
	PromptID    string          `json:"prompt_id"`
}

// Progress is a step counter inside one node.
type Progress struct {
	Value    int    `json:"value"`
	Max      int    `json:"max"`
	PromptID string `json:"prompt_id"`
	Node     string `json:"node"`
}

// Node states used in progress_state.
const (
	NodeRunning  = "running"
	NodeFinished = "finished"
)

// ProgressState is the snapshot of every started node of a prompt.
type ProgressState struct {
	PromptID string                  `json:"prompt_id"`
	Nodes    map[string]NodeProgress `json:"nodes"`
}

// NodeProgress is one node's entry in ProgressState.
type NodeProgress struct {
	Value         float64 `json:"value"`
	Max           float64 `json:"max"`
	State         string  `json:"state"`
	NodeID        string  `json:"node_id"`
	PromptID      string  `json:"prompt_id"`
	DisplayNodeID string  `json:"display_node_id"`
	ParentNodeID  *string `json:"parent_node_id"`
	RealNodeID    string  `json:"real_node_id"`
}

// ExecutionError reports an exception inside a node.
type ExecutionError struct {
	PromptID         string                     `json:"prompt_id"`
	NodeID           string                     `json:"node_id"`
	NodeType         string                     `json:"node_type"`
	Executed         []string                   `json:"executed"`
	ExceptionMessage string                     `json:"exception_message"`
	ExceptionType    string                     `json:"exception_type"`
	Traceback        []string                   `json:"traceback"`
	CurrentInputs    map[string]json.RawMessage `json:"current_inputs"`
	CurrentOutputs   []string                   `json:"current_outputs"`
	Timestamp        int64                      `json:"timestamp"`
}

// ExecutionInterrupted reports a prompt stopped by /interrupt.
type ExecutionInterrupted struct {
	PromptID  string   `json:"prompt_id"`
	NodeID    string   `json:"node_id"`
	NodeType  string   `json:"node_type"`
	Executed  []string `json:"executed"`
	Timestamp int64    `json:"timestamp"`
}

// FeatureFlags is the server's feature dict, sent as the reply to a
// client's feature_flags message and by GET /features.
type FeatureFlags struct {
	SupportsPreviewMetadata bool           `json:"supports_preview_metadata"`
	MaxUploadSize           int64          `json:"max_upload_size"`
	Extension               map[string]any `json:"extension"`
}

// DefaultFeatureFlags returns the flags ComfyUI 0.8.0 advertises.
func DefaultFeatureFlags(maxUpload int64) FeatureFlags {
	return FeatureFlags{
		SupportsPreviewMetadata: true,
		MaxUploadSize:           maxUpload,
		Extension:               map[string]any{"manager": map[string]any{"supports_v4": true}},
	}
}

// ClientFlags is what a client announces in its first feature_flags frame.
type ClientFlags struct {
	SupportsPreviewMetadata bool `json:"supports_preview_metadata"`
}
