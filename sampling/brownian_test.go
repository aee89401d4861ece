package sampling

import (
	"math"
	"testing"
)

// TestBrownianTreeConsistent checks that overlapping queries see one path:
// the increment over [n, s] is the sum of those over [m, s] and [n, m],
// whatever order they are asked in, and a repeated query gives the same
// values.
func TestBrownianTreeConsistent(t *testing.T) {
	shape := []int{1, 4, 8, 8}
	b := NewBrownianTree(shape, 7, 0.0291, 14.6)
	const s, m, n = 10.0, 6.0, 3.0
	inc := func(a, c float64) []float64 {
		z := b.Noise(a, c)
		out := make([]float64, len(z.Data))
		for i, v := range z.Data {
			out[i] = float64(v) * math.Sqrt(math.Abs(c-a))
		}
		return out
	}
	sn := inc(s, n) // W(n) − W(s)
	sm := inc(s, m)
	mn := inc(m, n)
	again := inc(s, n)
	for i := range sm {
		if d := math.Abs(sm[i] + mn[i] - sn[i]); d > 1e-5 {
			t.Fatalf("[%d]: path inconsistent by %g", i, d)
		}
		if again[i] != sn[i] {
			t.Fatalf("[%d]: repeated query differs", i)
		}
	}
}

// TestBrownianTreeStatistics checks that normalised increments over a long
// schedule are standard normal and that the cache stays bounded.
func TestBrownianTreeStatistics(t *testing.T) {
	shape := []int{1, 4, 16, 16}
	sig, _ := Schedule(sdxlSampling, "karras", 60)
	lo, hi := positiveRange(sig)
	b := NewBrownianTree(shape, 3, lo, hi)
	var sum, sq float64
	var n int
	for i := 0; i+2 < len(sig); i++ {
		for _, z := range []float64{logMid(sig[i], sig[i+1]), sig[i+1]} {
			for _, v := range b.Noise(sig[i], z).Data {
				sum += float64(v)
				sq += float64(v) * float64(v)
				n++
			}
		}
	}
	if len(b.cache) > b.limit+1 {
		t.Errorf("cache holds %d increments, limit %d", len(b.cache), b.limit)
	}
	mean := sum / float64(n)
	variance := sq/float64(n) - mean*mean
	if math.Abs(mean) > 0.02 || math.Abs(variance-1) > 0.05 {
		t.Errorf("mean %g variance %g", mean, variance)
	}
}

// TestSeedSequence checks the numpy SeedSequence port on properties that
// do not need numpy: the state depends on entropy, spawn key and pool, and
// a longer state starts with the shorter one.
func TestSeedSequence(t *testing.T) {
	a := newSeedSequence(5, nil, 24).state(4)
	b := newSeedSequence(5, nil, 24).state(1)
	if a[0] != b[0] {
		t.Errorf("prefix differs: %x vs %x", a[0], b[0])
	}
	seen := map[uint32]bool{}
	for _, s := range []*seedSequence{
		newSeedSequence(5, nil, 24), newSeedSequence(6, nil, 24),
		newSeedSequence(5, []uint64{0, 0}, 24), newSeedSequence(5, []uint64{1, 1}, 24),
		newSeedSequence(5, []uint64{0, 1}, 24), newSeedSequence(1<<40, nil, 24),
	} {
		w := s.state(1)[0]
		if seen[w] {
			t.Errorf("collision %x", w)
		}
		seen[w] = true
	}
}

// TestBrownianTreeEviction checks that a tiny cache, which must recompute
// evicted increments, gives exactly the values of an unbounded one.
func TestBrownianTreeEviction(t *testing.T) {
	shape := []int{1, 2, 4, 4}
	sig, _ := Schedule(sdxlSampling, "karras", 12)
	lo, hi := positiveRange(sig)
	big, small := NewBrownianTree(shape, 11, lo, hi), NewBrownianTree(shape, 11, lo, hi)
	big.limit, small.limit = 1<<20, 3
	for i := 0; i+1 < len(sig); i++ {
		mid := logMid(sig[i], sig[i+1])
		if sig[i+1] == 0 {
			mid = sig[i] / 2
		}
		for _, z := range []float64{mid, sig[i+1]} {
			if d := maxDiff(big.Noise(sig[i], z), small.Noise(sig[i], z)); d != 0 {
				t.Fatalf("step %d: evicting cache changed the noise by %g", i, d)
			}
		}
		if len(small.cache) > small.limit+1 {
			t.Fatalf("cache holds %d", len(small.cache))
		}
	}
}
