package server

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"sumi/api"
)

var validJobStatus = []string{api.JobPending, api.JobInProgress, api.JobCompleted, api.JobFailed, api.JobCancelled}

// jobQuery is the parsed query of GET /api/jobs.
type jobQuery struct {
	status     map[string]bool
	workflowID string
	byDuration bool
	asc        bool
	limit      *int
	offset     int
}

func parseJobQuery(q map[string][]string) (jobQuery, string) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	jq := jobQuery{workflowID: get("workflow_id")}
	if st := get("status"); st != "" {
		jq.status = map[string]bool{}
		var bad []string
		for _, s := range strings.Split(st, ",") {
			s = strings.TrimSpace(s)
			if !slices.Contains(validJobStatus, s) {
				bad = append(bad, s)
			}
			jq.status[s] = true
		}
		if bad != nil {
			return jq, "Invalid status value(s): " + strings.Join(bad, ", ") + ". Valid values: pending, in_progress, completed, failed"
		}
	}
	switch get("sort_by") {
	case "", "created_at":
	case "execution_duration":
		jq.byDuration = true
	default:
		return jq, "sort_by must be 'created_at' or 'execution_duration'"
	}
	switch get("sort_order") {
	case "", "desc":
	case "asc":
		jq.asc = true
	default:
		return jq, "sort_order must be 'asc' or 'desc'"
	}
	if l := get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			return jq, "limit must be an integer"
		}
		if n <= 0 {
			return jq, "limit must be a positive integer"
		}
		jq.limit = &n
	}
	if o := get("offset"); o != "" {
		n, err := strconv.Atoi(o)
		if err != nil {
			return jq, "offset must be an integer"
		}
		jq.offset = max(n, 0)
	}
	return jq, ""
}

// getJobs lists running, pending and finished prompts as jobs.
func (s *Server) getJobs(w http.ResponseWriter, r *http.Request) {
	jq, msg := parseJobQuery(r.URL.Query())
	if msg != "" {
		writeJSON(w, http.StatusBadRequest, api.SimpleError{Error: msg})
		return
	}
	jobs, err := s.allJobs()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	jobs = slices.DeleteFunc(jobs, func(j api.Job) bool {
		return (jq.status != nil && !jq.status[j.Status]) || (jq.workflowID != "" && j.WorkflowID != jq.workflowID)
	})
	sortJobs(jobs, jq)
	total := len(jobs)
	start := min(jq.offset, total)
	end := total
	if jq.limit != nil {
		end = min(start+*jq.limit, total)
	}
	writeJSON(w, http.StatusOK, api.JobList{
		Jobs:       append([]api.Job{}, jobs[start:end]...),
		Pagination: api.Pagination{Offset: jq.offset, Limit: jq.limit, Total: total, HasMore: end < total},
	})
}

func sortJobs(jobs []api.Job, jq jobQuery) {
	key := func(j api.Job) int64 {
		if jq.byDuration {
			return j.ExecutionEndTime - j.ExecutionStartTime
		}
		return j.CreateTime
	}
	slices.SortStableFunc(jobs, func(a, b api.Job) int {
		c := cmp.Compare(key(a), key(b))
		if !jq.asc {
			c = -c
		}
		return c
	})
}

func (s *Server) allJobs() ([]api.Job, error) {
	running, err := s.store.Running()
	if err != nil {
		return nil, err
	}
	pending, err := s.store.Pending()
	if err != nil {
		return nil, err
	}
	hist, err := s.store.List(-1, -1)
	if err != nil {
		return nil, err
	}
	var jobs []api.Job
	for _, it := range running {
		jobs = append(jobs, queuedJob(it, api.JobInProgress))
	}
	for _, it := range pending {
		jobs = append(jobs, queuedJob(it, api.JobPending))
	}
	for _, id := range hist.IDs {
		jobs = append(jobs, historyJob(hist.Entries[id], false))
	}
	return jobs, nil
}

// getJob answers one job, with outputs and workflow when finished.
func (s *Server) getJob(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if e, ok, err := s.store.Get(id); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	} else if ok {
		writeJSON(w, http.StatusOK, historyJob(e, true))
		return
	}
	running, _ := s.store.Running()
	pending, _ := s.store.Pending()
	for _, set := range []struct {
		items  []api.QueueItem
		status string
	}{{running, api.JobInProgress}, {pending, api.JobPending}} {
		for _, it := range set.items {
			if it.PromptID == id {
				writeJSON(w, http.StatusOK, queuedJob(it, set.status))
				return
			}
		}
	}
	writeJSON(w, http.StatusNotFound, api.SimpleError{Error: "Job not found"})
}

func queuedJob(it api.QueueItem, status string) api.Job {
	return api.Job{ID: it.PromptID, Status: status, Priority: it.Number,
		CreateTime: it.ExtraData.CreateTime(), WorkflowID: it.ExtraData.WorkflowID()}
}

// historyJob summarises a history entry; full adds outputs and workflow.
func historyJob(e api.HistoryEntry, full bool) api.Job {
	j := queuedJob(e.Prompt, api.JobCompleted)
	for _, m := range e.Status.Messages {
		switch m.Event {
		case api.MsgExecutionStart:
			j.ExecutionStartTime = m.Timestamp()
		case api.MsgExecutionSuccess, api.MsgExecutionInterrupted:
			j.ExecutionEndTime = m.Timestamp()
		case api.MsgExecutionError:
			j.ExecutionEndTime = m.Timestamp()
			j.ExecutionError = m.Data
		}
	}
	if e.Status.StatusStr == api.StatusError {
		j.Status = api.JobFailed
	}
	j.OutputsCount, j.PreviewOutput = countOutputs(e)
	if full {
		outs, _ := json.Marshal(orEmpty(e.Outputs))
		raw := json.RawMessage(outs)
		status := e.Status
		j.Outputs, j.ExecutionStatus = &raw, &status
		j.Workflow = &api.JobWorkflow{Prompt: e.Prompt.Prompt, ExtraData: e.Prompt.ExtraData}
	}
	return j
}

func orEmpty(m map[string]json.RawMessage) map[string]json.RawMessage {
	if m == nil {
		return map[string]json.RawMessage{}
	}
	return m
}

// countOutputs counts every item of every output list (except "animated")
// and picks the preview: the first media item, preferring type "output".
func countOutputs(e api.HistoryEntry) (int, map[string]any) {
	ids := make([]string, 0, len(e.Outputs))
	for id := range e.Outputs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	count := 0
	var first, firstOutput map[string]any
	for _, id := range ids {
		var ui map[string]json.RawMessage
		if json.Unmarshal(e.Outputs[id], &ui) != nil {
			continue
		}
		for key, raw := range ui {
			var items []map[string]any
			if key == "animated" || json.Unmarshal(raw, &items) != nil {
				continue
			}
			count += len(items)
			for _, it := range items {
				if !isMedia(key, it) {
					continue
				}
				p := map[string]any{"nodeId": id, "mediaType": key}
				for k, v := range it {
					p[k] = v
				}
				if first == nil {
					first = p
				}
				if firstOutput == nil && it["type"] == "output" {
					firstOutput = p
				}
			}
		}
	}
	if firstOutput != nil {
		return count, firstOutput
	}
	return count, first
}

func isMedia(key string, it map[string]any) bool {
	switch key {
	case "images", "video", "audio":
		return true
	}
	if f, _ := it["format"].(string); strings.HasPrefix(f, "video/") || strings.HasPrefix(f, "audio/") {
		return true
	}
	name, _ := it["filename"].(string)
	for _, ext := range []string{".obj", ".fbx", ".gltf", ".glb"} {
		if strings.HasSuffix(strings.ToLower(name), ext) {
			return true
		}
	}
	return false
}
