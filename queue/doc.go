// Package queue keeps pending, running and finished prompts and runs the one
// worker that executes them.
//
// The state sits behind two small interfaces, Queue and History (joined in
// Store), and events leave through Publisher, so that a later backend (NATS
// JetStream, several workers sharing one queue) can replace the embedded
// bbolt store and the in-process fan-out without touching the server.
//
// Crash recovery: OpenBolt records any prompt that was running when the
// process died as failed (history status "error", an execution_error with
// exception_type ServerRestarted) instead of re-queueing it. A prompt that
// was running during a crash is the prime suspect for the crash (an
// out-of-memory kill, a fault in the native runtime), and re-queueing it
// would make every restart crash again; its side effects (files already
// saved) would also be repeated. Recording it as failed keeps the server
// available, tells the client what happened through /history and /api/jobs,
// and lets the user re-queue it deliberately. Pending prompts are untouched
// and run after the restart in their original order.
package queue
