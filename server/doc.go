// Package server speaks ComfyUI's HTTP and websocket protocol: every route
// of the spec at its bare path and under /api, the websocket hub that fans
// execution events out to clients, and the safety middleware (origin check,
// optional CORS, optional bearer token, body limits). It knows nothing about
// how prompts run: validation and node descriptions come from an Engine,
// execution and persistence from a queue.Scheduler.
package server
