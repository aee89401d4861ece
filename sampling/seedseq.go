package sampling

// seedSequence reproduces numpy.random.SeedSequence (entropy, spawn key and
// pool size in; generate_state's uint32 words out), which torchsde uses to
// seed every node of its Brownian tree. The constants are those of
// O'Neill's seed_seq_fe hash as numpy defines them.
type seedSequence struct{ pool []uint32 }

const (
	ssInitA    = 0x43b0d7e5
	ssMultA    = 0x931e8875
	ssInitB    = 0x8b51f9dd
	ssMultB    = 0x58f38ded
	ssMixMultL = 0xca01f9dd
	ssMixMultR = 0x4973f715
	ssXShift   = 16
)

// uint32Words splits a non-negative integer into 32-bit words, least
// significant first; zero is one word.
func uint32Words(n uint64) []uint32 {
	if n == 0 {
		return []uint32{0}
	}
	var out []uint32
	for ; n > 0; n >>= 32 {
		out = append(out, uint32(n))
	}
	return out
}

func newSeedSequence(entropy uint64, spawnKey []uint64, poolSize int) *seedSequence {
	run := uint32Words(entropy)
	var spawn []uint32
	for _, k := range spawnKey {
		spawn = append(spawn, uint32Words(k)...)
	}
	if len(spawn) > 0 && len(run) < poolSize {
		run = append(run, make([]uint32, poolSize-len(run))...)
	}
	s := &seedSequence{pool: make([]uint32, poolSize)}
	s.mix(append(run, spawn...))
	return s
}

// hashMix hashes one word with the running multiplier.
func hashMix(v uint32, c *uint32) uint32 {
	v ^= *c
	*c *= ssMultA
	v *= *c
	return v ^ v>>ssXShift
}

func mixWords(x, y uint32) uint32 {
	r := ssMixMultL*x - ssMixMultR*y
	return r ^ r>>ssXShift
}

func (s *seedSequence) mix(entropy []uint32) {
	c := uint32(ssInitA)
	for i := range s.pool {
		var e uint32
		if i < len(entropy) {
			e = entropy[i]
		}
		s.pool[i] = hashMix(e, &c)
	}
	for src := range s.pool {
		for dst := range s.pool {
			if src != dst {
				s.pool[dst] = mixWords(s.pool[dst], hashMix(s.pool[src], &c))
			}
		}
	}
	for src := len(s.pool); src < len(entropy); src++ {
		for dst := range s.pool {
			s.pool[dst] = mixWords(s.pool[dst], hashMix(entropy[src], &c))
		}
	}
}

// state returns generate_state(n) as uint32 words.
func (s *seedSequence) state(n int) []uint32 {
	c := uint32(ssInitB)
	out := make([]uint32, n)
	for i := range out {
		v := s.pool[i%len(s.pool)]
		v ^= c
		c *= ssMultB
		v *= c
		out[i] = v ^ v>>ssXShift
	}
	return out
}
