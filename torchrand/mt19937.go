// Package torchrand reproduces PyTorch's CPU random number generator bit for
// bit, so that a ComfyUI seed gives the same initial noise in sumi.
//
// The generator is MT19937 seeded from the low 32 bits of the 64-bit seed
// (torch.manual_seed). Randn follows torch.randn for float32 tensors: below
// 16 elements a cached double-precision Box–Muller, from 16 elements on the
// vectorised 16-wide Box–Muller whose float32 arithmetic is that of torch's
// AVX2 kernel (what ComfyUI users on x86-64 get). KernelScalar selects the
// arithmetic of torch's non-vectorised kernel instead (torch on CPUs without
// AVX2, with glibc's logf/sinf/cosf as glibc computes them with FMA); both
// are verified bit for bit against torch 1.13. Newer torch versions or other
// C libraries (e.g. macOS on Apple Silicon) may round differently.
//
// Noise drawn on CUDA by torch (Philox) is not reproduced: ComfyUI draws the
// initial noise on the CPU generator anyway, and sumi draws the per-step
// noise of ancestral samplers the way ComfyUI does for a CPU latent.
package torchrand

const (
	mtN         = 624
	mtM         = 397
	mtMatrixA   = 0x9908b0df
	mtUpperMask = 0x80000000
	mtLowerMask = 0x7fffffff
)

// Generator is a torch-compatible CPU generator. The zero value is not
// usable; create one with New. A Generator is not safe for concurrent use.
type Generator struct {
	state  [mtN]uint32
	next   int
	kernel Kernel

	// cached second value of the double Box–Muller used for < 16 elements.
	cached    float64
	hasCached bool
}

// New returns a generator seeded like torch.Generator().manual_seed(seed).
func New(seed uint64) *Generator {
	g := &Generator{}
	g.Seed(seed)
	return g
}

// Seed reseeds the generator (torch's manual_seed). Only the low 32 bits of
// seed matter, as in torch. It also drops the cached normal value.
func (g *Generator) Seed(seed uint64) {
	s := uint32(seed)
	g.state[0] = s
	for j := 1; j < mtN; j++ {
		prev := g.state[j-1]
		g.state[j] = 1812433253*(prev^(prev>>30)) + uint32(j)
	}
	g.next = mtN
	g.hasCached = false
	g.cached = 0
}

// SetKernel selects the float arithmetic used by Randn for >= 16 elements.
func (g *Generator) SetKernel(k Kernel) { g.kernel = k }

// twist regenerates the whole state block.
func (g *Generator) twist() {
	st := &g.state
	for i := 0; i < mtN; i++ {
		y := (st[i] & mtUpperMask) | (st[(i+1)%mtN] & mtLowerMask)
		v := st[(i+mtM)%mtN] ^ (y >> 1)
		if y&1 != 0 {
			v ^= mtMatrixA
		}
		st[i] = v
	}
	g.next = 0
}

// Uint32 returns the next 32-bit output of the Mersenne Twister.
func (g *Generator) Uint32() uint32 {
	if g.next >= mtN {
		g.twist()
	}
	y := g.state[g.next]
	g.next++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// Float32 returns a uniform value in [0, 1) as torch.rand does for float32:
// 24 random bits from one 32-bit draw.
func (g *Generator) Float32() float32 {
	return float32(g.Uint32()&0xffffff) * (1.0 / (1 << 24))
}

// Float64 returns a uniform value in [0, 1) with 53 random bits taken from a
// 64-bit value built from two draws (first draw in the high half), as
// torch's uniform_real_distribution<double> does.
func (g *Generator) Float64() float64 {
	hi := uint64(g.Uint32())
	lo := uint64(g.Uint32())
	x := hi<<32 | lo
	return float64(x&(1<<53-1)) * (1.0 / (1 << 53))
}
