package onnx

import (
	"math"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
)

// This file hand-encodes the few onnx.proto messages the builder needs; the
// field numbers are those of onnx.proto (IR version 8..10).

type attrKind int32

// AttributeProto.AttributeType values.
const (
	attrFloat  attrKind = 1
	attrInt    attrKind = 2
	attrString attrKind = 3
	attrTensor attrKind = 4
	attrFloats attrKind = 6
	attrInts   attrKind = 7
)

type external struct {
	location       string
	offset, length int64
}

type tensorProto struct {
	name string
	dt   DataType
	dims []int64
	raw  []byte
	ext  *external
}

type node struct {
	op, domain      string
	inputs, outputs []string
	attrs           []Attr
}

type valueInfo struct {
	name     string
	dt       DataType
	dims     []Dim
	hasShape bool // false leaves the shape unspecified (any rank)
}

func appendMsg(b []byte, num protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}

func appendStr(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendInt(b []byte, num protowire.Number, v int64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

func appendPackedInts(b []byte, num protowire.Number, vs []int64) []byte {
	var p []byte
	for _, v := range vs {
		p = protowire.AppendVarint(p, uint64(v))
	}
	return appendMsg(b, num, p)
}

func (t *tensorProto) encode() []byte {
	var b []byte
	if len(t.dims) > 0 {
		b = appendPackedInts(b, 1, t.dims)
	}
	b = appendInt(b, 2, int64(t.dt))
	b = appendStr(b, 8, t.name)
	if t.ext != nil {
		for _, kv := range [][2]string{
			{"location", t.ext.location},
			{"offset", strconv.FormatInt(t.ext.offset, 10)},
			{"length", strconv.FormatInt(t.ext.length, 10)},
		} {
			b = appendMsg(b, 13, appendStr(appendStr(nil, 1, kv[0]), 2, kv[1]))
		}
		return appendInt(b, 14, 1) // data_location = EXTERNAL
	}
	b = protowire.AppendTag(b, 9, protowire.BytesType)
	return protowire.AppendBytes(b, t.raw)
}

func (a *Attr) encode() []byte {
	b := appendStr(nil, 1, a.name)
	switch a.kind {
	case attrFloat:
		b = protowire.AppendTag(b, 2, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.f))
	case attrInt:
		b = appendInt(b, 3, a.i)
	case attrString:
		b = appendStr(b, 4, a.s)
	case attrTensor:
		b = appendMsg(b, 5, a.t.encode())
	case attrFloats:
		var p []byte
		for _, f := range a.floats {
			p = protowire.AppendFixed32(p, math.Float32bits(f))
		}
		b = appendMsg(b, 7, p)
	case attrInts:
		b = appendPackedInts(b, 8, a.ints)
	}
	return appendInt(b, 20, int64(a.kind))
}

func (n *node) encode() []byte {
	var b []byte
	for _, in := range n.inputs {
		b = appendStr(b, 1, in)
	}
	for _, out := range n.outputs {
		b = appendStr(b, 2, out)
	}
	b = appendStr(b, 4, n.op)
	for i := range n.attrs {
		b = appendMsg(b, 5, n.attrs[i].encode())
	}
	if n.domain != "" {
		b = appendStr(b, 7, n.domain)
	}
	return b
}

func (v *valueInfo) encode() []byte {
	var shape []byte
	for _, d := range v.dims {
		var dim []byte
		if d.Param != "" {
			dim = appendStr(nil, 2, d.Param)
		} else {
			dim = appendInt(nil, 1, d.Value)
		}
		shape = appendMsg(shape, 1, dim)
	}
	tt := appendInt(nil, 1, int64(v.dt))
	if v.hasShape {
		tt = appendMsg(tt, 2, shape)
	}
	typ := appendMsg(nil, 1, tt)
	return appendMsg(appendStr(nil, 1, v.name), 2, typ)
}

func (g *Graph) encodeGraph() []byte {
	var b []byte
	for i := range g.nodes {
		b = appendMsg(b, 1, g.nodes[i].encode())
	}
	b = appendStr(b, 2, g.name)
	for i := range g.inits {
		b = appendMsg(b, 5, g.inits[i].encode())
	}
	for i := range g.inputs {
		b = appendMsg(b, 11, g.inputs[i].encode())
	}
	for i := range g.outputs {
		b = appendMsg(b, 12, g.outputs[i].encode())
	}
	return b
}

func opsetID(domain string, version int64) []byte {
	var b []byte
	if domain != "" {
		b = appendStr(b, 1, domain)
	}
	return appendInt(b, 2, version)
}
