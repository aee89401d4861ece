// Package safetensors reads and writes the safetensors container used by
// diffusion checkpoints: an 8-byte little-endian header length N, N bytes of
// JSON describing every tensor, then the raw little-endian data.
//
// Open memory-maps the file and validates the whole header before returning,
// so a truncated download or a hostile file yields an error (never a panic and
// never a tensor that reads past the end). Tensor data is left in the
// mapping; Float32 converts F16, BF16, F32 and F64 tensors on request.
//
//	f, err := safetensors.Open("sd_xl_base_1.0.safetensors")
//	if err != nil {
//		return err
//	}
//	defer f.Close()
//	t, _ := f.Tensor("model.diffusion_model.out.2.bias")
//	fmt.Println(t.DType, t.Shape, t.Offset) // F16 [4] 2566...
//	bias, err := f.Float32(t.Name)
//
// Tensor.Offset is the absolute file offset of the data (8 + N + begin),
// which is what ONNX external data needs to point into the file unchanged.
package safetensors
