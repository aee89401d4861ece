package api

import (
	"encoding/json"
	"fmt"
)

// HistoryEntry is one finished prompt in GET /history.
type HistoryEntry struct {
	Prompt  QueueItem                  `json:"prompt"`
	Outputs map[string]json.RawMessage `json:"outputs"`
	Status  HistoryStatus              `json:"status"`
	Meta    map[string]NodeMeta        `json:"meta"`
}

// MarshalJSON never writes null for the maps.
func (h HistoryEntry) MarshalJSON() ([]byte, error) {
	type plain HistoryEntry
	p := plain(h)
	if p.Outputs == nil {
		p.Outputs = map[string]json.RawMessage{}
	}
	if p.Meta == nil {
		p.Meta = map[string]NodeMeta{}
	}
	return json.Marshal(p)
}

// Status strings of a history entry.
const (
	StatusSuccess = "success"
	StatusError   = "error"
)

// HistoryStatus says how a prompt ended and keeps its execution_* messages.
type HistoryStatus struct {
	StatusStr string        `json:"status_str"`
	Completed bool          `json:"completed"`
	Messages  []EventRecord `json:"messages"`
}

// MarshalJSON never writes null for messages.
func (s HistoryStatus) MarshalJSON() ([]byte, error) {
	type plain HistoryStatus
	p := plain(s)
	if p.Messages == nil {
		p.Messages = []EventRecord{}
	}
	return json.Marshal(p)
}

// EventRecord is one [event, data] pair of HistoryStatus.Messages.
type EventRecord struct {
	Event string
	Data  json.RawMessage
}

// MarshalJSON writes the pair form.
func (e EventRecord) MarshalJSON() ([]byte, error) {
	data := e.Data
	if len(data) == 0 {
		data = json.RawMessage("{}")
	}
	return json.Marshal([]any{e.Event, data})
}

// UnmarshalJSON reads the pair form.
func (e *EventRecord) UnmarshalJSON(b []byte) error {
	var parts []json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil {
		return fmt.Errorf("api: history message: %w", err)
	}
	if len(parts) != 2 {
		return fmt.Errorf("api: history message: want 2 elements, got %d", len(parts))
	}
	if err := json.Unmarshal(parts[0], &e.Event); err != nil {
		return fmt.Errorf("api: history message event: %w", err)
	}
	e.Data = parts[1]
	return nil
}

// Timestamp returns the "timestamp" field of the record's data, or 0.
func (e EventRecord) Timestamp() int64 {
	var v struct {
		Timestamp int64 `json:"timestamp"`
	}
	_ = json.Unmarshal(e.Data, &v)
	return v.Timestamp
}

// NodeMeta mirrors an outputs key with the node's display identity.
type NodeMeta struct {
	NodeID      string  `json:"node_id"`
	DisplayNode string  `json:"display_node"`
	ParentNode  *string `json:"parent_node"`
	RealNodeID  string  `json:"real_node_id"`
}

// History is the body of GET /history: entries keyed by prompt id, in
// completion order. Go maps lose order, so it marshals itself.
type History struct {
	IDs     []string
	Entries map[string]HistoryEntry
}

// MarshalJSON writes the object with keys in IDs order.
func (h History) MarshalJSON() ([]byte, error) {
	buf := []byte{'{'}
	for i, id := range h.IDs {
		if i > 0 {
			buf = append(buf, ',')
		}
		k, _ := json.Marshal(id)
		v, err := json.Marshal(h.Entries[id])
		if err != nil {
			return nil, err
		}
		buf = append(append(append(buf, k...), ':'), v...)
	}
	return append(buf, '}'), nil
}
