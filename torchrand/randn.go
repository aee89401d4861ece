package torchrand

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"sumi/tensor"
)

// Kernel names the float arithmetic torch uses for the Box–Muller transform
// of tensors with 16 or more elements.
type Kernel int

const (
	// KernelAVX2 is torch's vectorised kernel, picked on every x86-64 CPU
	// with AVX2 (and also on AVX-512 machines). Bit-exact with torch.
	KernelAVX2 Kernel = iota
	// KernelScalar is torch's fallback kernel (ATEN_CPU_CAPABILITY=default,
	// CPUs without AVX2) with glibc's float logf/sinf/cosf as glibc's FMA
	// build computes them (see glibcmath.go).
	KernelScalar
)

// Randn returns a float32 tensor of standard normal values, as
// torch.randn(shape, generator=g) does on the CPU.
func (g *Generator) Randn(shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	g.FillNormal(t.Data)
	return t
}

// FillNormal fills d with standard normal values exactly as torch.randn
// fills a contiguous float32 tensor of len(d) elements.
func (g *Generator) FillNormal(d []float32) {
	n := len(d)
	if n == 0 {
		return
	}
	if n < 16 {
		for i := range d {
			d[i] = float32(g.normalDouble())
		}
		return
	}
	for i := range d {
		d[i] = g.Float32()
	}
	transform := boxMuller16AVX
	if g.kernel == KernelScalar {
		transform = boxMuller16Scalar
	}
	transformBlocks(d[:n/16*16], transform)
	if n%16 != 0 {
		// torch redraws the last 16 values and transforms them as one
		// block, overwriting values already produced.
		tail := d[n-16:]
		for i := range tail {
			tail[i] = g.Float32()
		}
		transform(tail)
	}
}

// parallelMin is the size from which the Box–Muller blocks are transformed
// on several goroutines (the blocks are independent once the uniforms are
// drawn, so the result does not depend on the split).
const parallelMin = 1 << 15

// transformBlocks applies transform to every 16-value block of d.
func transformBlocks(d []float32, transform func([]float32)) {
	blocks := len(d) / 16
	workers := min(runtime.GOMAXPROCS(0), blocks*16/parallelMin+1)
	if workers <= 1 {
		for k := 0; k < len(d); k += 16 {
			transform(d[k : k+16])
		}
		return
	}
	var wg sync.WaitGroup
	per := (blocks + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*per*16, min((w+1)*per*16, len(d))
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func(part []float32) {
			defer wg.Done()
			for k := 0; k < len(part); k += 16 {
				transform(part[k : k+16])
			}
		}(d[lo:hi])
	}
	wg.Wait()
}

// normalDouble is torch's normal_distribution<double> with its per-generator
// cache of the second Box–Muller value.
func (g *Generator) normalDouble() float64 {
	if g.hasCached {
		g.hasCached = false
		return g.cached
	}
	u1 := g.Float64()
	u2 := g.Float64()
	r := math.Sqrt(-2 * math.Log(1-u2))
	theta := 2 * math.Pi * u1
	g.cached = r * math.Sin(theta)
	g.hasCached = true
	return r * math.Cos(theta)
}

// boxMuller16Scalar is torch's non-vectorised transform: log and sqrt in
// float32, the angle computed in double and rounded, cos and sin in float32,
// with glibc's float functions.
func boxMuller16Scalar(d []float32) {
	_ = d[15]
	for j := 0; j < 8; j++ {
		r := float32(math.Sqrt(float64(mul32(-2, glibcLogf(1-d[j])))))
		theta := float32(2 * math.Pi * float64(d[j+8]))
		s, c := glibcSinCosf(theta)
		d[j] = mul32(r, c)
		d[j+8] = mul32(r, s)
	}
}

// Randn returns torch.randn(shape) from a fresh generator seeded with seed.
func Randn(seed uint64, shape ...int) *tensor.Tensor {
	return New(seed).Randn(shape...)
}

// PrepareNoise returns ComfyUI's initial noise for a latent of the given
// shape (comfy.sample.prepare_noise). Without batchIndex the whole batch is
// one randn call, so item 1 continues item 0's stream. With batchIndex, one
// single-item tensor is drawn per index 0..max(batchIndex) in order, and
// item b of the result is the draw for batchIndex[b].
func PrepareNoise(seed uint64, shape []int, batchIndex []int) (*tensor.Tensor, error) {
	if len(shape) == 0 {
		return nil, fmt.Errorf("torchrand: prepare noise: empty shape")
	}
	for _, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("torchrand: prepare noise: negative dimension in shape %v", shape)
		}
	}
	g := New(seed)
	if batchIndex == nil {
		return g.Randn(shape...), nil
	}
	if len(batchIndex) != shape[0] {
		return nil, fmt.Errorf("torchrand: prepare noise: %d batch indices for batch %d", len(batchIndex), shape[0])
	}
	maxIdx := -1
	for _, ix := range batchIndex {
		if ix < 0 {
			return nil, fmt.Errorf("torchrand: prepare noise: negative batch index %d", ix)
		}
		maxIdx = max(maxIdx, ix)
	}
	const maxDraws = 1 << 16
	if maxIdx >= maxDraws {
		return nil, fmt.Errorf("torchrand: prepare noise: batch index %d too large", maxIdx)
	}
	item := append([]int{1}, shape[1:]...)
	per := tensor.NumElements(item)
	draws := make([][]float32, maxIdx+1)
	want := make(map[int]bool, len(batchIndex))
	for _, ix := range batchIndex {
		want[ix] = true
	}
	buf := make([]float32, per)
	for i := range draws {
		g.FillNormal(buf)
		if want[i] {
			draws[i] = append([]float32(nil), buf...)
		}
	}
	out := tensor.New(shape...)
	for b, ix := range batchIndex {
		copy(out.Data[b*per:(b+1)*per], draws[ix])
	}
	return out, nil
}
