package graph

import (
	"encoding/json"
	"slices"
	"sort"
)

// The members every node has; the rest live in Node.Extra.
const (
	keyInputs    = "inputs"
	keyClassType = "class_type"
	keyMeta      = "_meta"
)

// frontendOrder is the member order of nodes built in code, as the
// frontend's graphToPrompt writes them.
var frontendOrder = []string{keyInputs, keyClassType, keyMeta}

func isStandardKey(k string) bool {
	return k == keyInputs || k == keyClassType || k == keyMeta
}

// standardSeen records a parsed standard member in Keys; a repeated key
// keeps its first position, as a Python dict does when json.loads meets
// it again. Extra members are recorded by SetExtra, which looks them up
// in their map, so parsing stays linear in the number of members.
type standardSeen [3]bool

func (s *standardSeen) add(n *Node, k string) {
	i := slices.Index(frontendOrder, k)
	if i >= 0 && !s[i] {
		s[i] = true
		n.Keys = append(n.Keys, k)
	}
}

// SetExtra sets a member other than class_type, inputs and _meta (those
// names are ignored), appending it after the existing members when new.
// The executor uses it to add ComfyUI's "is_changed".
func (n *Node) SetExtra(key string, raw json.RawMessage) {
	if isStandardKey(key) {
		return
	}
	if n.Extra == nil {
		n.Extra = map[string]json.RawMessage{}
	}
	if _, ok := n.Extra[key]; !ok {
		if n.Keys == nil {
			n.Keys = n.memberOrder()
		}
		n.Keys = append(n.Keys, key)
	}
	n.Extra[key] = raw
}

// memberOrder lists the members MarshalJSON writes, in order: Keys (or
// the frontend's order), skipping those without a value, then standard
// members code has filled in since parsing, then extra members set
// directly in the map, sorted.
func (n *Node) memberOrder() []string {
	keys := n.Keys
	if keys == nil {
		keys = frontendOrder
	}
	out := make([]string, 0, len(keys)+len(n.Extra)+3)
	seen := make(map[string]bool, cap(out))
	add := func(k string) {
		if !seen[k] && n.hasMember(k, keys) {
			seen[k] = true
			out = append(out, k)
		}
	}
	for _, k := range keys {
		add(k)
	}
	for _, k := range frontendOrder {
		add(k)
	}
	var rest []string
	for k := range n.Extra {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		add(k)
	}
	return out
}

// hasMember reports whether member k has something to write. A parsed
// node keeps "inputs" and "class_type" only if it had them (or gained
// inputs since); a node built in code always has both.
func (n *Node) hasMember(k string, keys []string) bool {
	switch k {
	case keyInputs:
		return n.Keys == nil || len(n.Inputs) > 0 || slices.Contains(keys, k)
	case keyClassType:
		return n.Keys == nil || n.HasClassType || n.ClassType != "" || slices.Contains(keys, k)
	case keyMeta:
		return len(n.Meta) > 0
	}
	_, ok := n.Extra[k]
	return ok
}
