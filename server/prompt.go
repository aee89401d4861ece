package server

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"time"

	"sumi/api"
	"sumi/queue"
)

// newPromptID returns a random UUID version 4 string, like Python's uuid4().
func newPromptID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func badPrompt(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusBadRequest, api.NewPromptError("invalid_prompt", msg, ""))
}

// postPrompt validates a prompt and queues it.
func (s *Server) postPrompt(w http.ResponseWriter, r *http.Request) {
	var req api.PromptRequest
	if err := decodeJSON(r, &req); err != nil {
		badPrompt(w, "server: prompt request: "+err.Error())
		return
	}
	if req.Prompt == nil {
		writeJSON(w, http.StatusBadRequest, api.NewPromptError("no_prompt", "No prompt provided", "No prompt provided"))
		return
	}
	if trimmed := bytes.TrimSpace(req.Prompt); len(trimmed) == 0 || trimmed[0] != '{' {
		badPrompt(w, "server: prompt request: prompt must be a JSON object of nodes")
		return
	}
	v, perr := s.engine.Validate(req.Prompt, req.PartialExecutionTargets)
	if perr != nil {
		writeJSON(w, http.StatusBadRequest, perr)
		return
	}
	item, err := s.queueItem(&req, v)
	if err == nil {
		err = s.sched.Submit(item)
	}
	if errors.Is(err, queue.ErrDuplicate) {
		badPrompt(w, "server: prompt_id "+item.PromptID+" is already queued")
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, api.PromptResponse{PromptID: item.PromptID, Number: item.Number, NodeErrors: v.NodeErrors})
}

// queueItem assigns number, id and extra_data the way ComfyUI does.
func (s *Server) queueItem(req *api.PromptRequest, v Validated) (api.QueueItem, error) {
	item := api.QueueItem{PromptID: req.PromptID, Prompt: v.Prompt, Outputs: v.Outputs, ExtraData: api.ExtraData{}}
	if item.PromptID == "" {
		item.PromptID = newPromptID()
	}
	for k, val := range req.ExtraData {
		item.ExtraData[k] = val
	}
	for _, k := range api.SensitiveExtraKeys {
		delete(item.ExtraData, k)
	}
	if req.ClientID != "" {
		item.ExtraData.Set("client_id", req.ClientID)
	}
	item.ExtraData.Set("create_time", time.Now().UnixMilli())
	if req.Number != nil {
		item.Number = api.Number(*req.Number)
		return item, nil
	}
	n, err := s.sched.Store().NextNumber(req.FrontRequested())
	item.Number = n
	return item, err
}

func (s *Server) getPrompt(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, api.PromptInfo{ExecInfo: api.ExecInfo{QueueRemaining: s.sched.Remaining()}})
}

func (s *Server) getQueue(w http.ResponseWriter, _ *http.Request) {
	running, err1 := s.store.Running()
	pending, err2 := s.store.Pending()
	if err := errors.Join(err1, err2); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, api.QueueState{Running: running, Pending: pending})
}

// postQueue clears and/or deletes pending items.
func (s *Server) postQueue(w http.ResponseWriter, r *http.Request) {
	var edit api.QueueEdit
	if err := decodeJSON(r, &edit); err != nil {
		failText(w, http.StatusBadRequest, "server: queue request: "+err.Error())
		return
	}
	var err error
	if edit.Clear {
		err = s.sched.Clear()
	}
	if edit.Delete != nil {
		err = errors.Join(err, s.sched.Delete(edit.Delete))
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	emptyOK(w)
}

// postInterrupt stops the running prompt (only the named one, if given).
func (s *Server) postInterrupt(w http.ResponseWriter, r *http.Request) {
	var req api.InterruptRequest
	if err := decodeOptionalJSON(r, &req); err != nil {
		failText(w, http.StatusBadRequest, "server: interrupt request: "+err.Error())
		return
	}
	s.sched.Interrupt(req.PromptID)
	emptyOK(w)
}

func (s *Server) postFree(w http.ResponseWriter, r *http.Request) {
	var req api.FreeRequest
	if err := decodeOptionalJSON(r, &req); err != nil {
		failText(w, http.StatusBadRequest, "server: free request: "+err.Error())
		return
	}
	if s.cfg.Free != nil && (req.UnloadModels || req.FreeMemory) {
		s.cfg.Free(req.UnloadModels, req.FreeMemory)
	}
	emptyOK(w)
}
