package torchrand

import (
	"syscall"
	"testing"
)

// BenchmarkRandnLatent measures randn for a 2x4x128x128 latent (a batch of
// two 1024x1024 SDXL images).
func BenchmarkRandnLatent(b *testing.B) {
	g := New(0)
	d := make([]float32, 2*4*128*128)
	b.SetBytes(int64(4 * len(d)))
	start := cpuTime()
	for b.Loop() {
		g.FillNormal(d)
	}
	b.ReportMetric((cpuTime()-start)/float64(b.N)*1e3, "cpu-ms/op")
}

// cpuTime is the process's user+system CPU time in seconds; on a shared,
// overloaded machine it is steadier than wall time.
func cpuTime() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
