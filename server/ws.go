package server

import (
	"net/http"

	"github.com/gorilla/websocket"

	"sumi/api"
	"sumi/queue"
)

// upgrader accepts any Origin: the middleware's origin check (or CORS mode)
// already decided whether this request may proceed.
var upgrader = websocket.Upgrader{
	ReadBufferSize:  4096,
	WriteBufferSize: 16384,
	CheckOrigin:     func(*http.Request) bool { return true },
}

// serveWS upgrades GET /ws?clientId=, greets the client with its sid and,
// if its prompt is running, the node being executed.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	bw := &batchingWriter{ResponseWriter: w}
	conn, err := upgrader.Upgrade(bw, r, nil)
	if err != nil {
		return // the upgrader already answered
	}
	sid := r.URL.Query().Get("clientId")
	if sid == "" {
		sid = newSID()
	}
	c := s.hub.newClient(sid, conn, bw.conn)
	first := [][]byte{s.sched.StatusFrame(sid)}
	if item, node, ok := s.sched.Current(); ok && node != "" && item.ClientID() == sid {
		first = append(first, queue.Frame(api.MsgExecuting, api.Executing{Node: &node}))
	}
	s.hub.register(c, first...)
	go c.writeLoop()
	cause, reason := c.readLoop(s.flags)
	s.hub.unregister(c, cause, reason)
}
