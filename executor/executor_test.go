package executor

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"sumi/api"
)

// chain: 1 and 2 are constants, 3 adds them, 4 shows the sum; 5 is an
// unused branch that must never run.
const chain = `{
 "1": {"class_type": "Const", "inputs": {"value": 2}},
 "2": {"class_type": "Const", "inputs": {"value": 3}},
 "3": {"class_type": "Add", "inputs": {"a": ["1", 0], "b": ["2", 0]}},
 "4": {"class_type": "Sink", "inputs": {"value": ["3", 0]}},
 "5": {"class_type": "Const", "inputs": {"value": 9}}
}`

func runPrompt(t *testing.T, ex *Executor, f *fakes, js string) (*recorder, *Result, error) {
	t.Helper()
	p, outs := f.validated(t, js)
	rec := &recorder{}
	res, err := ex.Run(context.Background(), Request{PromptID: "p", Prompt: p, Outputs: outs}, rec.emit)
	return rec, res, err
}

func TestRunEventsAndResult(t *testing.T) {
	f := newFakes()
	ex := New(f.reg)
	rec, res, err := runPrompt(t, ex, f, chain)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"execution_start", "execution_cached", "executing", "executing", "executing", "progress",
		"executing", "executed", "execution_success", "executing"}
	if got := rec.types(); !reflect.DeepEqual(got, want) {
		t.Errorf("events %v\nwant %v", got, want)
	}
	// ComfyUI's depth-first walk pushes inputs a then b and pops b first.
	if got := rec.executing(); !reflect.DeepEqual(got, []string{"2", "1", "3", "4"}) {
		t.Errorf("order %v", got)
	}
	if f.runs["5"] != 0 {
		t.Errorf("unused node 5 ran")
	}
	if got := mustJSON(t, res.Outputs["4"]); got != `{"values":[5]}` {
		t.Errorf("UI %s", got)
	}
	last := rec.events[len(rec.events)-1]
	if got := mustJSON(t, last); got != `{"type":"executing","data":{"node":null,"prompt_id":"p"}}` {
		t.Errorf("final event %s", got)
	}
}

func TestCacheSecondRunExecutesNothing(t *testing.T) {
	f := newFakes()
	ex := New(f.reg)
	if _, _, err := runPrompt(t, ex, f, chain); err != nil {
		t.Fatal(err)
	}
	before := f.total()
	rec, res, err := runPrompt(t, ex, f, chain)
	if err != nil {
		t.Fatal(err)
	}
	if f.total() != before {
		t.Errorf("second run executed %d nodes", f.total()-before)
	}
	cached := rec.find(EventExecutionCached)[0].Data.(api.ExecutionCached).Nodes
	if !reflect.DeepEqual(cached, []string{"1", "2", "3", "4"}) {
		t.Errorf("execution_cached %v, want every executed node", cached)
	}
	want := []string{"execution_start", "execution_cached", "executed", "execution_success", "executing"}
	if got := rec.types(); !reflect.DeepEqual(got, want) {
		t.Errorf("events %v want %v", got, want)
	}
	if len(res.Executed) != 0 || res.Outputs["4"] == nil {
		t.Errorf("result %+v: want nothing executed and the cached UI", res)
	}
}

func TestCacheChangedInputRerunsDescendantsOnly(t *testing.T) {
	f := newFakes()
	ex := New(f.reg)
	if _, _, err := runPrompt(t, ex, f, chain); err != nil {
		t.Fatal(err)
	}
	f.runs = map[string]int{}
	changed := strings.Replace(chain, `"value": 3`, `"value": 4`, 1)
	rec, res, err := runPrompt(t, ex, f, changed)
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.executing(); !reflect.DeepEqual(got, []string{"2", "3", "4"}) {
		t.Errorf("re-ran %v, want 2 3 4", got)
	}
	if f.runs["1"] != 0 {
		t.Errorf("unchanged node 1 re-ran")
	}
	if got := mustJSON(t, res.Outputs["4"]); got != `{"values":[6]}` {
		t.Errorf("UI %s", got)
	}
}

func TestCacheIgnoresNodeIDsAndCoercedForms(t *testing.T) {
	f := newFakes()
	ex := New(f.reg)
	if _, _, err := runPrompt(t, ex, f, chain); err != nil {
		t.Fatal(err)
	}
	f.runs = map[string]int{}
	renamed := `{
	 "a": {"class_type": "Const", "inputs": {"value": "2"}},
	 "b": {"class_type": "Const", "inputs": {"value": 3.0}},
	 "c": {"class_type": "Add", "inputs": {"b": ["b", 0], "a": ["a", 0]}},
	 "d": {"class_type": "Sink", "inputs": {"value": ["c", 0]}}}`
	rec, _, err := runPrompt(t, ex, f, renamed)
	if err != nil {
		t.Fatal(err)
	}
	if f.total() != 0 {
		t.Errorf("renamed identical graph ran %v", f.runs)
	}
	if got := rec.find(EventExecutionCached)[0].Data.(api.ExecutionCached).Nodes; len(got) != 4 {
		t.Errorf("cached %v", got)
	}
}

func TestCacheDropsEntriesUnusedByNextPrompt(t *testing.T) {
	f := newFakes()
	ex := New(f.reg)
	other := `{"9": {"class_type": "Const", "inputs": {"value": 7}}, "10": {"class_type": "Sink", "inputs": {"value": ["9", 0]}}}`
	for _, p := range []string{chain, other} {
		if _, _, err := runPrompt(t, ex, f, p); err != nil {
			t.Fatal(err)
		}
	}
	if n := ex.CacheSize(); n != 2 {
		t.Errorf("cache holds %d entries after the second prompt, want its 2", n)
	}
	f.runs = map[string]int{}
	if _, _, err := runPrompt(t, ex, f, chain); err != nil {
		t.Fatal(err)
	}
	if f.total() != 4 {
		t.Errorf("first prompt again ran %d nodes, want all 4", f.total())
	}
}

func TestIsChangedInvalidates(t *testing.T) {
	f := newFakes()
	ex := New(f.reg)
	js := `{"1": {"class_type": "File", "inputs": {"path": "x.png"}}, "2": {"class_type": "Sink", "inputs": {"value": ["1", 0]}}}`
	f.file = "hash-a"
	runPrompt(t, ex, f, js)
	runPrompt(t, ex, f, js)
	if f.runs["1"] != 1 {
		t.Errorf("unchanged file re-ran: %d runs", f.runs["1"])
	}
	f.file = "hash-bb"
	_, res, _ := runPrompt(t, ex, f, js)
	if f.runs["1"] != 2 || f.runs["2"] != 2 {
		t.Errorf("changed file: runs %v, want File and Sink re-run", f.runs)
	}
	if got := mustJSON(t, res.Outputs["2"]); got != `{"values":[7]}` {
		t.Errorf("UI %s", got)
	}
}

func TestNotIdempotentKeysByNodeID(t *testing.T) {
	f := newFakes()
	ex := New(f.reg)
	runPrompt(t, ex, f, `{"1": {"class_type": "Random", "inputs": {}}, "2": {"class_type": "Sink", "inputs": {"value": ["1", 0]}}}`)
	f.runs = map[string]int{}
	runPrompt(t, ex, f, `{"7": {"class_type": "Random", "inputs": {}}, "2": {"class_type": "Sink", "inputs": {"value": ["7", 0]}}}`)
	if f.runs["7"] != 1 {
		t.Errorf("NotIdempotent node under a new id was served from the cache")
	}
}

func TestNodeErrorEndsPromptAndKeepsEarlierOutputs(t *testing.T) {
	f := newFakes()
	ex := New(f.reg)
	js := `{"1": {"class_type": "Const", "inputs": {"value": 5}},
	 "2": {"class_type": "Fail", "inputs": {"value": ["1", 0]}},
	 "3": {"class_type": "Sink", "inputs": {"value": ["2", 0]}}}`
	rec, _, err := runPrompt(t, ex, f, js)
	var ne *NodeError
	if !errors.As(err, &ne) {
		t.Fatalf("got %v, want *NodeError", err)
	}
	d := ne.Data
	if d.NodeID != "2" || d.NodeType != "Fail" || d.ExceptionMessage != "fail: bad value 5\n" || d.ExceptionType != "Exception" {
		t.Errorf("error data %+v", d)
	}
	if !reflect.DeepEqual(d.Executed, []string{"1"}) || !reflect.DeepEqual(d.CurrentOutputs, []string{"1"}) {
		t.Errorf("executed %v current_outputs %v", d.Executed, d.CurrentOutputs)
	}
	if !reflect.DeepEqual(d.CurrentInputs["value"], []any{int64(5)}) || len(d.Traceback) == 0 {
		t.Errorf("current_inputs %v traceback %v", d.CurrentInputs, d.Traceback)
	}
	want := []string{"execution_start", "execution_cached", "executing", "executing", "execution_error", "executing"}
	if got := rec.types(); !reflect.DeepEqual(got, want) {
		t.Errorf("events %v want %v", got, want)
	}
	f.runs = map[string]int{}
	runPrompt(t, ex, f, js)
	if f.runs["1"] != 0 || f.runs["2"] != 1 {
		t.Errorf("re-queue ran %v: want to resume at the failed node", f.runs)
	}
}

func TestPanicIsRecovered(t *testing.T) {
	f := newFakes()
	ex := New(f.reg)
	js := `{"1": {"class_type": "Const", "inputs": {"value": 5}},
	 "2": {"class_type": "Panic", "inputs": {"value": ["1", 0]}},
	 "3": {"class_type": "Sink", "inputs": {"value": ["2", 0]}}}`
	_, _, err := runPrompt(t, ex, f, js)
	var ne *NodeError
	if !errors.As(err, &ne) || ne.Data.ExceptionType != "panic" || !strings.Contains(ne.Data.ExceptionMessage, "nil map") {
		t.Fatalf("got %v, want a recovered panic", err)
	}
	if len(ne.Data.Traceback) < 2 {
		t.Errorf("panic traceback %v", ne.Data.Traceback)
	}
	if _, _, err := runPrompt(t, ex, f, chain); err != nil {
		t.Errorf("executor unusable after a panic: %v", err)
	}
}

func TestInterruptDuringNode(t *testing.T) {
	f := newFakes()
	ex := New(f.reg)
	p, outs := f.validated(t, `{"1": {"class_type": "Const", "inputs": {"value": 5}},
	 "2": {"class_type": "Slow", "inputs": {"value": ["1", 0]}},
	 "3": {"class_type": "Sink", "inputs": {"value": ["2", 0]}}}`)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-f.started:
		case <-time.After(5 * time.Second):
		}
		cancel()
	}()
	rec := &recorder{}
	_, err := ex.Run(ctx, Request{PromptID: "p", Prompt: p, Outputs: outs}, rec.emit)
	var ie *InterruptedError
	if !errors.Is(err, ErrInterrupted) || !errors.As(err, &ie) {
		t.Fatalf("got %v, want interrupted", err)
	}
	if ie.Data.NodeID != "2" || ie.Data.NodeType != "Slow" || !reflect.DeepEqual(ie.Data.Executed, []string{"1"}) {
		t.Errorf("interrupted data %+v", ie.Data)
	}
	want := []string{"execution_start", "execution_cached", "executing", "executing", "execution_interrupted", "executing"}
	if got := rec.types(); !reflect.DeepEqual(got, want) {
		t.Errorf("events %v want %v", got, want)
	}
}

func TestInterruptBeforeStart(t *testing.T) {
	f := newFakes()
	ex := New(f.reg)
	p, outs := f.validated(t, chain)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := ex.Run(ctx, Request{PromptID: "p", Prompt: p, Outputs: outs}, nil)
	var ie *InterruptedError
	if !errors.As(err, &ie) || ie.Data.NodeID != "2" || len(ie.Data.Executed) != 0 || f.total() != 0 {
		t.Errorf("got %v (%+v), want interruption at the first node with nothing run", err, ie)
	}
}

func TestCycleIsExecutionError(t *testing.T) {
	f := newFakes()
	ex := New(f.reg)
	p, outs := f.validated(t, chain)
	// Validation rejects cycles; a caller that skips it still gets an answer.
	p.Nodes["1"].SetInput("value", p.Nodes["3"].Inputs["a"])
	p.Nodes["3"].SetInput("a", p.Nodes["4"].Inputs["value"])
	_, err := ex.Run(context.Background(), Request{PromptID: "p", Prompt: p, Outputs: outs}, nil)
	var ne *NodeError
	if !errors.As(err, &ne) || ne.Data.ExceptionType != "graph.DependencyCycleError" {
		t.Fatalf("got %v, want a dependency cycle error", err)
	}
}
