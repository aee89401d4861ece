package graph

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"sumi/nodes"
)

func chainRegistry() *nodes.Registry {
	reg := nodes.NewRegistry()
	num := []nodes.Output{{Type: nodes.TypeInt}}
	reg.Register(nodes.Spec{Name: "Num", Run: fakeRun, Outputs: num, Inputs: []nodes.Input{nodes.Int("v", 0)}})
	reg.Register(nodes.Spec{Name: "Inc", Run: fakeRun, Outputs: num,
		Inputs: []nodes.Input{nodes.Int("x", 0).ForceInput(), nodes.Int("by", 1).Range(0, 10)}})
	reg.Register(nodes.Spec{Name: "Show", Run: fakeRun, OutputNode: true, Inputs: []nodes.Input{nodes.Int("x", 0).ForceInput()}})
	return reg
}

// chainPrompt is Num -> Inc x (n-2) -> Show as API JSON.
func chainPrompt(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"0": {"class_type": "Num", "inputs": {"v": 1}}`)
	for i := 1; i < n-1; i++ {
		fmt.Fprintf(&b, `, "%d": {"class_type": "Inc", "inputs": {"x": ["%d", 0], "by": %d}}`, i, i-1, i%10)
	}
	fmt.Fprintf(&b, `, "%d": {"class_type": "Show", "inputs": {"x": ["%d", 0]}}}`, n-1, n-2)
	return b.Bytes()
}

func TestLargeGraphPrompt(t *testing.T) {
	const n = bigGraph
	start := time.Now()
	p, err := ParsePrompt(chainPrompt(n))
	if err != nil {
		t.Fatal(err)
	}
	reg := chainRegistry()
	res, err := Validate(p, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	order, err := ExecutionOrder(res.Prompt, reg, res.Outputs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(order) != n || order[0] != "0" || order[n-1] != fmt.Sprint(n-1) {
		t.Errorf("order has %d nodes, first %s last %s", len(order), order[0], order[len(order)-1])
	}
	t.Logf("parse+validate+order of %d nodes: %v", n, time.Since(start))
}

func TestLargeGraphCycle(t *testing.T) {
	const n = bigGraph
	js := strings.Replace(string(chainPrompt(n)), `"0": {"class_type": "Num", "inputs": {"v": 1}}`,
		fmt.Sprintf(`"0": {"class_type": "Inc", "inputs": {"x": ["%d", 0]}}`, n-2), 1)
	p, err := ParsePrompt([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Validate(p, chainRegistry(), nil)
	if err == nil || !strings.Contains(err.Error(), "Prompt outputs failed validation") {
		t.Errorf("got %v, want the outputs to fail", err)
	}
	if _, err := ExecutionOrder(p, chainRegistry(), []string{fmt.Sprint(n - 1)}, nil); err == nil {
		t.Errorf("ExecutionOrder accepted a cycle")
	}
}

// TestLargeGraphWorkflow converts a UI chain of 100,000 reroutes.
func TestLargeGraphWorkflow(t *testing.T) {
	const n = bigGraph
	var b bytes.Buffer
	b.WriteString(`{"nodes": [{"id": 0, "type": "Num", "widgets_values": [5]}`)
	for i := 1; i < n-1; i++ {
		fmt.Fprintf(&b, `, {"id": %d, "type": "Reroute", "inputs": [{"name": "", "type": "*", "link": %d}]}`, i, i)
	}
	fmt.Fprintf(&b, `, {"id": %d, "type": "Show", "inputs": [{"name": "x", "type": "INT", "link": %d}]}], "links": [`, n-1, n-1)
	for i := 1; i < n; i++ {
		if i > 1 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `[%d, %d, 0, %d, 0, "INT"]`, i, i-1, i)
	}
	b.WriteString("]}")
	p, err := ConvertUI(b.Bytes(), chainRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Order) != 2 {
		t.Fatalf("got %d API nodes, want 2", len(p.Order))
	}
	if l, ok := p.Nodes[fmt.Sprint(n-1)].Inputs["x"].(Link); !ok || l.NodeID != "0" {
		t.Errorf("reroute chain resolved to %v", p.Nodes[fmt.Sprint(n-1)].Inputs["x"])
	}
}

func TestTooManyNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a prompt of more than a million nodes")
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i := 0; i <= MaxNodes; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"%d":0`, i)
	}
	b.WriteByte('}')
	if _, err := ParsePrompt(b.Bytes()); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("got %v, want a size error", err)
	}
}

func BenchmarkValidateOrder1000(b *testing.B) {
	js := chainPrompt(1000)
	reg := chainRegistry()
	b.ReportAllocs()
	for b.Loop() {
		p, err := ParsePrompt(js)
		if err != nil {
			b.Fatal(err)
		}
		res, err := Validate(p, reg, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ExecutionOrder(res.Prompt, reg, res.Outputs, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateOrder1000NoParse(b *testing.B) {
	js := chainPrompt(1000)
	reg := chainRegistry()
	base, _ := ParsePrompt(js)
	b.ReportAllocs()
	for b.Loop() {
		p := base.Clone()
		res, err := Validate(p, reg, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ExecutionOrder(res.Prompt, reg, res.Outputs, nil); err != nil {
			b.Fatal(err)
		}
	}
}
