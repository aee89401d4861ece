package onnx_test

import (
	"fmt"

	"sumi/runtime/onnx"
	"sumi/safetensors"
)

// A torch Linear whose fp16 weight stays in the checkpoint: in a float32
// graph Param adds one Cast (folded by ORT at load), in a float16 graph none.
func Example() {
	w := safetensors.Tensor{Name: "proj.weight", DType: safetensors.F16, Shape: []int64{320, 768}, Offset: 1001, Length: 320 * 768 * 2}
	for _, compute := range []onnx.DataType{onnx.Float, onnx.Float16} {
		g := onnx.NewGraph("proj")
		g.Compute = compute
		x := g.Input("x", compute, "batch", "tokens", 768)
		y := g.Linear(x, g.Param(w, "ckpt.safetensors", nil), onnx.Value{})
		g.Output(y, "y", "batch", "tokens", 320)
		model, err := g.Marshal()
		fmt.Println(compute, g.NumNodes(), "nodes", len(model) > 0, err)
	}
	// Output:
	// float32 3 nodes true <nil>
	// float16 2 nodes true <nil>
}
