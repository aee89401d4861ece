package executor

import (
	"encoding/json"

	"sumi/api"
	"sumi/nodes"
)

// Event types, as ComfyUI names its websocket messages. EventPreview and
// EventText are binary frames (types 1/4 and 3), not JSON messages.
const (
	EventExecutionStart       = "execution_start"
	EventExecutionCached      = "execution_cached"
	EventExecuting            = "executing"
	EventProgress             = "progress"
	EventProgressState        = "progress_state"
	EventExecuted             = "executed"
	EventExecutionSuccess     = "execution_success"
	EventExecutionError       = "execution_error"
	EventExecutionInterrupted = "execution_interrupted"
	EventPreview              = "preview"
	EventText                 = "progress_text"
)

// Event is one message for the prompt's client. Data is the api wire type
// of the message (api.ExecutionStart, api.Executing, ...) or one of the
// *Data types below where the executor's form differs from the wire's;
// json.Marshal(event) gives ComfyUI's {"type", "data"} frame.
type Event struct {
	Type string
	Data any
}

// MarshalJSON writes {"type": Type, "data": Data}.
func (e Event) MarshalJSON() ([]byte, error) {
	return json.Marshal(api.Message{Type: e.Type, Data: e.Data})
}

// ExecutedData is executed: the UI of an output node (nil Output is sent as
// "output": null, for a cached output node without UI).
type ExecutedData struct {
	Node        string   `json:"node"`
	DisplayNode string   `json:"display_node"`
	Output      nodes.UI `json:"output"`
	PromptID    string   `json:"prompt_id"`
}

// ErrorData is execution_error.
type ErrorData struct {
	PromptID         string           `json:"prompt_id"`
	NodeID           string           `json:"node_id"`
	NodeType         string           `json:"node_type"`
	Executed         []string         `json:"executed"`
	ExceptionMessage string           `json:"exception_message"`
	ExceptionType    string           `json:"exception_type"`
	Traceback        []string         `json:"traceback"`
	CurrentInputs    map[string][]any `json:"current_inputs"`
	CurrentOutputs   []string         `json:"current_outputs"`
	Timestamp        int64            `json:"timestamp"`
}

// PreviewData is a preview image for binary frame 1 (or 4 with metadata).
type PreviewData struct {
	PromptID string
	Node     string
	Image    nodes.Preview
}

// TextData is progress text for binary frame 3.
type TextData struct {
	PromptID string
	Node     string
	Text     string
}
