package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"sumi/nodes"
)

// MaxSubgraphDepth bounds subgraph nesting; real workflows nest a few levels.
const MaxSubgraphDepth = 32

// Node modes that change conversion (LiteGraph's NEVER and BYPASS).
const (
	modeMuted  = 2
	modeBypass = 4
)

// ids of a subgraph's boundary nodes inside its definition.
const (
	subgraphInputNode  = "-10"
	subgraphOutputNode = "-20"
)

// UnknownNodeTypesError reports node types whose widgets cannot be named
// because neither the registry nor the built-in table knows them.
type UnknownNodeTypesError struct {
	Types []string
}

// Error lists the types.
func (e *UnknownNodeTypesError) Error() string {
	return "graph: unknown node types in workflow: " + strings.Join(e.Types, ", ")
}

// Load reads JSON that is either an API prompt or a UI workflow (converted
// with ConvertUI).
func Load(data []byte, reg *nodes.Registry) (*Prompt, error) {
	if IsAPIFormat(data) {
		return ParsePrompt(data)
	}
	return ConvertUI(data, reg)
}

// ConvertUI converts a UI workflow to an API prompt the way the ComfyUI
// frontend does when queueing: widgets_values are named by position
// (UI-only widgets skipped), virtual nodes (Reroute, PrimitiveNode, Note)
// and muted/bypassed nodes are dropped, links are followed through
// reroutes, bypassed nodes and subgraph boundaries, and subgraph instances
// are flattened into "instance:inner" ids. reg names the widgets of
// registered node types; others fall back to the built-in core table.
func ConvertUI(data []byte, reg *nodes.Registry) (*Prompt, error) {
	g, err := parseUI(data)
	if err != nil {
		return nil, err
	}
	if err := checkExpansion(g); err != nil {
		return nil, err
	}
	c := &converter{reg: reg, root: g, exec: map[string]*execNode{}}
	if err := c.expand(g, nil, nil, 0); err != nil {
		return nil, err
	}
	if err := c.checkTypes(); err != nil {
		return nil, err
	}
	p := &Prompt{Nodes: map[string]*Node{}}
	for _, e := range c.order {
		if c.isVirtual(e) || e.mode == modeMuted || e.mode == modeBypass {
			continue
		}
		n, err := c.emit(e)
		if err != nil {
			return nil, err
		}
		p.Add(n)
	}
	applyTextReplacements(p, c)
	for _, id := range p.Order {
		n := p.Nodes[id]
		for _, name := range append([]string(nil), n.InputNames...) {
			if l, ok := n.Inputs[name].(Link); ok && p.Nodes[l.NodeID] == nil {
				n.DeleteInput(name)
			}
		}
	}
	return p, nil
}

// checkExpansion computes how many nodes flattening will create, before
// creating any, so that a few kilobytes of nested subgraph definitions
// cannot demand millions of nodes. Reuse is allowed up to a factor of 100
// over the nodes the file declares.
func checkExpansion(root *uiGraph) error {
	declared := len(root.nodes)
	for _, sg := range root.subgraphs {
		declared += len(sg.nodes)
	}
	limit := min(100*declared+10_000, MaxNodes)
	sizes := map[*uiGraph]int{}
	onPath := map[*uiGraph]bool{}
	var size func(g *uiGraph, depth int) (int, error)
	size = func(g *uiGraph, depth int) (int, error) {
		if n, ok := sizes[g]; ok {
			return n, nil
		}
		if onPath[g] {
			return 0, fmt.Errorf("graph: subgraph %s contains itself", g.id)
		}
		if depth > MaxSubgraphDepth {
			return 0, fmt.Errorf("graph: subgraphs nested deeper than %d levels (%s)", MaxSubgraphDepth, g.id)
		}
		onPath[g] = true
		defer delete(onPath, g)
		total := 0
		for _, n := range g.nodes {
			total++
			if sub := root.subgraphs[n.typ]; sub != nil {
				k, err := size(sub, depth+1)
				if err != nil {
					return 0, err
				}
				total += k
			}
			if total > limit {
				return 0, fmt.Errorf("graph: workflow expands to more than %d nodes", limit)
			}
		}
		sizes[g] = total
		return total, nil
	}
	_, err := size(root, 0)
	return err
}

// execNode is a node after flattening, like the frontend's ExecutableNodeDTO.
type execNode struct {
	id   string   // execution id: instance path and node id joined by ':'
	path []string // ids of the enclosing instances
	node *uiNode
	g    *uiGraph  // the graph holding node (for link lookups)
	inst *execNode // the enclosing instance, nil at the root
	sub  *uiGraph  // the definition, when node is a subgraph instance
	mode int
}

type converter struct {
	reg   *nodes.Registry
	root  *uiGraph
	exec  map[string]*execNode
	order []*execNode
}

func (c *converter) expand(g *uiGraph, path []string, inst *execNode, depth int) error {
	ns := append([]*uiNode(nil), g.nodes...)
	sort.SliceStable(ns, func(i, j int) bool { return ns[i].order < ns[j].order })
	for _, n := range ns {
		e := &execNode{id: strings.Join(append(append([]string(nil), path...), n.id), ":"),
			path: path, node: n, g: g, inst: inst, mode: n.mode}
		if inst != nil && (inst.mode == modeMuted || inst.mode == modeBypass) {
			e.mode = inst.mode
		}
		if len(c.exec) >= MaxNodes {
			return fmt.Errorf("graph: workflow expands to more than %d nodes", MaxNodes)
		}
		c.exec[e.id] = e
		if sub := c.root.subgraphs[n.typ]; sub != nil {
			if depth >= MaxSubgraphDepth {
				return fmt.Errorf("graph: subgraphs nested deeper than %d levels at node %s", MaxSubgraphDepth, e.id)
			}
			for p := inst; p != nil; p = p.inst {
				if p.sub == sub {
					return fmt.Errorf("graph: subgraph %s contains itself (node %s)", sub.id, e.id)
				}
			}
			e.sub = sub
			if err := c.expand(sub, append(append([]string(nil), path...), n.id), e, depth+1); err != nil {
				return err
			}
		}
		c.order = append(c.order, e)
	}
	return nil
}

func (c *converter) isVirtual(e *execNode) bool {
	return e.sub != nil || isVirtualType(e.node.typ)
}

// checkTypes fails on legacy group nodes and on node types whose widget
// values cannot be named.
func (c *converter) checkTypes() error {
	unknown := map[string]bool{}
	for _, e := range c.order {
		t := e.node.typ
		switch {
		case strings.HasPrefix(t, "workflow>") || strings.HasPrefix(t, "workflow/"):
			return fmt.Errorf("graph: node %s: legacy group nodes (%s) are not supported", e.id, t)
		case c.isVirtual(e) || e.mode == modeMuted || e.mode == modeBypass:
			continue
		case t == "":
			return fmt.Errorf("graph: node %s has no type", e.id)
		}
		if _, _, ok := nodeWidgets(c.reg, t); !ok && len(e.node.values) > 0 {
			unknown[t] = true
		}
	}
	if len(unknown) > 0 {
		types := make([]string, 0, len(unknown))
		for t := range unknown {
			types = append(types, t)
		}
		sort.Strings(types)
		return &UnknownNodeTypesError{Types: types}
	}
	return nil
}

func (c *converter) emit(e *execNode) (*Node, error) {
	ws, title, _ := nodeWidgets(c.reg, e.node.typ)
	if e.node.title != nil {
		title = *e.node.title
	}
	meta, _ := json.Marshal(map[string]string{"title": title})
	n := &Node{ID: e.id, ClassType: e.node.typ, HasClassType: true, Inputs: map[string]any{}, Meta: meta}
	for _, f := range assignWidgets(e.node, ws) {
		n.SetInput(f.Key, f.Value)
	}
	for i, in := range e.node.inputs {
		r, err := c.resolveInput(e, i, map[string]bool{}, "")
		if err != nil {
			return nil, err
		}
		switch {
		case r.widget:
			n.SetInput(in.name, legacyFix(e.node.typ, in.name, r.value))
		case r.found:
			n.SetInput(in.name, Link{NodeID: r.origin, Slot: r.slot})
		}
	}
	return n, nil
}

// resolved is where an input's value comes from: a node output, a promoted
// subgraph widget value, or nothing.
type resolved struct {
	found  bool
	origin string
	slot   int
	widget bool
	value  any
}

var errCircular = errors.New("circular link")

func (c *converter) resolveInput(e *execNode, slot int, visited map[string]bool, typ string) (resolved, error) {
	key := e.g.id + ":" + e.node.id + "[I]" + fmt.Sprint(slot)
	if visited[key] {
		return resolved{}, fmt.Errorf("graph: node %s input %d: %w", e.id, slot, errCircular)
	}
	visited[key] = true
	if slot < 0 || slot >= len(e.node.inputs) {
		return resolved{}, fmt.Errorf("graph: node %s has no input slot %d", e.id, slot)
	}
	in := e.node.inputs[slot]
	if in.link == "" {
		return resolved{}, nil
	}
	l, ok := e.g.links[in.link]
	if !ok {
		return resolved{}, fmt.Errorf("graph: node %s input %q: link %s does not exist", e.id, in.name, in.link)
	}
	if typ == "" {
		typ = in.typ
	}
	if e.inst != nil && l.origin == subgraphInputNode {
		return c.resolveBoundary(e, l, visited)
	}
	src, ok := e.g.byID[l.origin]
	if !ok {
		return resolved{}, fmt.Errorf("graph: node %s input %q: link %s comes from missing node %s", e.id, in.name, l.id, l.origin)
	}
	se := c.exec[strings.Join(append(append([]string(nil), e.path...), src.id), ":")]
	return c.resolveOutput(se, l.originSlot, typ, visited)
}

// resolveBoundary follows a link that enters a subgraph through its input
// slot out to the instance: to whatever feeds the instance, or to the
// instance's promoted widget value when nothing does.
func (c *converter) resolveBoundary(e *execNode, l *uiLink, visited map[string]bool) (resolved, error) {
	inst := e.inst
	k := l.originSlot
	if k < 0 || k >= len(inst.node.inputs) {
		return resolved{}, fmt.Errorf("graph: subgraph instance %s has no input slot %d", inst.id, k)
	}
	if inst.node.inputs[k].link == "" {
		if v, ok := promotedValue(inst.node, k); ok {
			return resolved{widget: true, value: v}, nil
		}
		return resolved{}, nil
	}
	return c.resolveInput(inst, k, visited, "")
}

// promotedValue is the instance's widget value for input slot k: its
// widgets_values hold one entry per input that carries a widget.
func promotedValue(n *uiNode, k int) (any, bool) {
	in := n.inputs[k]
	if in.widget == "" {
		return nil, false
	}
	if n.named != nil {
		v, ok := n.named[in.widget]
		return v, ok
	}
	pos := 0
	for i := 0; i < k; i++ {
		if n.inputs[i].widget != "" {
			pos++
		}
	}
	if pos < len(n.values) {
		return n.values[pos], true
	}
	return nil, false
}

func (c *converter) resolveOutput(e *execNode, slot int, typ string, visited map[string]bool) (resolved, error) {
	key := e.g.id + ":" + e.node.id + "[O]" + fmt.Sprint(slot)
	if visited[key] {
		return resolved{}, fmt.Errorf("graph: node %s output %d: %w", e.id, slot, errCircular)
	}
	visited[key] = true
	switch {
	case e.mode == modeBypass:
		i := bypassSlot(e.node, slot, typ)
		if i < 0 || i >= len(e.node.inputs) {
			return resolved{}, nil
		}
		return c.resolveInput(e, i, visited, "")
	case e.sub != nil:
		return c.resolveSubgraphOutput(e, slot, typ, visited)
	case isVirtualType(e.node.typ):
		if slot >= 0 && slot < len(e.node.inputs) {
			return c.resolveInput(e, slot, visited, typ)
		}
		return resolved{}, nil
	}
	return resolved{found: true, origin: e.id, slot: slot}, nil
}

func (c *converter) resolveSubgraphOutput(e *execNode, slot int, typ string, visited map[string]bool) (resolved, error) {
	var inner *uiLink
	for _, l := range e.sub.links {
		if l.target == subgraphOutputNode && l.tgtSlt == slot && (inner == nil || l.id < inner.id) {
			inner = l
		}
	}
	if inner == nil {
		return resolved{}, nil
	}
	path := append(append([]string(nil), e.path...), e.node.id)
	src := c.exec[strings.Join(append(path, inner.origin), ":")]
	if src == nil {
		return resolved{}, fmt.Errorf("graph: subgraph instance %s output %d comes from missing node %s", e.id, slot, inner.origin)
	}
	return c.resolveOutput(src, inner.originSlot, typ, visited)
}

// bypassSlot picks the input a bypassed node passes to its output slot,
// by the frontend's type rules.
func bypassSlot(n *uiNode, slot int, typ string) int {
	if typ == "*" || typ == "" {
		if slot < len(n.inputs) {
			return slot
		}
		return 0
	}
	outType := ""
	if slot >= 0 && slot < len(n.outputs) {
		outType = n.outputs[slot].typ
	}
	if slot >= 0 && slot < len(n.inputs) {
		if t := n.inputs[slot].typ; validConnection(t, outType) && validConnection(t, typ) {
			return slot
		}
	}
	for i, in := range n.inputs {
		if in.typ == typ {
			return i
		}
	}
	for i, in := range n.inputs {
		if validConnection(in.typ, outType) && validConnection(in.typ, typ) {
			return i
		}
	}
	return -1
}

// validConnection is LiteGraph's type compatibility: equal (ignoring case),
// either side any ("*", ""), or intersecting comma-separated unions.
func validConnection(a, b string) bool {
	if a == "" || b == "" || a == "*" || b == "*" || strings.EqualFold(a, b) {
		return true
	}
	for _, x := range strings.Split(strings.ToLower(a), ",") {
		for _, y := range strings.Split(strings.ToLower(b), ",") {
			if strings.TrimSpace(x) == strings.TrimSpace(y) {
				return true
			}
		}
	}
	return false
}
