package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzPostPrompt feeds arbitrary bodies to POST /prompt: the handler must
// never panic and never answer 5xx.
func FuzzPostPrompt(f *testing.F) {
	for _, seed := range []string{
		`{"prompt": {"1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}}, "2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}}}}`,
		`{"prompt": {"1": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}}}}`,
		`{"prompt": {"1": {}}, "number": 1e308, "front": [1]}`,
		`{"prompt": [], "extra_data": {"a": 1}}`, `{`, `null`, `{"prompt": {"1": {"class_type": 5}}}`,
	} {
		f.Add(seed)
	}
	h := newHarness(f)
	handler := New(Config{Folders: h.folders}, &RegistryEngine{Registry: testRegistry(h.folders)}, h.sched, h.hub).Handler()
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/prompt", strings.NewReader(body))
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code >= http.StatusInternalServerError {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
	})
}
