package lora

import (
	"fmt"
	"runtime"
	"sync"

	"sumi/tensor"
)

// Merge adds every patch of ps, in order, to the float32 weight w of the
// given shape, in place, using up to workers goroutines (0 means
// GOMAXPROCS) over row ranges. Each element gets exactly the float32
// operations of Apply, in the same order (the rank sum left to right, then
// the scale, then the add), so the result is bit for bit Apply's; it is
// only faster: the product is accumulated a row at a time, four ranks per
// pass over the row.
func Merge(w []float32, shape []int, ps []Patch, workers int) error {
	if len(shape) == 0 || tensor.NumElements(shape) != len(w) {
		return fmt.Errorf("lora: merge: weight shape %v does not fit %d values", shape, len(w))
	}
	rows := shape[0]
	rowLen := len(w) / max(rows, 1)
	for _, p := range ps {
		if err := p.check(shape); err != nil {
			return err
		}
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// Chunks of at least ~64k elements keep goroutine overhead negligible.
	chunk := max((rows+workers-1)/workers, 1<<16/max(rowLen, 1), 1)
	var wg sync.WaitGroup
	for lo := 0; lo < rows; lo += chunk {
		hi := min(lo+chunk, rows)
		wg.Add(1)
		go func() {
			defer wg.Done()
			acc := make([]float32, rowLen)
			for _, p := range ps {
				p.addRows(w, rowLen, lo, hi, acc)
			}
		}()
	}
	wg.Wait()
	return nil
}

// check verifies that the patch's region and factors fit a weight of shape.
func (p Patch) check(shape []int) error {
	lo, hi := p.region(shape)
	if lo < 0 || hi > shape[0] || lo >= hi {
		return fmt.Errorf("lora: %s: rows %v outside %v", p.Key, p.Rows, shape)
	}
	rowLen := tensor.NumElements(shape) / shape[0]
	if len(p.Up.Shape) != 2 || len(p.Down.Shape) != 2 || p.Up.Shape[1] != p.Down.Shape[0] ||
		p.Up.Shape[0]*p.Down.Shape[1] != (hi-lo)*rowLen {
		return fmt.Errorf("lora: %s: factors %v @ %v do not fit rows %d:%d of %v",
			p.Key, p.Up.Shape, p.Down.Shape, lo, hi, shape)
	}
	return nil
}

// region is the weight's row range the patch changes.
func (p Patch) region(shape []int) (lo, hi int) {
	if p.Rows[1] > 0 {
		return p.Rows[0], p.Rows[1]
	}
	return 0, shape[0]
}

// addRows adds the patch to the weight rows [lo, hi) that its region
// covers. The product's rows need not be the weight's: a [out,in,k,k]
// conv delta has out product rows of in·k·k values, a weight row each, but
// a transposed or reshaped factor pair may split a weight row differently,
// so the work is addressed by flat element ranges of product rows.
func (p Patch) addRows(w []float32, rowLen, lo, hi int, acc []float32) {
	rlo, rhi := p.Rows[0], p.Rows[1]
	if rhi <= 0 {
		rlo, rhi = 0, len(w)/rowLen
	}
	lo, hi = max(lo, rlo), min(hi, rhi)
	if lo >= hi {
		return
	}
	region := w[rlo*rowLen : rhi*rowLen]
	out, in := p.Up.Shape[0], p.Down.Shape[1]
	// Product rows overlapping the flat range of weight rows [lo, hi).
	first, last := (lo-rlo)*rowLen, (hi-rlo)*rowLen
	if cap(acc) < in {
		acc = make([]float32, in)
	}
	for i := first / in; i < out && i*in < last; i++ {
		row := acc[:in]
		p.productRow(i, row)
		from, to := max(i*in, first), min((i+1)*in, last)
		dst := region[from:to]
		src := row[from-i*in : to-i*in]
		for j, v := range src {
			dst[j] += float32(p.Scale * v)
		}
	}
}

// productRow writes row i of Up @ Down, summing the ranks in order.
func (p Patch) productRow(i int, row []float32) {
	r, in := p.Up.Shape[1], p.Down.Shape[1]
	up, down := p.Up.Data[i*r:(i+1)*r], p.Down.Data
	clear(row)
	k := 0
	for ; k+4 <= r; k += 4 {
		a0, a1, a2, a3 := up[k], up[k+1], up[k+2], up[k+3]
		d0 := down[k*in : (k+1)*in]
		d1 := down[(k+1)*in : (k+2)*in][:len(d0)]
		d2 := down[(k+2)*in : (k+3)*in][:len(d0)]
		d3 := down[(k+3)*in : (k+4)*in][:len(d0)]
		row := row[:len(d0)]
		for j := range d0 {
			// The conversions round each product, so no FMA is fused and
			// the sum equals Apply's left-to-right one.
			row[j] = row[j] + float32(a0*d0[j]) + float32(a1*d1[j]) + float32(a2*d2[j]) + float32(a3*d3[j])
		}
	}
	for ; k < r; k++ {
		a, d := up[k], down[k*in:(k+1)*in]
		row := row[:len(d)]
		for j := range d {
			row[j] += float32(a * d[j])
		}
	}
}
