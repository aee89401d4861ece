package graph

import (
	"container/heap"
	"fmt"

	"sumi/nodes"
)

// LinkOf interprets an input value as a link: a Link, or a raw
// ["id", slot] array from an unvalidated prompt.
func LinkOf(v any) (Link, bool) {
	switch x := v.(type) {
	case Link:
		return x, true
	case []any:
		if len(x) != 2 {
			return Link{}, false
		}
		id, slot, ok, slotErr := linkParts(x)
		if !ok || slotErr != "" {
			return Link{}, false
		}
		return Link{NodeID: id, Slot: int(slot)}, true
	}
	return Link{}, false
}

// ExecutionOrder lists the nodes to run for outputs, in the order ComfyUI
// runs them. Nodes for which cached reports true are not scheduled, nor are
// their ancestors reached through them; output nodes are always scheduled
// (a cached one only replays its UI). A cycle returns a *CycleError.
//
// ComfyUI's choice among ready nodes: an output node first, else one that
// feeds an output node, else one two steps from an output, else the
// earliest added; nodes are added by a depth-first walk from each output.
func ExecutionOrder(p *Prompt, reg *nodes.Registry, outputs []string, cached func(id string) bool) ([]string, error) {
	if cached == nil {
		cached = func(string) bool { return false }
	}
	l := &execList{p: p, index: map[string]int{}, edges: map[[2]int]struct{}{}}
	for _, o := range outputs {
		if err := l.add(o, cached); err != nil {
			return nil, err
		}
	}
	isOutput := make([]bool, len(l.ids))
	for i, id := range l.ids {
		if s, ok := reg.Get(p.Nodes[id].ClassType); ok && s.OutputNode {
			isOutput[i] = true
		}
	}
	ready := &readyHeap{}
	for i := range l.ids {
		l.rank = append(l.rank, l.rankOf(i, isOutput))
	}
	for i := range l.ids {
		if l.blockCount[i] == 0 {
			heap.Push(ready, readyItem{l.rank[i], i})
		}
	}
	order := make([]string, 0, len(l.ids))
	for ready.Len() > 0 {
		it := heap.Pop(ready).(readyItem)
		order = append(order, l.ids[it.idx])
		for _, b := range l.blocking[it.idx] {
			if l.blockCount[b]--; l.blockCount[b] == 0 {
				heap.Push(ready, readyItem{l.rank[b], b})
			}
		}
	}
	if len(order) < len(l.ids) {
		var stuck []string
		for i, id := range l.ids {
			if l.blockCount[i] > 0 {
				stuck = append(stuck, id)
			}
		}
		return nil, &CycleError{NodeIDs: stuck}
	}
	return order, nil
}

// execList mirrors ComfyUI's ExecutionList: pending nodes in insertion
// order, how many distinct upstream nodes block each, and whom each blocks.
type execList struct {
	p          *Prompt
	ids        []string
	index      map[string]int
	blockCount []int
	blocking   [][]int
	rank       []int
	edges      map[[2]int]struct{}
}

func (l *execList) add(start string, cached func(string) bool) error {
	stack := []string{start}
	type edge struct{ from, to string }
	var links []edge
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if _, ok := l.index[id]; ok {
			continue
		}
		n, ok := l.p.Nodes[id]
		if !ok {
			return fmt.Errorf("graph: node %s is linked but not in the prompt", id)
		}
		l.index[id] = len(l.ids)
		l.ids = append(l.ids, id)
		l.blockCount = append(l.blockCount, 0)
		l.blocking = append(l.blocking, nil)
		for _, name := range n.InputNames {
			lk, ok := LinkOf(n.Inputs[name])
			if !ok || cached(lk.NodeID) {
				continue
			}
			stack = append(stack, lk.NodeID)
			links = append(links, edge{lk.NodeID, id})
		}
	}
	for _, e := range links {
		from, to := l.index[e.from], l.index[e.to]
		if _, dup := l.edges[[2]int{from, to}]; !dup {
			l.edges[[2]int{from, to}] = struct{}{}
			l.blocking[from] = append(l.blocking[from], to)
			l.blockCount[to]++
		}
	}
	return nil
}

func (l *execList) rankOf(i int, isOutput []bool) int {
	if isOutput[i] {
		return 0
	}
	for _, b := range l.blocking[i] {
		if isOutput[b] {
			return 1
		}
	}
	for _, b := range l.blocking[i] {
		for _, c := range l.blocking[b] {
			if isOutput[c] {
				return 2
			}
		}
	}
	return 3
}

type readyItem struct{ rank, idx int }

type readyHeap []readyItem

func (h readyHeap) Len() int { return len(h) }
func (h readyHeap) Less(i, j int) bool {
	if h[i].rank != h[j].rank {
		return h[i].rank < h[j].rank
	}
	return h[i].idx < h[j].idx
}
func (h readyHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *readyHeap) Push(x any)   { *h = append(*h, x.(readyItem)) }
func (h *readyHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
