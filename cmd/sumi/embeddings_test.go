package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestServeListsEmbeddings: GET /embeddings lists the embedding files,
// sub-folders included, without their extension, as ComfyUI does; names
// in this list are what "embedding:NAME" resolves.
func TestServeListsEmbeddings(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "models", "embeddings")
	for _, name := range []string{"easynegative.safetensors", "style/watercolor.pt", "notes.txt"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ts, _ := startServer(t, base)
	resp, err := http.Get(ts.URL + "/embeddings")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got []string
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if want := []string{"easynegative", "style/watercolor"}; resp.StatusCode != http.StatusOK || !slices.Equal(got, want) {
		t.Errorf("GET /embeddings: %d %q, want 200 %q", resp.StatusCode, got, want)
	}
}
