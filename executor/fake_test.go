package executor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"sumi/api"
	"sumi/graph"
	"sumi/nodes"
)

// fakes is a registry of tiny nodes that count their runs.
type fakes struct {
	reg     *nodes.Registry
	mu      sync.Mutex
	runs    map[string]int // runs per node id
	file    string         // what the File node's IsChanged reports
	fileErr error          // or the error it returns
	prompt  string         // the PROMPT the last Sink received
	started chan struct{}  // Slow signals here when it starts
}

func (f *fakes) count(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runs[id]++
}

func (f *fakes) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.runs {
		n += c
	}
	return n
}

func newFakes() *fakes {
	f := &fakes{reg: nodes.NewRegistry(), runs: map[string]int{}, started: make(chan struct{}, 10)}
	num := []nodes.Output{{Type: nodes.TypeInt}}
	f.reg.Register(nodes.Spec{Name: "Const", Inputs: []nodes.Input{nodes.Int("value", 0)}, Outputs: num,
		Run: func(_ context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
			f.count(in.NodeID)
			return []any{in.Int("value")}, nil
		}})
	f.reg.Register(nodes.Spec{Name: "Add", Outputs: num,
		Inputs: []nodes.Input{nodes.Int("a", 0).ForceInput(), nodes.Int("b", 0).ForceInput()},
		Run: func(_ context.Context, in nodes.Args, p nodes.Progress) ([]any, error) {
			f.count(in.NodeID)
			p.Update(1, 1)
			return []any{in.Value("a").(int64) + in.Value("b").(int64)}, nil
		}})
	f.reg.Register(nodes.Spec{Name: "Sink", OutputNode: true,
		Inputs: []nodes.Input{nodes.Int("value", 0).ForceInput(), nodes.Hidden("prompt", nodes.HiddenPrompt)},
		Run: func(_ context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
			f.count(in.NodeID)
			if len(in.Prompt()) == 0 {
				return nil, errors.New("no PROMPT hidden value")
			}
			f.mu.Lock()
			f.prompt = string(in.Prompt())
			f.mu.Unlock()
			return []any{nodes.UI{"values": []any{in.Value("value")}}}, nil
		}})
	f.reg.Register(nodes.Spec{Name: "Fail", Outputs: num, Inputs: []nodes.Input{nodes.Int("value", 0).ForceInput()},
		Run: func(_ context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
			f.count(in.NodeID)
			return nil, fmt.Errorf("fail: bad value %d", in.Int("value"))
		}})
	f.reg.Register(nodes.Spec{Name: "Panic", Outputs: num, Inputs: []nodes.Input{nodes.Int("value", 0).ForceInput()},
		Run: func(_ context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
			f.count(in.NodeID)
			var m map[string]int
			m["boom"] = 1 // nil map write: a real runtime panic
			return nil, nil
		}})
	f.reg.Register(nodes.Spec{Name: "Slow", Outputs: num, Inputs: []nodes.Input{nodes.Int("value", 0).ForceInput()},
		Run: func(ctx context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
			f.count(in.NodeID)
			f.started <- struct{}{}
			<-ctx.Done()
			return nil, ctx.Err()
		}})
	f.reg.Register(nodes.Spec{Name: "File", Outputs: num, Inputs: []nodes.Input{nodes.String("path", "")},
		IsChanged: func(nodes.Args) (string, error) { return f.file, f.fileErr },
		Run: func(_ context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
			f.count(in.NodeID)
			return []any{int64(len(f.file))}, nil
		}})
	f.reg.Register(nodes.Spec{Name: "Random", Outputs: num, NotIdempotent: true,
		Run: func(_ context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
			f.count(in.NodeID)
			return []any{int64(4)}, nil
		}})
	return f
}

// validated parses and validates a prompt written in API JSON.
func (f *fakes) validated(t testing.TB, js string) (*graph.Prompt, []string) {
	t.Helper()
	p, err := graph.ParsePrompt([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	res, err := graph.Validate(p, f.reg, nil)
	if err != nil {
		t.Fatalf("validate: %v", err)
	}
	return res.Prompt, res.Outputs
}

// recorder collects events.
type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) emit(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// types lists event types, leaving out progress_state.
func (r *recorder) types() []string {
	var out []string
	for _, e := range r.events {
		if e.Type != EventProgressState {
			out = append(out, e.Type)
		}
	}
	return out
}

func (r *recorder) find(typ string) []Event {
	var out []Event
	for _, e := range r.events {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func (r *recorder) executing() []string {
	var out []string
	for _, e := range r.find(EventExecuting) {
		if n := e.Data.(api.Executing).Node; n != nil {
			out = append(out, *n)
		}
	}
	return out
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
