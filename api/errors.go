package api

import "encoding/json"

// Error is one error object as ComfyUI reports it, at the top level of a
// rejected prompt and inside node_errors.
type Error struct {
	Type      string                     `json:"type"`
	Message   string                     `json:"message"`
	Details   string                     `json:"details"`
	ExtraInfo map[string]json.RawMessage `json:"extra_info"`
}

// NodeError lists the validation failures of one node.
type NodeError struct {
	Errors           []Error  `json:"errors"`
	DependentOutputs []string `json:"dependent_outputs"`
	ClassType        string   `json:"class_type"`
}

// NodeErrors maps node ids to their validation failures. It marshals as
// {} rather than null when empty, as clients index into it.
type NodeErrors map[string]NodeError

// MarshalJSON writes an empty object for a nil map.
func (n NodeErrors) MarshalJSON() ([]byte, error) {
	if len(n) == 0 {
		return []byte("{}"), nil
	}
	return json.Marshal(map[string]NodeError(n))
}

// PromptError is the 400 body of POST /prompt: both keys are always present.
type PromptError struct {
	Error      Error      `json:"error"`
	NodeErrors NodeErrors `json:"node_errors"`
}

// NewPromptError builds a top-level error with no node errors, the shape
// used for no_prompt, invalid_prompt and malformed requests.
func NewPromptError(typ, message, details string) *PromptError {
	return &PromptError{Error: Error{Type: typ, Message: message, Details: details, ExtraInfo: map[string]json.RawMessage{}}}
}

// SimpleError is the {"error": "..."} body of /users, /api/jobs and
// /internal/files failures.
type SimpleError struct {
	Error string `json:"error"`
}
