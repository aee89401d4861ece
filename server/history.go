package server

import (
	"net/http"
	"strconv"

	"sumi/api"
)

// getHistory answers the list form with ComfyUI's max_items/offset rules.
func (s *Server) getHistory(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	maxItems, err1 := intParam(q.Get("max_items"), -1)
	offset, err2 := intParam(q.Get("offset"), -1)
	if err1 != nil || err2 != nil {
		failText(w, http.StatusBadRequest, "server: max_items and offset must be integers")
		return
	}
	if maxItems < -1 {
		maxItems = -1
	}
	if offset < -1 {
		offset = 0
	}
	h, err := s.store.List(offset, maxItems)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

func intParam(v string, def int) (int, error) {
	if v == "" {
		return def, nil
	}
	return strconv.Atoi(v)
}

// getHistoryItem answers {id: entry}, or {} for an unknown id.
func (s *Server) getHistoryItem(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	e, ok, err := s.store.Get(id)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := api.History{Entries: map[string]api.HistoryEntry{}}
	if ok {
		h.IDs = []string{id}
		h.Entries[id] = e
	}
	writeJSON(w, http.StatusOK, h)
}

// postHistory clears and/or deletes entries; no websocket message.
func (s *Server) postHistory(w http.ResponseWriter, r *http.Request) {
	var edit api.QueueEdit
	if err := decodeJSON(r, &edit); err != nil {
		failText(w, http.StatusBadRequest, "server: history request: "+err.Error())
		return
	}
	var err error
	if edit.Clear {
		err = s.store.ClearHistory()
	}
	if err == nil && edit.Delete != nil {
		err = s.store.DeleteHistory(edit.Delete)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	emptyOK(w)
}
