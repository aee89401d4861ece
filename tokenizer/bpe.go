package tokenizer

import "container/heap"

// bpe returns the vocabulary ids of one pre-token.
//
// CLIPTokenizer's loop picks the lowest-ranked adjacent pair, merges every
// occurrence of it left to right, and repeats. Done literally that is
// quadratic in the word length, and a prompt may hold one very long "word".
// Here the candidate pairs sit in a heap ordered by (rank, position); all
// entries of the lowest rank are taken out together and merged left to right,
// skipping those an earlier merge of the batch used up. That is the same
// sequence of merges in O(n log n). Entries are checked when popped, so stale
// ones (a neighbour changed since) are simply dropped.
func (v *vocab) bpe(word string) []int {
	n := len(word)
	if n == 0 {
		return nil
	}
	syms := make([]int32, n)
	next := make([]int32, n)
	prev := make([]int32, n)
	for i := 0; i < n; i++ {
		syms[i] = v.byteSym[word[i]]
		next[i], prev[i] = int32(i+1), int32(i-1)
	}
	syms[n-1] = v.byteLast[word[n-1]]
	next[n-1] = -1

	w := &bpeWork{v: v, syms: syms, next: next, prev: prev}
	for i := 0; i+1 < n; i++ {
		w.push(int32(i))
	}
	var batch []pairEntry
	for w.h.Len() > 0 {
		rank := w.h[0].rank
		batch = batch[:0]
		for w.h.Len() > 0 && w.h[0].rank == rank {
			batch = append(batch, heap.Pop(&w.h).(pairEntry))
		}
		for _, e := range batch {
			w.apply(e)
		}
	}
	var ids []int
	for i := int32(0); i >= 0; i = next[i] {
		ids = append(ids, v.symVocab[syms[i]])
	}
	return ids
}

// bpeWork is the doubly linked list of symbols of one word plus its heap.
// A merged-away node is marked by syms = -1.
type bpeWork struct {
	v                *vocab
	syms, next, prev []int32
	h                pairHeap
}

// push queues the pair starting at node i, if the merge table has it.
func (w *bpeWork) push(i int32) {
	if i < 0 || w.next[i] < 0 {
		return
	}
	j := w.next[i]
	m, ok := w.v.merges[pairKey(w.syms[i], w.syms[j])]
	if !ok {
		return
	}
	heap.Push(&w.h, pairEntry{rank: m.rank, pos: i, left: w.syms[i], right: w.syms[j], result: m.result})
}

// apply merges the pair e if it is still present.
func (w *bpeWork) apply(e pairEntry) {
	i := e.pos
	if w.syms[i] != e.left {
		return
	}
	j := w.next[i]
	if j < 0 || w.syms[j] != e.right {
		return
	}
	w.syms[i] = e.result
	w.syms[j] = -1
	k := w.next[j]
	w.next[i] = k
	if k >= 0 {
		w.prev[k] = i
	}
	if p := w.prev[i]; p >= 0 {
		w.push(p)
	}
	w.push(i)
}

type pairEntry struct {
	rank, pos           int32
	left, right, result int32
}

type pairHeap []pairEntry

func (h pairHeap) Len() int { return len(h) }
func (h pairHeap) Less(a, b int) bool {
	if h[a].rank != h[b].rank {
		return h[a].rank < h[b].rank
	}
	return h[a].pos < h[b].pos
}
func (h pairHeap) Swap(a, b int) { h[a], h[b] = h[b], h[a] }
func (h *pairHeap) Push(x any)   { *h = append(*h, x.(pairEntry)) }
func (h *pairHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
