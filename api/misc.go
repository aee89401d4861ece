package api

import "encoding/json"

// SystemStats is the body of GET /system_stats. Every field is always sent
// because the frontend's schema declares them all.
type SystemStats struct {
	System  SystemInfo `json:"system"`
	Devices []Device   `json:"devices"`
}

// SystemInfo describes the host and versions. The python/pytorch fields
// carry sumi's own Go and ONNX Runtime versions.
type SystemInfo struct {
	OS                        string   `json:"os"`
	RAMTotal                  uint64   `json:"ram_total"`
	RAMFree                   uint64   `json:"ram_free"`
	ComfyUIVersion            string   `json:"comfyui_version"`
	RequiredFrontendVersion   string   `json:"required_frontend_version"`
	InstalledTemplatesVersion *string  `json:"installed_templates_version"`
	RequiredTemplatesVersion  string   `json:"required_templates_version"`
	PythonVersion             string   `json:"python_version"`
	PytorchVersion            string   `json:"pytorch_version"`
	EmbeddedPython            bool     `json:"embedded_python"`
	Argv                      []string `json:"argv"`
}

// Device is one compute device of SystemStats; Index is null on CPU.
type Device struct {
	Name           string `json:"name"`
	Type           string `json:"type"`
	Index          *int   `json:"index"`
	VRAMTotal      uint64 `json:"vram_total"`
	VRAMFree       uint64 `json:"vram_free"`
	TorchVRAMTotal uint64 `json:"torch_vram_total"`
	TorchVRAMFree  uint64 `json:"torch_vram_free"`
}

// UploadResponse is the body of a successful /upload/image or /upload/mask.
type UploadResponse struct {
	Name      string `json:"name"`
	Subfolder string `json:"subfolder"`
	Type      string `json:"type"`
}

// FileRef names a file in one of the output/input/temp folders, as in
// /upload/mask's original_ref and in image outputs.
type FileRef struct {
	Filename  string `json:"filename"`
	Subfolder string `json:"subfolder"`
	Type      string `json:"type"`
}

// UsersInfo is the single-user body of GET /users.
type UsersInfo struct {
	Storage  string `json:"storage"`
	Migrated bool   `json:"migrated"`
}

// UserFileInfo describes one user-data file (full_info=true answers).
type UserFileInfo struct {
	Path     string  `json:"path"`
	Size     int64   `json:"size"`
	Modified float64 `json:"modified"`
	Created  float64 `json:"created"`
}

// UserDataEntry is one row of GET /v2/userdata.
type UserDataEntry struct {
	Name     string  `json:"name"`
	Path     string  `json:"path"`
	Type     string  `json:"type"`
	Size     int64   `json:"size,omitempty"`
	Modified float64 `json:"modified"`
}

// ModelFolder is one row of GET /experiment/models.
type ModelFolder struct {
	Name    string   `json:"name"`
	Folders []string `json:"folders"`
}

// ModelFile is one row of GET /experiment/models/{folder}.
type ModelFile struct {
	Name      string `json:"name"`
	PathIndex int    `json:"pathIndex"`
}

// LogsRaw is the body of GET /internal/logs/raw.
type LogsRaw struct {
	Entries []LogEntry `json:"entries"`
	Size    LogSize    `json:"size"`
}

// LogEntry is one log line with its time.
type LogEntry struct {
	T string `json:"t"`
	M string `json:"m"`
}

// LogSize is the terminal size the log was formatted for.
type LogSize struct {
	Cols int `json:"cols"`
	Rows int `json:"rows"`
}

// LogsSubscribe is the body of PATCH /internal/logs/subscribe.
type LogsSubscribe struct {
	ClientID string `json:"clientId"`
	Enabled  bool   `json:"enabled"`
}

// RawObject is a JSON object kept as raw bytes, for bodies such as
// /object_info that are produced elsewhere.
type RawObject = json.RawMessage
