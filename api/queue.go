package api

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Number is a queue priority. ComfyUI's counter yields integers, while a
// client-given "number" is a float; both print without a fraction when
// integral so that clients comparing numbers see what they sent.
type Number float64

// MarshalJSON prints integral values without a decimal point.
func (n Number) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("api: number %v is not finite", f)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return strconv.AppendInt(nil, int64(f), 10), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// QueueItem is one queued prompt. On the wire it is the 5-element array
// [number, prompt_id, prompt, extra_data, outputs_to_execute].
type QueueItem struct {
	Number    Number
	PromptID  string
	Prompt    json.RawMessage
	ExtraData ExtraData
	Outputs   []string
}

// MarshalJSON writes the 5-element array form.
func (q QueueItem) MarshalJSON() ([]byte, error) {
	prompt := q.Prompt
	if len(prompt) == 0 {
		prompt = json.RawMessage("{}")
	}
	extra := q.ExtraData
	if extra == nil {
		extra = ExtraData{}
	}
	outputs := q.Outputs
	if outputs == nil {
		outputs = []string{}
	}
	return json.Marshal([]any{q.Number, q.PromptID, prompt, extra, outputs})
}

// UnmarshalJSON reads the 5-element array form.
func (q *QueueItem) UnmarshalJSON(b []byte) error {
	var parts []json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil {
		return fmt.Errorf("api: queue item: %w", err)
	}
	if len(parts) < 5 {
		return fmt.Errorf("api: queue item: want 5 elements, got %d", len(parts))
	}
	var num float64
	targets := []any{&num, &q.PromptID, &q.Prompt, &q.ExtraData, &q.Outputs}
	for i, t := range targets {
		if err := json.Unmarshal(parts[i], t); err != nil {
			return fmt.Errorf("api: queue item element %d: %w", i, err)
		}
	}
	q.Number = Number(num)
	return nil
}

// ClientID is the websocket session the item's messages go to, or "".
func (q QueueItem) ClientID() string { return q.ExtraData.ClientID() }

// QueueState is the body of GET /queue.
type QueueState struct {
	Running []QueueItem `json:"queue_running"`
	Pending []QueueItem `json:"queue_pending"`
}

// MarshalJSON never writes null for an empty list.
func (s QueueState) MarshalJSON() ([]byte, error) {
	type plain QueueState
	p := plain(s)
	if p.Running == nil {
		p.Running = []QueueItem{}
	}
	if p.Pending == nil {
		p.Pending = []QueueItem{}
	}
	return json.Marshal(p)
}

// QueueEdit is the body of POST /queue and POST /history.
type QueueEdit struct {
	Clear  bool     `json:"clear"`
	Delete []string `json:"delete"`
}

// InterruptRequest is the optional body of POST /interrupt.
type InterruptRequest struct {
	PromptID string `json:"prompt_id"`
}

// FreeRequest is the body of POST /free.
type FreeRequest struct {
	UnloadModels bool `json:"unload_models"`
	FreeMemory   bool `json:"free_memory"`
}
