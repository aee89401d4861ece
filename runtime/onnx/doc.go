// Package onnx builds ONNX models in pure Go: a typed graph builder over a
// hand-written protobuf encoder (no generated code, no .proto files).
//
// Weights are never copied: Weight, Param and External declare initializers
// whose bytes stay in the checkpoint, as ONNX external data (a location
// relative to the folder the session is told about, an absolute offset and
// a length), so a .safetensors file is used exactly as downloaded.
//
// The networks are written once and emitted either in float32 (CPU) or
// float16 (CUDA) by setting Graph.Compute: Param casts stored weights to the
// compute type only when they differ, and float constants follow it. Weights
// are consumed as stored (Linear uses a transposed-B FusedMatMul, Conv takes
// [out,in,kh,kw]) so ONNX Runtime has nothing heavy to constant-fold.
//
// Example, a torch Linear over a checkpoint tensor:
//
//	f, _ := safetensors.Open("/models/checkpoints/a.safetensors")
//	g := onnx.NewGraph("proj")
//	x := g.Input("x", onnx.Float, "batch", "tokens", 768)
//	w, _ := f.Tensor("proj.weight") // [320, 768] F16
//	b, _ := f.Tensor("proj.bias")
//	y := g.Linear(x, g.Param(w, "a.safetensors", nil), g.Param(b, "a.safetensors", nil))
//	g.Output(y, "y")
//	model, err := g.Marshal() // ModelProto bytes for ort.NewSession
//
// The default opset is 17 (what Debian's python3-onnx checker accepts); set
// Graph.Opset before adding ops to target a newer one. Builder errors are
// sticky: the first one is returned by Err and Marshal.
package onnx
