// Package api holds the JSON wire types of the ComfyUI HTTP and websocket
// protocol as sumi speaks it: prompt submission, queue and history items,
// websocket messages, binary preview frames and the small reply bodies of
// the misc routes. It has no behaviour beyond (un)marshalling, so the
// server, the queue and any client share one definition of every shape.
package api
