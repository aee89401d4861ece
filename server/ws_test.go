package server

import (
	"encoding/binary"
	"testing"
	"time"

	"sumi/api"
	"sumi/queue"
)

// TestPreviewFrames: a client that announced supports_preview_metadata gets
// the feature_flags reply and type-4 previews; a silent client type 1.
func TestPreviewFrames(t *testing.T) {
	h := newHarness(t)
	legacy := h.dial("legacy")
	modern := h.dial("modern", `{"type": "feature_flags", "data": {"supports_preview_metadata": true}}`)
	ff := modern.waitFor(func(f frame) bool { return f.Type == "feature_flags" }, 5*time.Second)
	if ff.Data["supports_preview_metadata"] != true || ff.Data["max_upload_size"] != float64(DefaultMaxUpload) {
		t.Fatalf("feature_flags reply %v", ff.Data)
	}
	img := []byte{0xff, 0xd8, 0xff, 0xe0}
	meta := api.PreviewMetadata{NodeID: "3", PromptID: "p", DisplayNodeID: "3", RealNodeID: "3", ImageType: "image/jpeg"}
	h.hub.Publish(queue.Outbound{Type: "preview", Preview: &queue.Preview{Format: api.ImageJPEG, Image: img, Meta: meta}})
	isBin := func(f frame) bool { return f.Type == "binary" }
	if f := legacy.waitFor(isBin, 5*time.Second); binary.BigEndian.Uint32(f.Binary) != 1 {
		t.Errorf("legacy client got binary type %d, want 1", binary.BigEndian.Uint32(f.Binary))
	}
	if f := modern.waitFor(isBin, 5*time.Second); binary.BigEndian.Uint32(f.Binary) != 4 {
		t.Errorf("metadata client got binary type %d, want 4", binary.BigEndian.Uint32(f.Binary))
	}
	for _, f := range legacy.snapshot() {
		if f.Type == "feature_flags" {
			t.Error("legacy client got a feature_flags reply")
		}
	}
}

// TestReconnectReplacesSocket: a second socket with the same clientId takes
// over; the first one is closed.
func TestReconnectReplacesSocket(t *testing.T) {
	h := newHarness(t)
	old := h.dial("same")
	h.dial("same")
	deadline := time.Now().Add(5 * time.Second)
	for !old.isClosed() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if !old.isClosed() {
		t.Fatal("replaced socket still open")
	}
	if n := h.hub.Count(); n != 1 {
		t.Fatalf("%d sessions, want 1", n)
	}
}
