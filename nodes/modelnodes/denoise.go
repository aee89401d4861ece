package modelnodes

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"

	"sumi/model/sdxl"
	"sumi/sampling"
	"sumi/tensor"
)

// unetFunc runs the network: eps (or v) for x_in, per-row timesteps,
// context and ADM vector. Tests swap in a closed form.
type unetFunc func(ctx context.Context, x *tensor.Tensor, ts []float64, cross, y *tensor.Tensor) (*tensor.Tensor, error)

// denoiser is the sampling.Model of a checkpoint: ComfyUI's
// calc_cond_batch over conditioning entries (areas, strengths, several
// entries per prompt), batching every compatible entry of the positive and
// negative prompt into one UNet call, and apply_model's eps/v to denoised.
type denoiser struct {
	unet  unetFunc
	ms    sampling.ModelSampling
	vpred bool
	conds batchConds
}

var _ sampling.Model = (*denoiser)(nil)

// ModelSampling implements sampling.SamplingProvider.
func (d *denoiser) ModelSampling() sampling.ModelSampling { return d.ms }

// prepared is one conditioning entry ready for the UNet (after ComfyUI's
// encode_model_conds): context, ADM vector and area.
type prepared struct {
	cross    *tensor.Tensor // [1, T, D]
	y        *tensor.Tensor // [1, A] or nil
	area     *Area
	strength float32
}

// toRun is one entry of one prompt on its (possibly cropped) latent.
type toRun struct {
	x, mult *tensor.Tensor
	cond    prepared
	area    *Area // clamped to the latent, nil = whole
	index   int   // which prompt (chunk) it belongs to
}

// Denoise implements sampling.Model: x holds one chunk per entry of conds,
// each a []prepared.
func (d *denoiser) Denoise(ctx context.Context, x *tensor.Tensor, sigma float64, conds []any) (*tensor.Tensor, error) {
	n := len(conds)
	if n == 0 || x.Shape[0]%n != 0 {
		return nil, fmt.Errorf("modelnodes: %d conditionings for a batch of %d", n, x.Shape[0])
	}
	chunk := len(x.Data) / n
	cshape := append([]int{x.Shape[0] / n}, x.Shape[1:]...)
	lists := make([][]prepared, n)
	for i, c := range conds {
		list, ok := c.([]prepared)
		if !ok {
			return nil, fmt.Errorf("modelnodes: conditioning %d is %T", i, c)
		}
		lists[i] = list
	}
	if wholeAndPlain(lists) {
		return d.denoisePlain(ctx, x, sigma, lists, chunk, cshape)
	}
	return d.denoiseWeighted(ctx, x, sigma, lists, chunk, cshape)
}

// denoiseWeighted is calc_cond_batch in general: every entry's prediction
// weighted by its strength (faded at area edges), summed and divided by
// the summed weights.
func (d *denoiser) denoiseWeighted(ctx context.Context, x *tensor.Tensor, sigma float64, lists [][]prepared, chunk int, cshape []int) (*tensor.Tensor, error) {
	n := len(lists)
	var runs []toRun
	outs := make([]*tensor.Tensor, n)
	counts := make([]*tensor.Tensor, n)
	for i, list := range lists {
		xi := tensor.FromData(x.Data[i*chunk:(i+1)*chunk], cshape...)
		outs[i] = tensor.New(cshape...)
		counts[i] = tensor.New(cshape...)
		for k := range counts[i].Data {
			counts[i].Data[k] = 1e-37
		}
		for _, p := range list {
			if r, ok := areaAndMult(p, xi); ok {
				r.index = i
				runs = append(runs, r)
			}
		}
	}
	err := d.runBatches(ctx, runs, sigma, func(r toRun, out *tensor.Tensor) {
		accumulate(outs[r.index], counts[r.index], out, r.mult, r.area)
	})
	if err != nil {
		return nil, err
	}
	res := tensor.New(x.Shape...)
	for i := range outs {
		dst := res.Data[i*chunk : (i+1)*chunk]
		for k, v := range outs[i].Data {
			dst[k] = v / counts[i].Data[k]
		}
	}
	return res, nil
}

// wholeAndPlain reports whether every prompt is one entry over the whole
// latent at strength 1: the usual text-to-image CFG pair.
func wholeAndPlain(lists [][]prepared) bool {
	for _, l := range lists {
		if len(l) != 1 || l[0].area != nil || l[0].strength != 1 {
			return false
		}
	}
	return true
}

// denoisePlain is Denoise for wholeAndPlain prompts without the weight and
// count tensors: with one entry of weight 1, ComfyUI's (0 + den·1) /
// (1e-37 + 1) is den exactly in float32 (1e-37 vanishes next to 1), except
// that adding to 0 turns −0 into +0, which is kept.
func (d *denoiser) denoisePlain(ctx context.Context, x *tensor.Tensor, sigma float64, lists [][]prepared, chunk int, cshape []int) (*tensor.Tensor, error) {
	runs := make([]toRun, len(lists))
	for i, l := range lists {
		runs[i] = toRun{x: tensor.FromData(x.Data[i*chunk:(i+1)*chunk], cshape...), cond: l[0], index: i}
	}
	res := tensor.New(x.Shape...)
	err := d.runBatches(ctx, runs, sigma, func(r toRun, out *tensor.Tensor) {
		dst := res.Data[r.index*chunk : (r.index+1)*chunk]
		for j, v := range out.Data {
			if v == 0 {
				v = 0 // −0 → +0, as 0 + v
			}
			dst[j] = v
		}
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// runBatches runs every entry through the UNet, as many per call as
// takeBatch allows, and hands each entry's denoised prediction to use.
func (d *denoiser) runBatches(ctx context.Context, runs []toRun, sigma float64, use func(r toRun, den *tensor.Tensor)) error {
	for len(runs) > 0 {
		var batch []toRun
		batch, runs = takeBatch(runs)
		out, err := d.apply(ctx, batch, sigma)
		if err != nil {
			return err
		}
		for k, r := range batch {
			use(r, out[k])
		}
	}
	return nil
}

// takeBatch pops every run that can share a UNet call with the first one,
// in ComfyUI's (reversed) order.
func takeBatch(runs []toRun) (batch, rest []toRun) {
	first := runs[0]
	var idx []int
	for i, r := range runs {
		if canConcat(first, r) {
			idx = append(idx, i)
		}
	}
	slices.Reverse(idx)
	for _, i := range idx {
		batch = append(batch, runs[i])
	}
	for i, r := range runs {
		if !slices.Contains(idx, i) {
			rest = append(rest, r)
		}
	}
	return batch, rest
}

// canConcat is ComfyUI's can_concat_cond: same latent crop, same ADM
// shape, contexts of one width whose lengths repeat to a common one at
// most 4 times the shorter.
func canConcat(a, b toRun) bool {
	if !slices.Equal(a.x.Shape, b.x.Shape) || (a.cond.y == nil) != (b.cond.y == nil) {
		return false
	}
	if a.cond.y != nil && !slices.Equal(a.cond.y.Shape, b.cond.y.Shape) {
		return false
	}
	ca, cb := a.cond.cross.Shape, b.cond.cross.Shape
	if ca[0] != cb[0] || ca[2] != cb[2] {
		return false
	}
	if ca[1] != cb[1] {
		return lcm(ca[1], cb[1])/min(ca[1], cb[1]) <= 4
	}
	return true
}

func lcm(a, b int) int {
	g, h := a, b
	for h != 0 {
		g, h = h, g%h
	}
	return a / g * b
}

// areaAndMult is ComfyUI's get_area_and_mult: crop x to the entry's area
// and build its weight, faded over 8 latent pixels at inner area edges.
func areaAndMult(p prepared, x *tensor.Tensor) (toRun, bool) {
	b, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	r := toRun{cond: p}
	if p.area == nil {
		r.x = x
		r.mult = tensor.New(x.Shape...)
		for i := range r.mult.Data {
			r.mult.Data[i] = p.strength
		}
		return r, true
	}
	a := *p.area
	a.H = min(h-a.Y, a.H)
	a.W = min(w-a.X, a.W)
	if a.H <= 0 || a.W <= 0 {
		return r, false
	}
	r.area = &a
	r.x = crop(x, a)
	mult := tensor.New(b, c, a.H, a.W)
	for i := range mult.Data {
		mult.Data[i] = p.strength
	}
	const rr = 8
	fade := func(row bool, pos int, f float32) {
		for i := 0; i < b*c; i++ {
			plane := mult.Data[i*a.H*a.W : (i+1)*a.H*a.W]
			for k := 0; k < a.W && row; k++ {
				plane[pos*a.W+k] *= f
			}
			for k := 0; k < a.H && !row; k++ {
				plane[k*a.W+pos] *= f
			}
		}
	}
	// Same loop order as ComfyUI (rows: start then end edge, then columns),
	// so the float32 products round alike.
	f := func(t int) float32 { return float32(1.0 / rr * float64(t+1)) }
	if a.Y != 0 {
		for t := 0; t < rr && t < a.H; t++ {
			fade(true, t, f(t))
		}
	}
	if a.H+a.Y < h {
		for t := 0; t < rr && a.H-1-t >= 0; t++ {
			fade(true, a.H-1-t, f(t))
		}
	}
	if a.X != 0 {
		for t := 0; t < rr && t < a.W; t++ {
			fade(false, t, f(t))
		}
	}
	if a.W+a.X < w {
		for t := 0; t < rr && a.W-1-t >= 0; t++ {
			fade(false, a.W-1-t, f(t))
		}
	}
	r.mult = mult
	return r, true
}

// crop cuts area a out of [B,C,H,W].
func crop(x *tensor.Tensor, a Area) *tensor.Tensor {
	b, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	out := tensor.New(b, c, a.H, a.W)
	for i := 0; i < b*c; i++ {
		for y := 0; y < a.H; y++ {
			src := x.Data[i*h*w+(a.Y+y)*w+a.X:]
			copy(out.Data[(i*a.H+y)*a.W:(i*a.H+y+1)*a.W], src[:a.W])
		}
	}
	return out
}

// accumulate adds out·mult into the prompt's sum and mult into its count,
// over the area when there is one.
func accumulate(sum, count, out, mult *tensor.Tensor, a *Area) {
	if a == nil {
		for i, v := range out.Data {
			sum.Data[i] += v * mult.Data[i]
			count.Data[i] += mult.Data[i]
		}
		return
	}
	b, c, h, w := sum.Shape[0], sum.Shape[1], sum.Shape[2], sum.Shape[3]
	for i := 0; i < b*c; i++ {
		for y := 0; y < a.H; y++ {
			for x := 0; x < a.W; x++ {
				k := i*h*w + (a.Y+y)*w + a.X + x
				j := (i*a.H+y)*a.W + x
				sum.Data[k] += out.Data[j] * mult.Data[j]
				count.Data[k] += mult.Data[j]
			}
		}
	}
}

// apply runs one UNet call over a batch of runs and returns each run's
// denoised prediction (ComfyUI's apply_model).
func (d *denoiser) apply(ctx context.Context, batch []toRun, sigma float64) ([]*tensor.Tensor, error) {
	rows := batch[0].x.Shape[0]
	tokens := 0
	for _, r := range batch {
		if tokens == 0 {
			tokens = r.cond.cross.Shape[1]
		} else {
			tokens = lcm(tokens, r.cond.cross.Shape[1])
		}
	}
	xs := make([]*tensor.Tensor, len(batch))
	for k, r := range batch {
		xs[k] = r.x
	}
	cross, y := d.conds.get(batch, tokens, rows)
	x := catBatch(xs)
	s := float32(sigma)
	root := float32(math.Sqrt(float64(s*s + 1)))
	xIn := tensor.New(x.Shape...)
	for i, v := range x.Data {
		xIn.Data[i] = v / root
	}
	ts := make([]float64, x.Shape[0])
	t := d.ms.Timestep(sigma)
	for i := range ts {
		ts[i] = t
	}
	eps, err := d.unet(ctx, xIn, ts, cross, y)
	if err != nil {
		return nil, err
	}
	if !eps.SameShape(x) {
		return nil, fmt.Errorf("modelnodes: unet returned %v for %v", eps.Shape, x.Shape)
	}
	den := tensor.New(x.Shape...)
	for i, v := range x.Data {
		if d.vpred {
			s2 := s*s + 1
			den.Data[i] = v/s2 - eps.Data[i]*s/root
		} else {
			den.Data[i] = v - eps.Data[i]*s
		}
	}
	out := make([]*tensor.Tensor, len(batch))
	n := len(x.Data) / len(batch)
	for k := range batch {
		out[k] = tensor.FromData(den.Data[k*n:(k+1)*n], batch[k].x.Shape...)
	}
	return out, nil
}

// batchConds keeps the last batch's concatenated context and ADM vector:
// the same prompts go through the UNet on every step of a sampling run, and
// concatenating an SDXL CFG pair's contexts copies over a megabyte a step.
// The key holds the source tensors, so they stay alive and no new tensor
// can take their addresses; conditioning tensors are never changed in place
// (node outputs are cached and shared across prompts).
type batchConds struct {
	mu           sync.Mutex
	key          []*tensor.Tensor // cross and y of each entry, in order
	tokens, rows int
	cross, y     *tensor.Tensor
}

// get returns the batch's context [N·rows, tokens, D] and ADM vector (nil
// when the entries have none).
func (c *batchConds) get(batch []toRun, tokens, rows int) (cross, y *tensor.Tensor) {
	key := make([]*tensor.Tensor, 0, 2*len(batch))
	for _, r := range batch {
		key = append(key, r.cond.cross, r.cond.y)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cross != nil && c.tokens == tokens && c.rows == rows && slices.Equal(c.key, key) {
		return c.cross, c.y
	}
	crosses := make([]*tensor.Tensor, len(batch))
	var ys []*tensor.Tensor
	for k, r := range batch {
		crosses[k] = repeatRows(repeatTokens(r.cond.cross, tokens), rows)
		if r.cond.y != nil {
			ys = append(ys, repeatRows(r.cond.y, rows))
		}
	}
	c.key, c.tokens, c.rows, c.cross, c.y = key, tokens, rows, catBatch(crosses), nil
	if len(ys) > 0 {
		c.y = catBatch(ys)
	}
	return c.cross, c.y
}

// repeatTokens repeats a context [1,T,D] along the tokens to n (a multiple
// of T); repeating keys and values does not change attention.
func repeatTokens(c *tensor.Tensor, n int) *tensor.Tensor {
	if c.Shape[1] == n {
		return c
	}
	b, t, d := c.Shape[0], c.Shape[1], c.Shape[2]
	out := tensor.New(b, n, d)
	for i := 0; i < b; i++ {
		for k := 0; k < n/t; k++ {
			copy(out.Data[(i*n+k*t)*d:], c.Data[i*t*d:(i+1)*t*d])
		}
	}
	return out
}

// repeatRows repeats (or cuts) a [b,...] tensor to n rows, as ComfyUI's
// repeat_to_batch_size.
func repeatRows(t *tensor.Tensor, n int) *tensor.Tensor {
	if t.Shape[0] == n {
		return t
	}
	row := len(t.Data) / t.Shape[0]
	out := tensor.New(append([]int{n}, t.Shape[1:]...)...)
	for i := 0; i < n; i++ {
		src := i % t.Shape[0]
		copy(out.Data[i*row:(i+1)*row], t.Data[src*row:(src+1)*row])
	}
	return out
}

// catBatch concatenates tensors of equal trailing shape along dim 0.
func catBatch(ts []*tensor.Tensor) *tensor.Tensor {
	if len(ts) == 1 {
		return ts[0]
	}
	rows := 0
	for _, t := range ts {
		rows += t.Shape[0]
	}
	out := tensor.New(append([]int{rows}, ts[0].Shape[1:]...)...)
	off := 0
	for _, t := range ts {
		off += copy(out.Data[off:], t.Data)
	}
	return out
}

// newDenoiser wraps a checkpoint's UNet.
func newDenoiser(m *sdxl.Model) (*denoiser, error) {
	c := m.Config
	d := &denoiser{unet: m.UNet, ms: sampling.NewDiscrete(c.ZeroTerminalSNR)}
	switch c.Prediction {
	case sdxl.PredEps:
	case sdxl.PredV:
		d.vpred = true
	default:
		return nil, fmt.Errorf("modelnodes: %s prediction is not supported", c.Prediction)
	}
	return d, nil
}
