package executor

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash"
	"math"
	"sort"
	"strconv"
	"sync/atomic"

	"sumi/graph"
	"sumi/nodes"
)

// sigKey identifies what a node computes: a hash over its class, its
// IsChanged answer, its constant inputs and, recursively, the signatures of
// the nodes it links from. Node ids do not enter it (except for
// NotIdempotent nodes and nodes that read UNIQUE_ID), so the same sub-graph
// under other ids hits the cache, as in ComfyUI.
//
// ComfyUI lists ancestors in a fixed order instead of hashing them
// recursively; the two agree on everything except two identical
// ancestors being merged, which yields the same outputs anyway.
type sigKey [sha256.Size]byte

// uniqueCounter makes "always changed" signatures (IsChanged errors, NaN
// constants, cycles) that never match anything, like ComfyUI's NaN.
var uniqueCounter atomic.Uint64

// signatures computes the key of every node of the prompt. isChanged holds
// each node's IsChanged answer; ok=false means "changed every time".
func signatures(p *graph.Prompt, reg *nodes.Registry, isChanged map[string]changed) map[string]sigKey {
	const (
		unseen = iota
		visiting
		done
	)
	state := make(map[string]int, len(p.Nodes))
	sigs := make(map[string]sigKey, len(p.Nodes))
	type frame struct {
		id       string
		expanded bool
	}
	for _, root := range p.Order {
		stack := []frame{{id: root}}
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if state[f.id] == done {
				stack = stack[:len(stack)-1]
				continue
			}
			n := p.Nodes[f.id]
			if !f.expanded {
				f.expanded = true
				state[f.id] = visiting
				for _, name := range n.InputNames {
					if l, ok := graph.LinkOf(n.Inputs[name]); ok && state[l.NodeID] == unseen && p.Nodes[l.NodeID] != nil {
						stack = append(stack, frame{id: l.NodeID})
					}
				}
				continue
			}
			stack = stack[:len(stack)-1]
			sigs[f.id] = nodeSig(n, reg, isChanged[f.id], func(src string) (sigKey, bool) {
				if state[src] != done {
					return sigKey{}, false
				}
				return sigs[src], true
			})
			state[f.id] = done
		}
	}
	return sigs
}

// changed is a node's IsChanged answer.
type changed struct {
	value string
	ok    bool
}

func nodeSig(n *graph.Node, reg *nodes.Registry, ch changed, source func(string) (sigKey, bool)) sigKey {
	h := sha256.New()
	writeStr(h, n.ClassType)
	if !ch.ok {
		writeUnique(h)
	} else {
		writeStr(h, ch.value)
	}
	spec, known := reg.Get(n.ClassType)
	if !known || spec.NotIdempotent || readsUniqueID(spec) {
		writeStr(h, "id:"+n.ID)
	}
	names := append([]string(nil), n.InputNames...)
	sort.Strings(names)
	for _, name := range names {
		writeStr(h, name)
		v := n.Inputs[name]
		if l, ok := graph.LinkOf(v); ok {
			s, ok := source(l.NodeID)
			if !ok {
				writeUnique(h) // a link into a cycle or to a missing node
				continue
			}
			h.Write([]byte{'L'})
			h.Write(s[:])
			writeStr(h, strconv.Itoa(l.Slot))
			continue
		}
		writeValue(h, v)
	}
	var k sigKey
	copy(k[:], h.Sum(nil))
	return k
}

func readsUniqueID(s *nodes.Spec) bool {
	for _, in := range s.Inputs {
		if in.Kind == nodes.HiddenInput && in.Hidden == nodes.HiddenUniqueID {
			return true
		}
	}
	return false
}

func writeStr(h hash.Hash, s string) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(len(s)))
	h.Write(b[:])
	h.Write([]byte(s))
}

func writeUnique(h hash.Hash) {
	writeStr(h, fmt.Sprintf("unique:%d", uniqueCounter.Add(1)))
}

// writeValue encodes a constant so that values Python considers equal
// (20, 20.0, "20" coerced to 20) encode the same.
func writeValue(h hash.Hash, v any) {
	switch x := v.(type) {
	case nil:
		writeStr(h, "n")
	case bool:
		writeStr(h, "b"+strconv.FormatBool(x))
	case string:
		writeStr(h, "s"+x)
	case int64:
		writeStr(h, "i"+strconv.FormatInt(x, 10))
	case int:
		writeStr(h, "i"+strconv.Itoa(x))
	case uint64:
		writeStr(h, "i"+strconv.FormatUint(x, 10))
	case float64:
		writeFloat(h, x)
	case json.Number:
		if i, err := x.Int64(); err == nil {
			writeStr(h, "i"+strconv.FormatInt(i, 10))
		} else if f, err := x.Float64(); err == nil {
			writeFloat(h, f)
		} else {
			writeStr(h, "N"+string(x))
		}
	case []any:
		writeStr(h, "l"+strconv.Itoa(len(x)))
		for _, e := range x {
			writeValue(h, e)
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		writeStr(h, "d"+strconv.Itoa(len(x)))
		for _, k := range keys {
			writeStr(h, k)
			writeValue(h, x[k])
		}
	default:
		writeStr(h, fmt.Sprintf("%T:%v", v, v))
	}
}

func writeFloat(h hash.Hash, f float64) {
	switch {
	case math.IsNaN(f):
		writeUnique(h)
	case f == math.Trunc(f) && math.Abs(f) < 1<<63:
		writeStr(h, "i"+strconv.FormatInt(int64(f), 10))
	default:
		writeStr(h, "f"+strconv.FormatFloat(f, 'g', -1, 64))
	}
}
