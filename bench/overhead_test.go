package bench

import (
	"testing"

	"sumi/runtime/onnx"
	"sumi/runtime/onnx/onnxtest"
	"sumi/tensor"
)

func TestParseStats(t *testing.T) {
	cases := []struct {
		line string
		mb   int64
		util float64
	}{
		{"1234, 87\n", 1234, 87},
		{"0, 0", 0, 0},
		{"[N/A], [N/A]", -1, -1},
		{"512", 512, -1},
		{"", -1, -1},
	}
	for _, c := range cases {
		if mb, u := parseStats(c.line); mb != c.mb || u != c.util {
			t.Errorf("parseStats(%q) = %d, %v; want %d, %v", c.line, mb, u, c.mb, c.util)
		}
	}
}

// TestIOProbeIsValid: the do-nothing UNet-shaped graph passes the ONNX
// checker in both compute types (its run is covered by TestBenchSmallCPU).
func TestIOProbeIsValid(t *testing.T) {
	for _, dt := range []onnx.DataType{onnx.Float, onnx.Float16} {
		g, err := ioProbe(dt, tensor.New(2, 4, 16, 16), tensor.New(2, 77, 64), tensor.New(2, 48))
		if err != nil {
			t.Fatal(err)
		}
		model, err := g.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		onnxtest.Check(t, t.TempDir(), model)
	}
}
