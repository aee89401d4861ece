// Package executor runs validated prompts with ComfyUI's semantics: only
// ancestors of the requested output nodes, in ComfyUI's order, with an
// output cache shared across prompts and keyed by what a node computes
// (class, inputs, ancestors, IsChanged) rather than by node id.
//
// It knows nothing about HTTP: everything the websocket needs is reported
// through a callback as Event values that marshal to ComfyUI's
// {"type": ..., "data": ...} messages. Cancelling the context interrupts
// the prompt; a node that fails or panics ends only that prompt.
package executor
