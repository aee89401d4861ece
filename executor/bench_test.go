package executor

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"
)

// chainJSON is Const -> Add (x n-2, each adding a constant) -> Sink.
func chainJSON(n int) string {
	var b bytes.Buffer
	b.WriteString(`{"c": {"class_type": "Const", "inputs": {"value": 1}}, "0": {"class_type": "Const", "inputs": {"value": 1}}`)
	for i := 1; i < n-2; i++ {
		fmt.Fprintf(&b, `, "%d": {"class_type": "Add", "inputs": {"a": ["%d", 0], "b": ["c", 0]}}`, i, i-1)
	}
	fmt.Fprintf(&b, `, "s": {"class_type": "Sink", "inputs": {"value": ["%d", 0]}}}`, n-3)
	return b.String()
}

func TestLargeGraphRun(t *testing.T) {
	const n = bigGraph
	f := newFakes()
	ex := New(f.reg)
	p, outs := f.validated(t, chainJSON(n))
	start := time.Now()
	res, err := ex.Run(context.Background(), Request{PromptID: "big", Prompt: p, Outputs: outs}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := mustJSON(t, res.Outputs["s"]); got != fmt.Sprintf(`{"values":[%d]}`, n-2) {
		t.Errorf("sum %s", got)
	}
	first := time.Since(start)
	start = time.Now()
	res, err = ex.Run(context.Background(), Request{PromptID: "big2", Prompt: p, Outputs: outs}, nil)
	if err != nil || len(res.Executed) != 0 {
		t.Fatalf("cached rerun: %v, executed %d", err, len(res.Executed))
	}
	t.Logf("%d nodes: first run %v, cached rerun %v", n, first, time.Since(start))
}

// BenchmarkCachedRerun reports the per-node overhead of a prompt whose
// every node is cached (signatures, cache lookups, events).
func BenchmarkCachedRerun(b *testing.B) {
	const n = 1000
	f := newFakes()
	ex := New(f.reg)
	p, outs := f.validated(b, chainJSON(n))
	req := Request{PromptID: "b", Prompt: p, Outputs: outs}
	if _, err := ex.Run(context.Background(), req, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		res, err := ex.Run(context.Background(), req, func(Event) {})
		if err != nil || len(res.Executed) != 0 {
			b.Fatalf("%v %v", err, res)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/node")
}

// BenchmarkUncachedRun is the per-node overhead when every node runs.
func BenchmarkUncachedRun(b *testing.B) {
	const n = 1000
	f := newFakes()
	p, outs := f.validated(b, chainJSON(n))
	req := Request{PromptID: "b", Prompt: p, Outputs: outs}
	b.ReportAllocs()
	for b.Loop() {
		ex := New(f.reg)
		if _, err := ex.Run(context.Background(), req, func(Event) {}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/node")
}
