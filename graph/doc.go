// Package graph turns what users hand us into a runnable prompt: it parses
// API prompts, converts UI workflows (LiteGraph JSON, schema 0.4 and 1.0,
// with subgraphs) to API prompts as the ComfyUI frontend does, validates a
// prompt against a node registry with ComfyUI's rules and error JSON, and
// computes ComfyUI's execution order.
//
// Errors callers branch on are values: *PromptError (the whole /prompt
// error body) carrying *InputError entries per node, and *CycleError.
package graph
