package queue

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"sumi/api"
)

// ExceptionServerRestarted is the exception_type of the execution_error
// recorded for a prompt that was running when the server process died.
const ExceptionServerRestarted = "ServerRestarted"

// recoverRunning moves every running item to the history as failed. It runs
// inside OpenBolt's transaction, so the move is all or nothing.
func recoverRunning(tx *bolt.Tx) ([]string, error) {
	var items []api.QueueItem
	err := tx.Bucket(bktRunning).ForEach(func(_, v []byte) error {
		var it api.QueueItem
		if err := json.Unmarshal(v, &it); err != nil {
			return fmt.Errorf("corrupt running item: %w", err)
		}
		items = append(items, it)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, it := range items {
		val, err := json.Marshal(restartedEntry(it, time.Now().UnixMilli()))
		if err != nil {
			return nil, err
		}
		if err := tx.Bucket(bktRunning).Delete([]byte(it.PromptID)); err != nil {
			return nil, err
		}
		if err := appendHistory(tx, it.PromptID, val); err != nil {
			return nil, err
		}
		ids = append(ids, it.PromptID)
	}
	return ids, nil
}

// restartedEntry is the failed history entry of an item whose run was cut
// short by the death of the server process.
func restartedEntry(it api.QueueItem, now int64) api.HistoryEntry {
	e := api.ExecutionError{
		PromptID:         it.PromptID,
		Executed:         []string{},
		ExceptionMessage: "the server stopped while this prompt was running; it was not re-run automatically, queue it again to retry\n",
		ExceptionType:    ExceptionServerRestarted,
		Traceback:        []string{},
		CurrentInputs:    map[string]json.RawMessage{},
		CurrentOutputs:   []string{},
		Timestamp:        now,
	}
	return api.HistoryEntry{
		Prompt: it,
		Status: api.HistoryStatus{
			StatusStr: api.StatusError,
			Messages:  []api.EventRecord{record(api.MsgExecutionError, e)},
		},
	}
}

// record makes one history message.
func record(event string, data any) api.EventRecord {
	b, err := json.Marshal(data)
	if err != nil {
		panic(fmt.Sprintf("queue: marshal %s: %v", event, err))
	}
	return api.EventRecord{Event: event, Data: b}
}
