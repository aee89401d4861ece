package api

import "encoding/json"

// Job statuses of /api/jobs.
const (
	JobPending    = "pending"
	JobInProgress = "in_progress"
	JobCompleted  = "completed"
	JobFailed     = "failed"
	// JobCancelled is accepted as a filter for newer frontends; sumi never
	// assigns it (interrupted prompts are failed, as in ComfyUI).
	JobCancelled = "cancelled"
)

// Job is one item of GET /api/jobs; null fields are omitted.
type Job struct {
	ID                 string           `json:"id"`
	Status             string           `json:"status"`
	Priority           Number           `json:"priority"`
	CreateTime         int64            `json:"create_time,omitempty"`
	ExecutionStartTime int64            `json:"execution_start_time,omitempty"`
	ExecutionEndTime   int64            `json:"execution_end_time,omitempty"`
	ExecutionError     json.RawMessage  `json:"execution_error,omitempty"`
	OutputsCount       int              `json:"outputs_count"`
	PreviewOutput      map[string]any   `json:"preview_output,omitempty"`
	WorkflowID         string           `json:"workflow_id,omitempty"`
	Outputs            *json.RawMessage `json:"outputs,omitempty"`
	ExecutionStatus    *HistoryStatus   `json:"execution_status,omitempty"`
	Workflow           *JobWorkflow     `json:"workflow,omitempty"`
}

// JobWorkflow is the prompt and extra_data of a finished job.
type JobWorkflow struct {
	Prompt    json.RawMessage `json:"prompt"`
	ExtraData ExtraData       `json:"extra_data"`
}

// JobList is the body of GET /api/jobs.
type JobList struct {
	Jobs       []Job      `json:"jobs"`
	Pagination Pagination `json:"pagination"`
}

// Pagination describes the window of a JobList; Limit is null when the
// request gave none.
type Pagination struct {
	Offset  int  `json:"offset"`
	Limit   *int `json:"limit"`
	Total   int  `json:"total"`
	HasMore bool `json:"has_more"`
}
