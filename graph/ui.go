package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// The UI workflow model: just what conversion needs, parsed leniently
// (ids and slots may be numbers or strings, links arrays or objects).

type uiGraph struct {
	id        string // subgraph uuid; "" for the root graph
	nodes     []*uiNode
	byID      map[string]*uiNode
	links     map[string]*uiLink
	subgraphs map[string]*uiGraph // root only: definitions by id
	inputs    []uiSlot            // subgraph only: its input slots
}

type uiNode struct {
	id      string
	typ     string
	mode    int
	order   float64
	title   *string
	inputs  []uiInput
	outputs []uiOutput
	values  []any          // widgets_values as an array
	named   map[string]any // widgets_values as an object
	props   map[string]any
}

type uiInput struct {
	name, typ string
	link      string // "" when unconnected
	widget    string // the widget this socket belongs to, or ""
}

type uiOutput struct {
	name, typ string
}

type uiSlot struct {
	name, typ string
}

type uiLink struct {
	id                 string
	origin, target     string
	originSlot, tgtSlt int
	typ                string
}

type rawGraph struct {
	ID          json.RawMessage   `json:"id"`
	Nodes       []json.RawMessage `json:"nodes"`
	Links       []json.RawMessage `json:"links"`
	Inputs      []rawSlot         `json:"inputs"`
	Definitions *struct {
		Subgraphs []json.RawMessage `json:"subgraphs"`
	} `json:"definitions"`
}

type rawSlot struct {
	Name string          `json:"name"`
	Type json.RawMessage `json:"type"`
}

type rawNode struct {
	ID            json.RawMessage `json:"id"`
	Type          string          `json:"type"`
	Mode          json.RawMessage `json:"mode"`
	Order         json.RawMessage `json:"order"`
	Title         *string         `json:"title"`
	Inputs        []rawInput      `json:"inputs"`
	Outputs       []rawSlot       `json:"outputs"`
	WidgetsValues json.RawMessage `json:"widgets_values"`
	Properties    map[string]any  `json:"properties"`
}

type rawInput struct {
	Name   string          `json:"name"`
	Type   json.RawMessage `json:"type"`
	Link   json.RawMessage `json:"link"`
	Widget *struct {
		Name string `json:"name"`
	} `json:"widget"`
}

type rawLinkObj struct {
	ID         json.RawMessage `json:"id"`
	OriginID   json.RawMessage `json:"origin_id"`
	OriginSlot json.RawMessage `json:"origin_slot"`
	TargetID   json.RawMessage `json:"target_id"`
	TargetSlot json.RawMessage `json:"target_slot"`
	Type       json.RawMessage `json:"type"`
}

// parseUI decodes a UI workflow (schema 0.4 or 1) and its subgraph definitions.
func parseUI(data []byte) (*uiGraph, error) {
	var rg rawGraph
	if err := json.Unmarshal(data, &rg); err != nil {
		return nil, fmt.Errorf("graph: invalid workflow: %w", err)
	}
	if rg.Nodes == nil {
		return nil, fmt.Errorf("graph: invalid workflow: no \"nodes\" list")
	}
	g, err := buildGraph(&rg, "")
	if err != nil {
		return nil, err
	}
	g.subgraphs = map[string]*uiGraph{}
	if rg.Definitions != nil {
		for i, raw := range rg.Definitions.Subgraphs {
			var rs rawGraph
			if err := json.Unmarshal(raw, &rs); err != nil {
				return nil, fmt.Errorf("graph: invalid workflow: subgraph %d: %w", i, err)
			}
			id, _ := jsonText(rs.ID)
			if id == "" {
				return nil, fmt.Errorf("graph: invalid workflow: subgraph %d has no id", i)
			}
			sg, err := buildGraph(&rs, id)
			if err != nil {
				return nil, fmt.Errorf("graph: subgraph %s: %w", id, err)
			}
			g.subgraphs[id] = sg
		}
	}
	return g, nil
}

func buildGraph(rg *rawGraph, id string) (*uiGraph, error) {
	if len(rg.Nodes) > MaxNodes {
		return nil, fmt.Errorf("graph: workflow has more than %d nodes", MaxNodes)
	}
	g := &uiGraph{id: id, byID: map[string]*uiNode{}, links: map[string]*uiLink{}}
	for i, raw := range rg.Nodes {
		n, err := parseUINode(raw)
		if err != nil {
			return nil, fmt.Errorf("graph: invalid workflow: node %d: %w", i, err)
		}
		if _, dup := g.byID[n.id]; dup {
			return nil, fmt.Errorf("graph: invalid workflow: node id %s used twice", n.id)
		}
		g.nodes = append(g.nodes, n)
		g.byID[n.id] = n
	}
	for i, raw := range rg.Links {
		l, err := parseUILink(raw)
		if err != nil {
			return nil, fmt.Errorf("graph: invalid workflow: link %d: %w", i, err)
		}
		if l != nil {
			g.links[l.id] = l
		}
	}
	for _, s := range rg.Inputs {
		g.inputs = append(g.inputs, uiSlot{name: s.Name, typ: typeText(s.Type)})
	}
	return g, nil
}

func parseUINode(raw json.RawMessage) (*uiNode, error) {
	var rn rawNode
	if err := json.Unmarshal(raw, &rn); err != nil {
		return nil, err
	}
	id, ok := jsonText(rn.ID)
	if !ok || id == "" {
		return nil, fmt.Errorf("missing id")
	}
	n := &uiNode{id: id, typ: rn.Type, title: rn.Title, props: rn.Properties}
	n.mode, _ = jsonInt(rn.Mode)
	if o, ok := jsonInt(rn.Order); ok {
		n.order = float64(o)
	}
	for _, in := range rn.Inputs {
		ui := uiInput{name: in.Name, typ: typeText(in.Type)}
		if l, ok := jsonText(in.Link); ok {
			ui.link = l
		}
		if in.Widget != nil {
			ui.widget = in.Widget.Name
		}
		n.inputs = append(n.inputs, ui)
	}
	for _, out := range rn.Outputs {
		n.outputs = append(n.outputs, uiOutput{name: out.Name, typ: typeText(out.Type)})
	}
	if err := n.parseValues(rn.WidgetsValues); err != nil {
		return nil, err
	}
	return n, nil
}

func (n *uiNode) parseValues(raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	v, err := decodeValue(raw)
	if err != nil {
		return err
	}
	switch x := v.(type) {
	case []any:
		n.values = x
	case map[string]any:
		n.named = x
	}
	return nil
}

// parseUILink reads [id, origin, origin_slot, target, target_slot, type]
// or the schema-1 object form. A null entry is skipped.
func parseUILink(raw json.RawMessage) (*uiLink, error) {
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		return nil, nil
	}
	var f [6]json.RawMessage
	if len(raw) > 0 && raw[0] == '[' {
		var arr []json.RawMessage
		if err := json.Unmarshal(raw, &arr); err != nil {
			return nil, err
		}
		if len(arr) < 5 {
			return nil, fmt.Errorf("link array has %d fields, want 6", len(arr))
		}
		copy(f[:], arr)
	} else {
		var o rawLinkObj
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, err
		}
		f = [6]json.RawMessage{o.ID, o.OriginID, o.OriginSlot, o.TargetID, o.TargetSlot, o.Type}
	}
	l := &uiLink{typ: typeText(f[5])}
	var ok1, ok2, ok3, ok4, ok5 bool
	l.id, ok1 = jsonText(f[0])
	l.origin, ok2 = jsonText(f[1])
	l.originSlot, ok3 = jsonInt(f[2])
	l.target, ok4 = jsonText(f[3])
	l.tgtSlt, ok5 = jsonInt(f[4])
	if !(ok1 && ok2 && ok3 && ok4 && ok5) {
		return nil, fmt.Errorf("malformed link %s", truncate(raw))
	}
	return l, nil
}

// jsonText is the text of a JSON string or number (ids), false otherwise.
func jsonText(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", false
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", false
		}
		return s, true
	}
	var n json.Number
	if json.Unmarshal(raw, &n) != nil {
		return "", false
	}
	if f, err := n.Float64(); err == nil && f == float64(int64(f)) {
		return strconv.FormatInt(int64(f), 10), true
	}
	return string(n), true
}

// jsonInt reads an integer given as a number or a numeric string.
func jsonInt(raw json.RawMessage) (int, bool) {
	s, ok := jsonText(raw)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f != float64(int(f)) {
		return 0, false
	}
	return int(f), true
}

// typeText is a slot type as a string; exotic non-string types keep their JSON text.
func typeText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(bytes.TrimSpace(raw))
}

func truncate(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}
