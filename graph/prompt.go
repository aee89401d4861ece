package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// MaxNodes bounds the size of a prompt or workflow we accept; far above any
// real graph, it keeps hostile input from exhausting memory.
const MaxNodes = 1_000_000

// ErrNotObject is returned when a prompt or workflow is not a JSON object.
var ErrNotObject = errors.New("graph: not a JSON object")

// Prompt is an API-format prompt: node id -> {class_type, inputs, _meta}.
// Node ids are opaque strings; Order keeps the JSON order, which ComfyUI
// uses for error reporting and execution_cached.
type Prompt struct {
	Nodes map[string]*Node
	Order []string
}

// Node is one entry of a prompt.
type Node struct {
	ID string
	// ClassType is the node class; HasClassType is false when the key was
	// absent (ComfyUI's invalid_prompt) and ClassType then is "".
	ClassType    string
	HasClassType bool
	// Inputs maps input names to constants (json.Number, string, bool, nil,
	// map[string]any, []any) or links. After validation, links are Link values
	// and constants of declared INT/FLOAT/STRING/BOOLEAN inputs are int64 (or
	// uint64 above 2^63-1), float64, string and bool.
	Inputs map[string]any
	// InputNames keeps the JSON key order of Inputs.
	InputNames []string
	// Meta is the raw "_meta" object (title), or nil.
	Meta json.RawMessage
	// Extra holds the node's members other than class_type, inputs and
	// _meta, as raw JSON. ComfyUI keeps whatever a client posts there (and
	// adds "is_changed" itself) and writes it back with the prompt.
	Extra map[string]json.RawMessage
	// Keys is the document order of the node's members as parsed; MarshalJSON
	// follows it, as Python's json.dumps follows a dict's insertion order.
	// Nil (a node built in code) means the frontend's order: inputs,
	// class_type, _meta.
	Keys []string
}

// Link is a validated [node_id, output_slot] input.
type Link struct {
	NodeID string
	Slot   int
	// posted is the link's JSON as received when that differs from
	// ["id", Slot]: a negative or boolean slot, which Python indexes with
	// and ComfyUI writes back unchanged. Validation sets it.
	posted string
}

// MarshalJSON writes the link as ComfyUI does: as posted, else ["id", slot].
func (l Link) MarshalJSON() ([]byte, error) {
	if l.posted != "" {
		return []byte(l.posted), nil
	}
	return []byte(fmt.Sprintf("[%s,%d]", quote(l.NodeID), l.Slot)), nil
}

// withPosted records raw (the input as received) on l when it would not
// be written back the same.
func (l Link) withPosted(raw any) Link {
	arr, ok := raw.([]any)
	if !ok {
		return l
	}
	b, err := marshalValue(arr)
	if c, _ := l.MarshalJSON(); err == nil && string(b) != string(c) {
		l.posted = string(b)
	}
	return l
}

// Title is _meta.title, or "".
func (n *Node) Title() string {
	var m struct {
		Title string `json:"title"`
	}
	_ = json.Unmarshal(n.Meta, &m)
	return m.Title
}

// SetInput sets an input, appending its name when it is new.
func (n *Node) SetInput(name string, v any) {
	if n.Inputs == nil {
		n.Inputs = map[string]any{}
	}
	if _, ok := n.Inputs[name]; !ok {
		n.InputNames = append(n.InputNames, name)
	}
	n.Inputs[name] = v
}

// DeleteInput removes an input.
func (n *Node) DeleteInput(name string) {
	if _, ok := n.Inputs[name]; !ok {
		return
	}
	delete(n.Inputs, name)
	for i, k := range n.InputNames {
		if k == name {
			n.InputNames = append(n.InputNames[:i:i], n.InputNames[i+1:]...)
			break
		}
	}
}

// Add appends a node (replacing one with the same id in place).
func (p *Prompt) Add(n *Node) {
	if p.Nodes == nil {
		p.Nodes = map[string]*Node{}
	}
	if _, ok := p.Nodes[n.ID]; !ok {
		p.Order = append(p.Order, n.ID)
	}
	p.Nodes[n.ID] = n
}

// ParsePrompt decodes an API prompt. Numbers stay json.Number so that big
// seeds and values such as 0.4999999999999999 survive unchanged.
func ParsePrompt(data []byte) (*Prompt, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	p := &Prompt{Nodes: map[string]*Node{}}
	if err := expectObject(dec); err != nil {
		return nil, err
	}
	for dec.More() {
		id, err := key(dec)
		if err != nil {
			return nil, err
		}
		if len(p.Order) >= MaxNodes {
			return nil, fmt.Errorf("graph: prompt has more than %d nodes", MaxNodes)
		}
		n, err := parseNode(dec, id)
		if err != nil {
			return nil, err
		}
		p.Add(n)
	}
	if err := endObject(dec); err != nil {
		return nil, err
	}
	return p, nil
}

func expectObject(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("graph: invalid JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return ErrNotObject
	}
	return nil
}

func key(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", fmt.Errorf("graph: invalid JSON: %w", err)
	}
	k, _ := tok.(string)
	return k, nil
}

// endObject consumes the closing brace and checks nothing follows.
func endObject(dec *json.Decoder) error {
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("graph: invalid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("graph: invalid JSON: data after the object")
	}
	return nil
}

// parseNode reads one node object from the stream. A value that is not an
// object gives a node without class_type, which validation rejects as
// ComfyUI does.
func parseNode(dec *json.Decoder, id string) (*Node, error) {
	n := &Node{ID: id, Inputs: map[string]any{}}
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("graph: invalid JSON: %w", err)
	}
	if !isObject(raw) {
		return n, nil
	}
	nd := json.NewDecoder(bytes.NewReader(raw))
	nd.UseNumber()
	_ = expectObject(nd)
	var seen standardSeen
	n.Keys = []string{} // parsed: only the members the object has
	for nd.More() {
		k, err := key(nd)
		if err != nil {
			return nil, err
		}
		seen.add(n, k)
		switch k {
		case "class_type":
			var v any
			if err := nd.Decode(&v); err != nil {
				return nil, fmt.Errorf("graph: invalid JSON: %w", err)
			}
			n.HasClassType = true
			if s, ok := v.(string); ok {
				n.ClassType = s
			} else {
				b, _ := marshalValue(v)
				n.ClassType = string(b) // not a string: an unknown class named by its JSON text
			}
		case "inputs":
			if err := parseInputs(nd, n); err != nil {
				return nil, err
			}
		default:
			var v json.RawMessage
			if err := nd.Decode(&v); err != nil {
				return nil, fmt.Errorf("graph: invalid JSON: %w", err)
			}
			if k == "_meta" {
				n.Meta = v
			} else {
				n.SetExtra(k, v)
			}
		}
	}
	return n, nil
}

func parseInputs(dec *json.Decoder, n *Node) error {
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return fmt.Errorf("graph: invalid JSON: %w", err)
	}
	if !isObject(raw) {
		return nil
	}
	in := json.NewDecoder(bytes.NewReader(raw))
	in.UseNumber()
	_ = expectObject(in)
	for in.More() {
		name, err := key(in)
		if err != nil {
			return err
		}
		var v any
		if err := in.Decode(&v); err != nil {
			return fmt.Errorf("graph: node %s input %s: %w", n.ID, name, err)
		}
		n.SetInput(name, v)
	}
	return nil
}

// decodeValue decodes any JSON value with numbers as json.Number.
func decodeValue(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func isObject(raw []byte) bool {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	return len(raw) > 0 && raw[0] == '{'
}

// eachKey calls fn for each member of a JSON object, in document order. A
// repeated key is reported again (callers keep the last value, like Python).
func eachKey(data []byte, fn func(key string, raw json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("graph: invalid JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return ErrNotObject
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("graph: invalid JSON: %w", err)
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("graph: invalid JSON: %w", err)
		}
		if err := fn(key, raw); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("graph: invalid JSON: %w", err)
	}
	if dec.More() {
		return fmt.Errorf("graph: invalid JSON: data after the object")
	}
	if _, err := dec.Token(); err == nil {
		return fmt.Errorf("graph: invalid JSON: data after the object")
	}
	return nil
}

// MarshalJSON writes the prompt in node order, each node's members in the
// order they were parsed (see Node.Keys).
func (p *Prompt) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, id := range p.Order {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(quote(id))
		b.WriteByte(':')
		if err := p.Nodes[id].writeJSON(&b); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (n *Node) writeJSON(b *bytes.Buffer) error {
	b.WriteByte('{')
	for i, k := range n.memberOrder() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(quote(k))
		b.WriteByte(':')
		switch k {
		case "inputs":
			if err := n.writeInputs(b); err != nil {
				return err
			}
		case "class_type":
			b.WriteString(quote(n.ClassType))
		case "_meta":
			b.Write(n.Meta)
		default:
			b.Write(n.Extra[k])
		}
	}
	b.WriteByte('}')
	return nil
}

func (n *Node) writeInputs(b *bytes.Buffer) error {
	b.WriteByte('{')
	for i, name := range n.InputNames {
		if i > 0 {
			b.WriteByte(',')
		}
		v, err := marshalValue(n.Inputs[name])
		if err != nil {
			return fmt.Errorf("graph: node %s input %s: %w", n.ID, name, err)
		}
		b.WriteString(quote(name))
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return nil
}

// marshalValue encodes a value without HTML escaping. A float64 (a
// coerced FLOAT constant) is written as Python's repr, so 8 becomes 8.0 as
// in the prompt ComfyUI saves and reports; non-finite floats, which Python
// would write as NaN or Infinity, are not JSON and become null.
func marshalValue(v any) ([]byte, error) {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return []byte("null"), nil
		}
		return []byte(pyFloat(x)), nil
	case int64:
		return strconv.AppendInt(nil, x, 10), nil
	case json.Number:
		if x != "" && json.Valid([]byte(x)) {
			return []byte(x), nil
		}
	case bool:
		return strconv.AppendBool(nil, x), nil
	case nil:
		return []byte("null"), nil
	case Link:
		return x.MarshalJSON()
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

func quote(s string) string {
	b, _ := marshalValue(s)
	return string(b)
}

// Clone returns a deep copy of the prompt (input maps and constant values).
func (p *Prompt) Clone() *Prompt {
	q := &Prompt{Nodes: make(map[string]*Node, len(p.Nodes)), Order: append([]string(nil), p.Order...)}
	for id, n := range p.Nodes {
		m := *n
		m.Inputs = make(map[string]any, len(n.Inputs))
		for k, v := range n.Inputs {
			m.Inputs[k] = cloneValue(v)
		}
		m.InputNames = append([]string(nil), n.InputNames...)
		if n.Extra != nil {
			m.Extra = make(map[string]json.RawMessage, len(n.Extra))
			for k, v := range n.Extra {
				m.Extra[k] = append(json.RawMessage(nil), v...)
			}
		}
		if n.Keys != nil {
			m.Keys = append([]string(nil), n.Keys...)
		}
		q.Nodes[id] = &m
	}
	return q
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case []any:
		c := make([]any, len(x))
		for i := range x {
			c[i] = cloneValue(x[i])
		}
		return c
	case map[string]any:
		c := make(map[string]any, len(x))
		for k := range x {
			c[k] = cloneValue(x[k])
		}
		return c
	}
	return v
}

// IsAPIFormat reports whether data is an API prompt rather than a UI
// workflow: a JSON object whose every value is an object with a class_type.
func IsAPIFormat(data []byte) bool {
	ok := eachKey(data, func(_ string, raw json.RawMessage) error {
		var probe struct {
			ClassType *json.RawMessage `json:"class_type"`
		}
		if !isObject(raw) || json.Unmarshal(raw, &probe) != nil || probe.ClassType == nil {
			return errors.New("no")
		}
		return nil
	}) == nil
	return ok
}

// linkParts interprets a raw [id, slot] array the way Python indexing
// would: it returns the id (string only), the slot as an integer, and a
// Python-like error text for the other cases.
func linkParts(v []any) (id string, slot int64, idOK bool, slotErr string) {
	id, idOK = v[0].(string)
	switch s := v[1].(type) {
	case json.Number:
		i, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil {
			return id, 0, idOK, "tuple indices must be integers or slices, not float"
		}
		return id, i, idOK, ""
	case int64:
		return id, s, idOK, ""
	case int:
		return id, int64(s), idOK, ""
	case float64:
		if s == math.Trunc(s) {
			return id, int64(s), idOK, ""
		}
		return id, 0, idOK, "tuple indices must be integers or slices, not float"
	case bool:
		if s {
			return id, 1, idOK, ""
		}
		return id, 0, idOK, ""
	}
	return id, 0, idOK, "tuple indices must be integers or slices, not " + pyTypeName(v[1])
}
