package graph

import (
	"bytes"
	"fmt"
	"strings"
)

// Error types, as ComfyUI spells them in "type".
const (
	ErrTypeNoPrompt                 = "no_prompt"
	ErrTypeInvalidPrompt            = "invalid_prompt"
	ErrTypeNoOutputs                = "prompt_no_outputs"
	ErrTypeOutputsFailed            = "prompt_outputs_failed_validation"
	ErrTypeRequiredInputMissing     = "required_input_missing"
	ErrTypeBadLinkedInput           = "bad_linked_input"
	ErrTypeReturnTypeMismatch       = "return_type_mismatch"
	ErrTypeInvalidInputType         = "invalid_input_type"
	ErrTypeValueSmallerThanMin      = "value_smaller_than_min"
	ErrTypeValueBiggerThanMax       = "value_bigger_than_max"
	ErrTypeValueNotInList           = "value_not_in_list"
	ErrTypeCustomValidationFailed   = "custom_validation_failed"
	ErrTypeExceptionDuringValidate  = "exception_during_validation"
	ErrTypeExceptionDuringInnerVal  = "exception_during_inner_validation"
	ErrTypeDependencyCycle          = "dependency_cycle"
	errInvalidPromptMissingClass    = "Cannot execute because a node is missing the class_type property."
	errInvalidPromptUnknownClassFmt = "Cannot execute because node %s does not exist."
)

// Field is one key of an error's extra_info object.
type Field struct {
	Key   string
	Value any
}

// Fields is an extra_info object; it keeps ComfyUI's key order in JSON.
type Fields []Field

// Get returns the value under key, or nil.
func (f Fields) Get(key string) any {
	for _, x := range f {
		if x.Key == key {
			return x.Value
		}
	}
	return nil
}

// MarshalJSON writes the fields as an object in order ({} when empty).
func (f Fields) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, x := range f {
		if i > 0 {
			b.WriteByte(',')
		}
		v, err := marshalValue(x.Value)
		if err != nil {
			return nil, err
		}
		b.WriteString(quote(x.Key))
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// InputError is one validation failure of one node (an entry of
// node_errors[id].errors). Input is "" for node-level failures.
type InputError struct {
	NodeID    string
	Input     string
	Type      string
	Message   string
	Details   string
	ExtraInfo Fields
}

// Error formats the failure for logs.
func (e *InputError) Error() string {
	return fmt.Sprintf("graph: node %s: %s: %s", e.NodeID, e.Message, e.Details)
}

// MarshalJSON writes {type, message, details, extra_info}.
func (e *InputError) MarshalJSON() ([]byte, error) {
	return marshalOrdered(Fields{{"type", e.Type}, {"message", e.Message}, {"details", e.Details}, {"extra_info", e.ExtraInfo}})
}

// NodeError groups the failures of one node.
type NodeError struct {
	NodeID           string
	ClassType        string
	Errors           []*InputError
	DependentOutputs []string
}

// NodeErrors is the node_errors object, keyed by node id in the order
// ComfyUI reports them.
type NodeErrors []*NodeError

// Get returns the entry of a node.
func (ne NodeErrors) Get(id string) *NodeError {
	for _, e := range ne {
		if e.NodeID == id {
			return e
		}
	}
	return nil
}

// MarshalJSON writes {"<id>": {"errors", "dependent_outputs", "class_type"}}.
func (ne NodeErrors) MarshalJSON() ([]byte, error) {
	f := make(Fields, len(ne))
	for i, e := range ne {
		errs := e.Errors
		if errs == nil {
			errs = []*InputError{}
		}
		deps := e.DependentOutputs
		if deps == nil {
			deps = []string{}
		}
		f[i] = Field{e.NodeID, Fields{{"errors", errs}, {"dependent_outputs", deps}, {"class_type", e.ClassType}}}
	}
	return f.MarshalJSON()
}

// PromptError is a rejected prompt: ComfyUI's 400 body
// {"error": {type, message, details, extra_info}, "node_errors": {...}}.
type PromptError struct {
	Type       string
	Message    string
	Details    string
	ExtraInfo  Fields
	NodeErrors NodeErrors
}

// Error formats the failure for logs and the CLI.
func (e *PromptError) Error() string {
	s := "graph: " + e.Message
	if e.Details != "" {
		s += ": " + strings.ReplaceAll(e.Details, "\n", "; ")
	}
	for _, ne := range e.NodeErrors {
		for _, ie := range ne.Errors {
			s += fmt.Sprintf("; node %s (%s): %s: %s", ne.NodeID, ne.ClassType, ie.Message, ie.Details)
		}
	}
	return s
}

// MarshalJSON writes the full /prompt error body.
func (e *PromptError) MarshalJSON() ([]byte, error) {
	ne := e.NodeErrors
	if ne == nil {
		ne = NodeErrors{}
	}
	errObj := Fields{{"type", e.Type}, {"message", e.Message}, {"details", e.Details}, {"extra_info", e.ExtraInfo}}
	return marshalOrdered(Fields{{"error", errObj}, {"node_errors", ne}})
}

// NoPromptError is the answer to a POST /prompt body without "prompt".
func NoPromptError() *PromptError {
	return &PromptError{Type: ErrTypeNoPrompt, Message: "No prompt provided", Details: "No prompt provided"}
}

func marshalOrdered(f Fields) ([]byte, error) { return f.MarshalJSON() }

// CycleError reports nodes that depend on each other, found while ordering
// execution (ComfyUI's graph.DependencyCycleError).
type CycleError struct {
	// NodeIDs are the nodes left blocked, in pending order.
	NodeIDs []string
}

// Error is ComfyUI's message.
func (e *CycleError) Error() string {
	return "graph: Dependency cycle detected: " + strings.Join(e.NodeIDs, ", ")
}
