package server

import (
	"encoding/json"
	"io/fs"
	"net/http"

	"sumi/api"
	"sumi/folders"
	"sumi/queue"
)

// DefaultMaxUpload is ComfyUI's default request body limit (100 MiB).
const DefaultMaxUpload = 100 << 20

// Config is everything the routes need besides the engine and the queue.
type Config struct {
	// Folders is the folder layout: output, input, temp, user and models.
	Folders *folders.Folders
	// FrontEnd serves "/" and the editor's assets; nil means a placeholder.
	FrontEnd fs.FS
	// CORSOrigin enables CORS headers (and disables the origin check) when
	// non-empty; "*" allows any origin.
	CORSOrigin string
	// MaxUploadSize bounds every request body in bytes; 0 means DefaultMaxUpload.
	MaxUploadSize int64
	// AuthToken, when set, is required by every route and the websocket.
	AuthToken string
	// Stats fills /system_stats; nil means a CPU-only description.
	Stats func() api.SystemStats
	// Free unloads models and/or drops caches (POST /free); nil ignores it.
	Free func(unloadModels, freeMemory bool)
	// Logs returns the server log for /internal/logs; nil means empty.
	Logs func() []api.LogEntry
}

// Engine validates prompts and describes node types; the executor behind
// the queue runs them.
type Engine interface {
	// ObjectInfo is the whole GET /object_info body.
	ObjectInfo() json.Marshaler
	// NodeInfo is one entry of it.
	NodeInfo(class string) (json.Marshaler, bool)
	// Validate checks a prompt as ComfyUI does. It returns the prompt with
	// coerced values, the output nodes to run and the errors of outputs
	// that were dropped; or the 400 body when nothing can run.
	Validate(prompt json.RawMessage, targets []string) (Validated, *api.PromptError)
}

// Validated is a prompt that may be queued.
type Validated struct {
	Prompt     json.RawMessage
	Outputs    []string
	NodeErrors api.NodeErrors
}

// Server answers ComfyUI's routes.
type Server struct {
	cfg    Config
	engine Engine
	sched  *queue.Scheduler
	store  queue.Store
	hub    *Hub
	flags  api.FeatureFlags
}

// New builds a server. The scheduler must publish to hub.
func New(cfg Config, engine Engine, sched *queue.Scheduler, hub *Hub) *Server {
	if cfg.MaxUploadSize <= 0 {
		cfg.MaxUploadSize = DefaultMaxUpload
	}
	return &Server{
		cfg: cfg, engine: engine, sched: sched, store: sched.Store(), hub: hub,
		flags: api.DefaultFeatureFlags(cfg.MaxUploadSize),
	}
}

// Handler returns the HTTP handler with every route and the middleware.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.routes(mux)
	return s.middleware(mux)
}

// routes lists every route once. api() also registers the /api twin.
func (s *Server) routes(mux *http.ServeMux) {
	api := func(method, path string, h http.HandlerFunc) {
		mux.HandleFunc(method+" "+path, h)
		mux.HandleFunc(method+" /api"+path, h)
	}
	api("GET", "/ws", s.serveWS)
	api("GET", "/prompt", s.getPrompt)
	api("POST", "/prompt", s.postPrompt)
	api("GET", "/queue", s.getQueue)
	api("POST", "/queue", s.postQueue)
	api("POST", "/interrupt", s.postInterrupt)
	api("POST", "/free", s.postFree)
	api("GET", "/history", s.getHistory)
	api("GET", "/history/{id}", s.getHistoryItem)
	api("POST", "/history", s.postHistory)
	api("GET", "/api/jobs", s.getJobs)
	api("GET", "/api/jobs/{id}", s.getJob)

	api("GET", "/view", s.getView)
	api("POST", "/upload/image", s.postUploadImage)
	api("POST", "/upload/mask", s.postUploadMask)

	api("GET", "/object_info", s.getObjectInfo)
	api("GET", "/object_info/{class}", s.getObjectInfoClass)
	api("GET", "/system_stats", s.getSystemStats)
	api("GET", "/features", s.getFeatures)
	api("GET", "/embeddings", s.getEmbeddings)
	api("GET", "/extensions", jsonConst("[]"))
	api("GET", "/models", s.getModels)
	api("GET", "/models/{folder}", s.getModelFiles)
	api("GET", "/experiment/models", s.getExperimentModels)
	api("GET", "/experiment/models/{folder}", s.getExperimentModelFiles)
	api("GET", "/i18n", jsonConst("{}"))
	api("GET", "/workflow_templates", jsonConst("{}"))
	api("GET", "/global_subgraphs", jsonConst("{}"))
	api("GET", "/global_subgraphs/{id}", notFound)
	api("GET", "/sumi/workflows", getExamples)
	api("GET", "/sumi/workflows/{file}", getExample)

	api("GET", "/users", s.getUsers)
	api("POST", "/users", s.postUsers)
	api("GET", "/settings", s.getSettings)
	api("POST", "/settings", s.postSettings)
	api("GET", "/settings/{id}", s.getSetting)
	api("POST", "/settings/{id}", s.postSetting)
	api("GET", "/userdata", s.getUserDataList)
	api("GET", "/v2/userdata", s.getUserDataV2)
	api("GET", "/userdata/{file}", s.getUserData)
	api("POST", "/userdata/{file}", s.postUserData)
	api("DELETE", "/userdata/{file}", s.deleteUserData)
	api("POST", "/userdata/{file}/move/{dest}", s.moveUserData)

	mux.HandleFunc("GET /internal/logs", s.getLogs)
	mux.HandleFunc("GET /internal/logs/raw", s.getLogsRaw)
	mux.HandleFunc("PATCH /internal/logs/subscribe", s.patchLogsSubscribe)
	mux.HandleFunc("GET /internal/folder_paths", s.getFolderPaths)
	mux.HandleFunc("GET /internal/files/{type}", s.getInternalFiles)

	mux.HandleFunc("GET /templates/", notFound)
	mux.HandleFunc("GET /api/{$}", s.serveStatic)
	mux.HandleFunc("GET /api/", notFound)
	mux.HandleFunc("GET /", s.serveStatic)
}
