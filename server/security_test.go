package server

import (
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

func TestOriginCheck(t *testing.T) {
	h := newHarness(t)
	host := strings.TrimPrefix(h.url, "http://")
	tests := []struct {
		origin string
		want   int
	}{
		{"", 200},
		{"http://" + host, 200},
		{"http://evil.example", 403},
		{"http://127.0.0.1:1", 403},
		{"http://127.0.0.1", 200}, // ports compared only when both sides have one
	}
	for _, tc := range tests {
		hdr := []string{}
		if tc.origin != "" {
			hdr = []string{"Origin", tc.origin}
		}
		if code, _, _ := h.do("GET", "/queue", nil, hdr...); code != tc.want {
			t.Errorf("Origin %q: %d, want %d", tc.origin, code, tc.want)
		}
	}
	cors := newHarness(t, func(c *Config) { c.CORSOrigin = "*" })
	code, _, hdr := cors.do("GET", "/queue", nil, "Origin", "http://evil.example")
	if code != 200 || hdr.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("CORS mode: %d %v", code, hdr)
	}
}

func TestAuthToken(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.AuthToken = "s3cret" })
	tests := []struct {
		path string
		hdr  []string
		want int
	}{
		{"/queue", nil, 401},
		{"/", nil, 401},
		{"/queue", []string{"Authorization", "Bearer wrong"}, 401},
		{"/queue", []string{"Authorization", "Bearer s3cret"}, 200},
		{"/api/queue?token=s3cret", nil, 200},
		{"/queue", []string{"Cookie", tokenCookie + "=s3cret"}, 200},
	}
	for _, tc := range tests {
		if code, _, _ := h.do("GET", tc.path, nil, tc.hdr...); code != tc.want {
			t.Errorf("GET %s %v: %d, want %d", tc.path, tc.hdr, code, tc.want)
		}
	}
	ws := "ws" + strings.TrimPrefix(h.url, "http") + "/ws"
	if _, resp, err := websocket.DefaultDialer.Dial(ws, nil); err == nil || resp.StatusCode != 401 {
		t.Errorf("websocket without token accepted")
	}
	c, _, err := websocket.DefaultDialer.Dial(ws+"?token=s3cret", nil)
	if err != nil {
		t.Fatalf("websocket with token: %v", err)
	}
	c.Close()
}

// TestBadRequests: malformed bodies and wrong types answer 400, never 500.
func TestBadRequests(t *testing.T) {
	h := newHarness(t)
	tests := []struct{ method, path, body string }{
		{"POST", "/prompt", `{"prompt": `},
		{"POST", "/prompt", `{"prompt": {}, "client_id": 5}`},
		{"POST", "/prompt", `{"prompt": {}, "number": "x"}`},
		{"POST", "/prompt", `{"prompt": "text"}`},
		{"POST", "/prompt", `{"prompt": null}`},
		{"POST", "/prompt", `[]`},
		{"POST", "/prompt", ``},
		{"POST", "/queue", `{"delete": "abc"}`},
		{"POST", "/queue", `nope`},
		{"POST", "/history", `{"clear": "yes"}`},
		{"POST", "/interrupt", `{"prompt_id": 7}`},
		{"POST", "/settings", `[1,2]`},
		{"GET", "/history?max_items=x", ``},
		{"GET", "/api/jobs?limit=0", ``},
		{"GET", "/api/jobs?status=bogus", ``},
		{"POST", "/upload/image", `not multipart`},
	}
	for _, tc := range tests {
		code, body, _ := h.do(tc.method, tc.path, tc.body, "Content-Type", "application/json")
		if code != 400 {
			t.Errorf("%s %s %q: %d %s, want 400", tc.method, tc.path, tc.body, code, body)
		}
	}
	big := newHarness(t, func(c *Config) { c.MaxUploadSize = 1024 })
	if code, _ := big.upload(t, "big.png", "", make([]byte, 4096), false); code != 413 && code != 400 {
		t.Errorf("oversized upload: %d, want 413 or 400", code)
	}
}
