package lora

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"

	"sumi/tensor"
)

// ErrNoMatch means none of a LoRA's keys names a weight of the checkpoint,
// which almost always means the LoRA is for another architecture.
var ErrNoMatch = errors.New("lora: no key matches this checkpoint")

// Patch is one change to one checkpoint weight: the region (whole tensor,
// or Rows of dimension 0) gains Scale · (Up @ Down), reshaped to the region.
type Patch struct {
	// Key is the checkpoint tensor.
	Key string
	// Rows, when Rows[1] > 0, is the changed row range [Rows[0], Rows[1]).
	Rows [2]int
	// Up is [out, rank] and Down is [rank, in] float32, so that
	// Up @ Down has as many elements as the region (transposed weights
	// already have their factors swapped and transposed).
	Up, Down *tensor.Tensor
	// Scale is strength · alpha/rank (or strength without alpha), rounded
	// to float32 as ComfyUI multiplies it.
	Scale float32
	// Source is the LoRA key the patch comes from (for messages).
	Source string
}

// Set is the result of matching one LoRA file against a checkpoint.
type Set struct {
	// UNet and Text are the patches per network, sorted by Key then Source.
	UNet, Text []Patch
	// Unmatched lists LoRA keys that name no weight of the checkpoint or
	// whose product does not fit it (ComfyUI ignores them with a warning).
	Unmatched []string
}

// Patches matches every adapter against km and scales it by
// strengthModel (UNet) or strengthClip (text encoders). A strength of 0
// leaves that side out. It fails with ErrNoMatch when nothing matches.
func (f *File) Patches(km *KeyMap, strengthModel, strengthClip float64) (*Set, error) {
	s := &Set{}
	matched := 0
	for _, a := range f.Adapters {
		t, ok := km.Lookup(a.Name)
		if !ok {
			s.Unmatched = append(s.Unmatched, a.Name)
			continue
		}
		p, err := newPatch(a, t)
		if err != nil {
			s.Unmatched = append(s.Unmatched, fmt.Sprintf("%s (%v)", a.Name, err))
			continue
		}
		matched++
		strength := strengthModel
		if t.Part == Text {
			strength = strengthClip
		}
		if strength == 0 {
			continue
		}
		p.Scale = scale(a, strength)
		if t.Part == Text {
			s.Text = append(s.Text, p)
		} else {
			s.UNet = append(s.UNet, p)
		}
	}
	if matched == 0 {
		return nil, fmt.Errorf("%w: %s: none of its %d adapters (e.g. %s) names a weight of the checkpoint",
			ErrNoMatch, f.Path, len(f.Adapters), f.Adapters[0].Name)
	}
	sortPatches(s.UNet)
	sortPatches(s.Text)
	return s, nil
}

// scale is ComfyUI's strength · (alpha / rank), computed in float64 and
// applied as a float32 multiplier.
func scale(a Adapter, strength float64) float32 {
	alpha := 1.0
	if a.HasAlpha {
		alpha = a.Alpha / float64(a.Rank)
	}
	return float32(strength * alpha)
}

// newPatch checks that the adapter's product fits the target region.
func newPatch(a Adapter, t Target) (Patch, error) {
	p := Patch{Key: t.Key, Rows: t.Rows, Up: a.Up, Down: a.Down, Source: a.Name}
	if t.Transpose {
		if len(t.Shape) != 2 {
			return p, fmt.Errorf("transposed target %v is not 2-D", t.Shape)
		}
		p.Up, p.Down = transpose(a.Down), transpose(a.Up)
	}
	if got, want := p.Up.Shape[0]*p.Down.Shape[1], tensor.NumElements(t.Shape); got != want ||
		p.Up.Shape[0] != t.Shape[0] {
		return p, fmt.Errorf("product %dx%d does not fit weight %v", p.Up.Shape[0], p.Down.Shape[1], t.Shape)
	}
	return p, nil
}

func transpose(m *tensor.Tensor) *tensor.Tensor {
	r, c := m.Shape[0], m.Shape[1]
	out := tensor.New(c, r)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			out.Data[j*r+i] = m.Data[i*c+j]
		}
	}
	return out
}

func sortPatches(ps []Patch) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Key != ps[j].Key {
			return ps[i].Key < ps[j].Key
		}
		return ps[i].Rows[0] < ps[j].Rows[0]
	})
}

// Delta returns Scale · (Up @ Down) as a flat float32 slice with the
// region's element count: the product is accumulated in float32 over the
// rank in order, then multiplied by Scale, as ComfyUI's float32 torch.mm
// and scalar multiply do (up to the summation order of the BLAS kernel).
func (p Patch) Delta() []float32 {
	out, r, in := p.Up.Shape[0], p.Up.Shape[1], p.Down.Shape[1]
	d := make([]float32, out*in)
	for i := 0; i < out; i++ {
		for j := 0; j < in; j++ {
			var s float32
			for k := 0; k < r; k++ {
				// float32() rounds each product: no fused multiply-add.
				s += float32(p.Up.Data[i*r+k] * p.Down.Data[k*in+j])
			}
			d[i*in+j] = float32(p.Scale * s)
		}
	}
	return d
}

// Apply merges the patch into the float32 weight w of the given shape, in
// place: the plain-Go reference of what a patched graph computes (Merge is
// the fast form with the same result).
func (p Patch) Apply(w []float32, shape []int) error {
	if len(shape) == 0 || tensor.NumElements(shape) != len(w) {
		return fmt.Errorf("lora: %s: weight shape %v does not fit %d values", p.Key, shape, len(w))
	}
	rowLen := len(w) / shape[0]
	lo, hi := 0, shape[0]
	if p.Rows[1] > 0 {
		lo, hi = p.Rows[0], p.Rows[1]
	}
	if lo < 0 || hi > shape[0] || lo >= hi {
		return fmt.Errorf("lora: %s: rows %v outside %v", p.Key, p.Rows, shape)
	}
	region := w[lo*rowLen : hi*rowLen]
	d := p.Delta()
	if len(d) != len(region) {
		return fmt.Errorf("lora: %s: delta of %d values for a region of %d", p.Key, len(d), len(region))
	}
	for i, v := range d {
		region[i] += v
	}
	return nil
}

// Fingerprint identifies a list of patches (keys, rows, scales and factor
// values) for session cache keys: equal lists give equal fingerprints.
func Fingerprint(ps []Patch) string {
	if len(ps) == 0 {
		return ""
	}
	h := sha256.New()
	var buf [8]byte
	num := func(v uint64) {
		binary.LittleEndian.PutUint64(buf[:], v)
		h.Write(buf[:])
	}
	var chunk []byte
	floats := func(t *tensor.Tensor) {
		num(uint64(len(t.Shape)))
		for _, d := range t.Shape {
			num(uint64(d))
		}
		for i, v := range t.Data {
			chunk = binary.LittleEndian.AppendUint32(chunk, math.Float32bits(v))
			if len(chunk) >= 1<<16 || i == len(t.Data)-1 {
				h.Write(chunk)
				chunk = chunk[:0]
			}
		}
	}
	for _, p := range ps {
		num(uint64(len(p.Key)))
		h.Write([]byte(p.Key))
		num(uint64(p.Rows[0]))
		num(uint64(p.Rows[1]))
		num(uint64(math.Float32bits(p.Scale)))
		floats(p.Up)
		floats(p.Down)
	}
	return fmt.Sprintf("%x", h.Sum(nil)[:12])
}
