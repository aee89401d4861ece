package sdxl

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"sumi/lora"
	"sumi/tensor"
)

// BenchmarkTypicalSDXLLoRA sizes a typical SDXL LoRA on the real SDXL UNet
// layout: rank 32 on every attention projection (to_q, to_k, to_v,
// to_out.0 of attn1 and attn2 in every transformer block). It merges one
// weight of each distinct shape on one core and scales by the counts, so
// it needs no 5 GB checkpoint:
//
//	go test ./model/sdxl -run XXX -bench TypicalSDXLLoRA -benchtime 3x
//
// Reported: the weights and bytes patched, the single-core merge time at
// session build, and the time to fingerprint the factors (which the model
// once did on every network call; it is now computed once per network).
func BenchmarkTypicalSDXLLoRA(b *testing.B) {
	const rank = 32
	counts := map[[2]int]int{}
	var n, elements int
	for _, s := range SDXLBaseConfig().tensors() {
		if strings.Contains(s.key, "transformer_blocks") && strings.Contains(s.key, ".attn") &&
			strings.HasSuffix(s.key, ".weight") && len(s.shape) == 2 {
			counts[[2]int{s.shape[0], s.shape[1]}]++
			n++
			elements += s.shape[0] * s.shape[1]
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	randn := func(shape ...int) *tensor.Tensor {
		t := tensor.New(shape...)
		for i := range t.Data {
			t.Data[i] = float32(r.NormFloat64())
		}
		return t
	}
	var merge, hash time.Duration
	var factorBytes int
	for i := 0; i < b.N; i++ {
		merge, hash, factorBytes = 0, 0, 0
		for shape, count := range counts {
			p := lora.Patch{Up: randn(shape[0], rank), Down: randn(rank, shape[1]), Scale: 0.5}
			w := make([]float32, shape[0]*shape[1])
			t0 := time.Now()
			if err := lora.Merge(w, shape[:], []lora.Patch{p}, 1); err != nil {
				b.Fatal(err)
			}
			merge += time.Since(t0) * time.Duration(count)
			t0 = time.Now()
			lora.Fingerprint([]lora.Patch{p})
			hash += time.Since(t0) * time.Duration(count)
			factorBytes += 4 * rank * (shape[0] + shape[1]) * count
		}
	}
	b.ReportMetric(float64(n), "weights")
	b.ReportMetric(float64(elements)/1e6, "M-elements")
	b.ReportMetric(float64(4*elements)/(1<<20), "MB-fp32")
	b.ReportMetric(float64(2*elements)/(1<<20), "MB-fp16")
	b.ReportMetric(float64(factorBytes)/(1<<20), "MB-factors")
	b.ReportMetric(merge.Seconds(), "s-merge-1core")
	b.ReportMetric(hash.Seconds()*1000, "ms-fingerprint")
}
