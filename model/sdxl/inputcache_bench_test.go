package sdxl

import (
	"testing"

	"sumi/runtime/onnx"
	"sumi/runtime/ort"
)

// BenchmarkUNetHostIO times the host side of one float16 UNet call at
// SDXL's shapes (CFG pair at 1024²: x 2×4×128×128, context 2×77×2048, ADM
// 2×2816, output like x): converting every input each step, as before the
// input cache, against converting only x while the conditioning hits the
// cache, as on every step after a sampling run's first.
func BenchmarkUNetHostIO(b *testing.B) {
	m := &Model{opts: Options{Graph: GraphOptions{DType: onnx.Float16}}}
	x, cond, y := randomTensor(1, 2, 4, 128, 128), randomTensor(2, 2, 77, 2048), randomTensor(3, 2, 2816)
	out := m.input(x)
	readBack := func() {
		if _, err := toTensor(out); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("convert-all", func(b *testing.B) {
		for range b.N {
			_ = []*ort.Tensor{m.input(x), m.input(cond), m.input(y)}
			readBack()
		}
	})
	b.Run("cached-conditioning", func(b *testing.B) {
		for range b.N {
			_ = []*ort.Tensor{m.input(x), m.unetInputs.get("context", cond, m.input), m.unetInputs.get("y", y, m.input)}
			readBack()
		}
	})
}
