package testutil

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// ObjectInfo reads a recorded /object_info document, keyed by node class.
func ObjectInfo(t testing.TB, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var recorded map[string]any
	if err := json.Unmarshal(raw, &recorded); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recorded
}

// ExpectInfo compares a node's info (any JSON-marshalable value) with want,
// a decoded recording entry, after a JSON round trip so that both sides
// hold the same generic types.
func ExpectInfo(t testing.TB, info, want any) {
	t.Helper()
	b, same, err := sameJSON(info, want)
	if err != nil {
		t.Fatal(err)
	}
	if !same {
		w, _ := json.Marshal(want)
		t.Errorf("object_info differs:\n got  %s\n want %s", b, w)
	}
}

// sameJSON reports whether v, marshalled and decoded generically, equals
// want; it returns v's JSON for messages.
func sameJSON(v, want any) ([]byte, bool, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, false, err
	}
	var got any
	if err := json.Unmarshal(b, &got); err != nil {
		return nil, false, err
	}
	return b, reflect.DeepEqual(got, want), nil
}
