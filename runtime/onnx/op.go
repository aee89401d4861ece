package onnx

// Op appends a node of any operator and returns its nOutputs outputs, typed
// like the first input (use Value.As to correct that). Zero Values in inputs
// become omitted optional inputs (""). Using a domain other than "" or
// com.microsoft is an error (the model imports only those two).
func (g *Graph) Op(opType, domain string, inputs []Value, attrs []Attr, nOutputs int) []Value {
	if g.err != nil {
		return make([]Value, nOutputs)
	}
	switch domain {
	case "", "ai.onnx":
		domain = ""
	case MicrosoftDomain:
		g.contrib = true
	default:
		g.fail("%s: unsupported domain %q", opType, domain)
		return make([]Value, nOutputs)
	}
	n := node{op: opType, domain: domain, attrs: attrs}
	dt := Undefined
	for i, in := range inputs {
		if in.name != "" && in.g != g {
			g.fail("%s: input %d belongs to another graph", opType, i)
			return make([]Value, nOutputs)
		}
		if i == 0 {
			dt = in.dt
		}
		n.inputs = append(n.inputs, in.name)
	}
	// Trailing omitted inputs are dropped rather than written as "".
	for len(n.inputs) > 0 && n.inputs[len(n.inputs)-1] == "" {
		n.inputs = n.inputs[:len(n.inputs)-1]
	}
	outs := make([]Value, nOutputs)
	for i := range outs {
		outs[i] = Value{name: g.fresh(opType), dt: dt, g: g}
		n.outputs = append(n.outputs, outs[i].name)
	}
	g.nodes = append(g.nodes, n)
	return outs
}

// op1 is Op for single-output standard operators with required inputs.
func (g *Graph) op1(opType string, attrs []Attr, inputs ...Value) Value {
	if !g.check(opType, inputs...) {
		return Value{}
	}
	return g.Op(opType, "", inputs, attrs, 1)[0]
}

// ms1 is op1 for com.microsoft operators; optional inputs may be zero.
func (g *Graph) ms1(opType string, attrs []Attr, inputs ...Value) Value {
	if !g.check(opType, inputs[0]) {
		return Value{}
	}
	return g.Op(opType, MicrosoftDomain, inputs, attrs, 1)[0]
}

// As returns v annotated with another element type; it adds no node and only
// corrects the builder's bookkeeping after a generic Op.
func (v Value) As(dt DataType) Value {
	v.dt = dt
	return v
}
