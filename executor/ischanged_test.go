package executor

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// ComfyUI stores each IS_CHANGED answer in the prompt as the node's last
// member, "is_changed": [answer], so the PROMPT hidden value (and the PNG
// metadata written from it) carries it.
func TestIsChangedRecordedInPrompt(t *testing.T) {
	f := newFakes()
	ex := New(f.reg)
	js := `{"1": {"class_type": "File", "inputs": {"path": "x.png"}, "_meta": {"title": "F"}},
	 "2": {"class_type": "Sink", "inputs": {"value": ["1", 0]}}}`
	p, outs := f.validated(t, js)
	before, _ := json.Marshal(p)
	for _, hash := range []string{"hash-a", "hash-bb"} {
		f.file = hash
		if _, err := ex.Run(context.Background(), Request{PromptID: "p", Prompt: p, Outputs: outs}, func(Event) {}); err != nil {
			t.Fatal(err)
		}
		want := `{"1":{"class_type":"File","inputs":{"path":"x.png"},"_meta":{"title":"F"},"is_changed":["` + hash +
			`"]},"2":{"class_type":"Sink","inputs":{"value":["1",0]}}}`
		if f.prompt != want {
			t.Errorf("PROMPT\n got %s\nwant %s", f.prompt, want)
		}
	}
	// The request's prompt is left as it was, so running it again asks the
	// node again (the second run above saw the new answer).
	if after, _ := json.Marshal(p); string(after) != string(before) {
		t.Errorf("request prompt changed: %s", after)
	}
	if f.runs["1"] != 2 {
		t.Errorf("File ran %d times, want 2", f.runs["1"])
	}
}

// A prompt that already carries "is_changed" (copied from a saved PNG) is
// taken at its word, as in ComfyUI: the node is not asked and the posted
// member is written back where it was.
func TestPostedIsChangedIsKept(t *testing.T) {
	f := newFakes()
	ex := New(f.reg)
	js := `{"1": {"inputs": {"path": "x.png"}, "is_changed": [ "posted" ], "class_type": "File"},
	 "2": {"class_type": "Sink", "inputs": {"value": ["1", 0]}}}`
	f.file = "hash-a"
	runPrompt(t, ex, f, js)
	want := `"1":{"inputs":{"path":"x.png"},"is_changed":["posted"],"class_type":"File"}`
	if !strings.Contains(f.prompt, want) {
		t.Errorf("PROMPT %s\nwant it to contain %s", f.prompt, want)
	}
	f.file = "hash-bb"
	f.fileErr = errors.New("would re-run")
	runPrompt(t, ex, f, js)
	if f.runs["1"] != 1 {
		t.Errorf("File re-ran (%d runs) although the posted is_changed did not change", f.runs["1"])
	}
}

// An IsChanged error (ComfyUI's NaN, which JSON cannot hold) records
// nothing and re-runs the node every time.
func TestIsChangedErrorRecordsNothing(t *testing.T) {
	f := newFakes()
	ex := New(f.reg)
	f.fileErr = errors.New("no such file")
	js := `{"1": {"class_type": "File", "inputs": {"path": "x.png"}}, "2": {"class_type": "Sink", "inputs": {"value": ["1", 0]}}}`
	runPrompt(t, ex, f, js)
	runPrompt(t, ex, f, js)
	if strings.Contains(f.prompt, "is_changed") {
		t.Errorf("PROMPT %s has is_changed", f.prompt)
	}
	if f.runs["1"] != 2 {
		t.Errorf("File ran %d times, want 2", f.runs["1"])
	}
}
