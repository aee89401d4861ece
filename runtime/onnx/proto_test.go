package onnx_test

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"sumi/runtime/onnx"
	"sumi/safetensors"
)

// modelHeader decodes ModelProto.ir_version and the opset imports.
func modelHeader(t *testing.T, b []byte) (ir int64, opsets map[string]int64) {
	t.Helper()
	opsets = map[string]int64{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			ir, b = int64(v), b[n:]
		case num == 8 && typ == protowire.BytesType:
			msg, n := protowire.ConsumeBytes(b)
			b = b[n:]
			domain, version := "", int64(0)
			for len(msg) > 0 {
				f, _, m := protowire.ConsumeTag(msg)
				msg = msg[m:]
				if f == 1 {
					s, m := protowire.ConsumeString(msg)
					domain, msg = s, msg[m:]
				} else {
					v, m := protowire.ConsumeVarint(msg)
					version, msg = int64(v), msg[m:]
				}
			}
			opsets[domain] = version
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				t.Fatalf("bad protobuf: %v", protowire.ParseError(n))
			}
			b = b[n:]
		}
	}
	return ir, opsets
}

func TestOpsetAndIRVersion(t *testing.T) {
	for _, tc := range []struct {
		opset, ir int64
		contrib   bool
	}{{17, 8, false}, {18, 8, true}, {20, 9, false}, {21, 10, true}, {23, 10, false}} {
		g := onnx.NewGraph("v")
		g.Opset = tc.opset
		x := g.Input("x", onnx.Float, 2, 3)
		y := g.ReduceMean(x, true, 1)
		if tc.contrib {
			y = g.QuickGelu(y, 1.702)
		}
		g.Output(y, "y", 2, 1)
		b, err := g.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		ir, opsets := modelHeader(t, b)
		if ir != tc.ir || opsets[""] != tc.opset {
			t.Errorf("opset %d: ir %d, opsets %v", tc.opset, ir, opsets)
		}
		if _, ok := opsets[onnx.MicrosoftDomain]; ok != tc.contrib {
			t.Errorf("opset %d: com.microsoft imported = %v, want %v", tc.opset, ok, tc.contrib)
		}
	}
}

// TestWeightDeduplicated: declaring a tensor twice yields one initializer,
// and a reshaped view gets its own name over the same bytes.
func TestWeightDeduplicated(t *testing.T) {
	tt := safetensors.Tensor{Name: "w", DType: safetensors.F32, Shape: []int64{4}, Offset: 99, Length: 16}
	g := onnx.NewGraph("d")
	a, b := g.Weight(tt, "c.safetensors", nil), g.Weight(tt, "c.safetensors", []int64{4})
	v := g.Weight(tt, "c.safetensors", []int64{4, 1, 1})
	if a.Name() != b.Name() || g.NumInitializers() != 2 || v.Name() == a.Name() {
		t.Fatalf("names %q %q %q, %d initializers", a.Name(), b.Name(), v.Name(), g.NumInitializers())
	}
}
