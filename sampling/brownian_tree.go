package sampling

import (
	"math"
	"runtime"
	"strconv"
	"sync"

	"sumi/tensor"
	"sumi/torchrand"
)

// BrownianTree reproduces the noise of ComfyUI's Brownian-tree SDE samplers:
// torchsde's BrownianTree (a BrownianInterval with a halfway tree, query
// times rounded to 6 decimals, pool size 24) as k-diffusion's
// BrownianTreeNoiseSampler queries it, with every node's Gaussian drawn by a
// torch CPU generator seeded through numpy's SeedSequence. The arithmetic
// follows torch's float32 operations, so the noise matches ComfyUI on a CPU
// tree (the non-_gpu names, and _gpu names on a CPU latent).
type BrownianTree struct {
	shape   []int
	entropy uint64
	root    *treeNode
	last    *treeNode
	cache   map[*treeNode]*tensor.Tensor
	order   []*treeNode // cache insertion order, oldest first
	limit   int         // most cached increments besides the root's
}

// torchsde settings used by k-diffusion.
const (
	treePoolSize   = 24
	treeDigits     = 6        // tol = 1e-6 → round(t, 6)
	treeCacheSize  = 48       // torchsde keeps 45
	treeCacheBytes = 64 << 20 // more entries for small latents, up to this much
)

type treeNode struct {
	start, end float64
	parent     *treeNode
	isLeft     bool
	split      bool
	mid        float64
	key        uint64
	depth      int
	wSeed      uint32
	left       *treeNode
	right      *treeNode
}

// roundTime is Python's round(t, 6) on a double.
func roundTime(t float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(t, 'f', treeDigits, 64), 64)
	return v
}

// NewBrownianTree builds the tree over [sigmaMin, sigmaMax] (the smallest
// positive and the largest sigma of the schedule, as float32 values) with
// entropy = the sampler seed.
func NewBrownianTree(shape []int, seed uint64, sigmaMin, sigmaMax float64) *BrownianTree {
	t0, t1 := float64(float32(sigmaMin)), float64(float32(sigmaMax))
	if t0 > t1 {
		t0, t1 = t1, t0
	}
	b := &BrownianTree{shape: append([]int(nil), shape...), entropy: seed, cache: map[*treeNode]*tensor.Tensor{}}
	b.limit = max(treeCacheSize, treeCacheBytes/(4*max(1, tensor.NumElements(shape))))
	b.root = &treeNode{start: roundTime(t0), end: roundTime(t1)}
	b.last = b.root
	w0 := newSeedSequence(seed, nil, treePoolSize).state(1)[0]
	w := torchrand.New(uint64(w0)).Randn(shape...)
	scale := float32(math.Sqrt(t1 - t0))
	for i := range w.Data {
		w.Data[i] *= scale
	}
	b.cache[b.root] = w // the root's increment is kept for good
	return b
}

// Noise is a NoiseSampler: (W(next) − W(sigma))/sqrt(|next − sigma|), with
// the tree queried on the sorted pair and the sign restored.
func (b *BrownianTree) Noise(sigma, next float64) *tensor.Tensor {
	a, c := float32(sigma), float32(next)
	sign := float32(1)
	lo, hi := a, c
	if a > c {
		lo, hi, sign = c, a, -1
	}
	w := b.increment(float64(lo), float64(hi))
	d := float32(math.Sqrt(float64(abs32(c - a))))
	out := tensor.New(b.shape...)
	for i, v := range w.Data {
		out.Data[i] = (v * sign) / d
	}
	return out
}

// increment is W(tb) − W(ta) for ta <= tb.
func (b *BrownianTree) increment(ta, tb float64) *tensor.Tensor {
	// A NaN time (a sampler stepping away from σ = 0 in hand-made sigmas)
	// would make locate climb past the root forever; it has no increment.
	if math.IsNaN(ta) || math.IsNaN(tb) {
		return tensor.New(b.shape...)
	}
	ta = min(max(ta, b.root.start), b.root.end)
	tb = min(max(tb, b.root.start), b.root.end)
	if ta == tb {
		return tensor.New(b.shape...)
	}
	var nodes []*treeNode
	b.last.locate(b, roundTime(ta), roundTime(tb), &nodes)
	b.last = nodes[len(nodes)-1]
	w := b.nodeW(nodes[0]).Clone()
	for _, n := range nodes[1:] {
		wi := b.nodeW(n)
		for i := range w.Data {
			w.Data[i] += wi.Data[i]
		}
	}
	return w
}

// locate appends the existing or newly split nodes that tile [ta, tb].
func (n *treeNode) locate(b *BrownianTree, ta, tb float64, out *[]*treeNode) {
	for ta < n.start || tb > n.end {
		n = n.parent
	}
	if ta == n.start && tb == n.end {
		*out = append(*out, n)
		return
	}
	if !n.split {
		if ta == n.start {
			n.splitAt(b, tb)
			n.left.locate(b, ta, tb, out)
			return
		}
		n.splitAt(b, ta)
		n.right.locate(b, ta, tb, out)
		return
	}
	switch {
	case tb <= n.mid:
		n.left.locate(b, ta, tb, out)
	case ta >= n.mid:
		n.right.locate(b, ta, tb, out)
	default:
		n.left.locate(b, ta, n.mid, out)
		n.right.locate(b, n.mid, tb, out)
	}
}

// splitAt halves the node until t is a node boundary (the halfway tree).
func (n *treeNode) splitAt(b *BrownianTree, t float64) {
	for {
		n.splitExact(b, 0.5*(n.end+n.start))
		switch {
		case t > n.mid:
			n = n.right
		case t < n.mid:
			n = n.left
		default:
			return
		}
	}
}

func (n *treeNode) splitExact(b *BrownianTree, mid float64) {
	n.mid = roundTime(mid)
	n.split = true
	if n.parent != nil {
		n.key = 2 * n.parent.key
		if !n.isLeft {
			n.key++
		}
		n.depth = n.parent.depth + 1
	}
	n.wSeed = newSeedSequence(b.entropy, []uint64{n.key, uint64(n.depth)}, treePoolSize).state(1)[0]
	n.left = &treeNode{start: n.start, end: n.mid, parent: n, isLeft: true}
	n.right = &treeNode{start: n.mid, end: n.end, parent: n}
}

// nodeW is the increment over a node, from its parent's by a Brownian
// bridge draw, in float32 as torchsde computes it. The Gaussian draws of
// all uncached nodes on the way up are independent, so they are made in
// parallel before the increments are folded down the path.
func (b *BrownianTree) nodeW(n *treeNode) *tensor.Tensor {
	if w, ok := b.cache[n]; ok {
		return w
	}
	var chain []*treeNode // uncached nodes, deepest first
	for m := n; ; m = m.parent {
		if _, ok := b.cache[m]; ok {
			break
		}
		chain = append(chain, m)
	}
	noises := make([]*tensor.Tensor, len(chain))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, m := range chain {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			noises[i] = torchrand.New(uint64(m.parent.wSeed)).Randn(b.shape...)
			<-sem
		}()
	}
	wg.Wait()
	w := b.cache[chain[len(chain)-1].parent]
	for i := len(chain) - 1; i >= 0; i-- {
		// Both children come from the same draw: keep the sibling too, so
		// that it never needs the draw again.
		left, right := bridge(chain[i].parent, w, noises[i])
		b.remember(chain[i].parent.left, left)
		b.remember(chain[i].parent.right, right)
		w = right
		if chain[i].isLeft {
			w = left
		}
	}
	return w
}

// bridge splits the increment wp of node p at its midpoint with the given
// standard normal draw (a Brownian bridge) and returns both halves.
func bridge(p *treeNode, wp, noise *tensor.Tensor) (left, right *tensor.Tensor) {
	hRec := 1 / (p.end - p.start)
	ld, rd := p.mid-p.start, p.end-p.mid
	ld32, h32 := float32(ld), float32(hRec)
	sd := float32(math.Sqrt(ld * rd * hRec))
	left, right = tensor.New(wp.Shape...), tensor.New(wp.Shape...)
	for i, v := range wp.Data {
		l := float32(float32(ld32*v)*h32) + float32(sd*noise.Data[i])
		left.Data[i] = l
		right.Data[i] = v - l
	}
	return left, right
}

// remember caches a node's increment, dropping the oldest entries beyond the
// cache size (values are recomputed identically when needed again).
func (b *BrownianTree) remember(n *treeNode, w *tensor.Tensor) {
	b.cache[n] = w
	b.order = append(b.order, n)
	for len(b.order) > b.limit {
		delete(b.cache, b.order[0])
		b.order = b.order[1:]
	}
}
