package modelnodes

import (
	"context"
	"math"
	"testing"

	"sumi/sampling"
	"sumi/tensor"
)

// fakeUNet predicts eps = the first context value of each row, so the
// denoised value of an entry is x − c·σ and mixing is easy to check.
func fakeUNet(calls *int) unetFunc {
	return func(_ context.Context, x *tensor.Tensor, ts []float64, cross, y *tensor.Tensor) (*tensor.Tensor, error) {
		*calls++
		out := tensor.New(x.Shape...)
		per := len(x.Data) / x.Shape[0]
		stride := len(cross.Data) / cross.Shape[0]
		for b := 0; b < x.Shape[0]; b++ {
			for i := 0; i < per; i++ {
				out.Data[b*per+i] = cross.Data[b*stride]
			}
		}
		return out, nil
	}
}

func constCond(v float32, tokens int) prepared {
	c := tensor.New(1, tokens, 4)
	for i := range c.Data {
		c.Data[i] = v
	}
	return prepared{cross: c, strength: 1}
}

// TestDenoiseAreasAndBatching checks ComfyUI's calc_cond_batch rules on a
// closed form: entries are averaged with their strengths, an area entry
// only counts inside its area (faded over 8 pixels at inner edges), and all
// compatible entries of both prompts share one network call (contexts of
// 77 and 154 tokens included).
func TestDenoiseAreasAndBatching(t *testing.T) {
	calls := 0
	d := &denoiser{unet: fakeUNet(&calls), ms: sampling.NewDiscrete(false)}
	const h, w, sigma = 4, 32, 2.0
	area := constCond(5, 77)
	area.area, area.strength = &Area{H: 4, W: 16, Y: 0, X: 16}, 3
	pos := []prepared{constCond(1, 77), area}
	neg := []prepared{constCond(-1, 154)}
	x := tensor.New(2, 4, h, w) // chunk 0 positive, chunk 1 negative; x = 0
	out, err := d.Denoise(context.Background(), x, sigma, []any{pos, neg})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		// the area entry has another latent crop, so it runs on its own
		t.Errorf("%d network calls, want 2 (full-size entries batched, area apart)", calls)
	}
	at := func(chunk, c, y, xx int) float64 {
		return float64(out.Data[((chunk*4+c)*h+y)*w+xx])
	}
	for _, tc := range []struct {
		x    int
		want float64
	}{
		{0, -1 * sigma},                                 // outside the area: only the full entry
		{31, (-1*sigma + 3*-5*sigma) / (1 + 3)},         // area interior (right edge touches the border: no fade)
		{16, (-1*sigma + 3.0/8*-5*sigma) / (1 + 3.0/8)}, // first area column: faded to 1/8
	} {
		if got := at(0, 2, 1, tc.x); math.Abs(got-tc.want) > 1e-5 {
			t.Errorf("positive at x=%d: %g, want %g", tc.x, got, tc.want)
		}
	}
	if got := at(1, 0, 0, 0); math.Abs(got-sigma) > 1e-6 {
		t.Errorf("negative: %g, want %g", got, sigma)
	}
}

func TestWithSameArea(t *testing.T) {
	full := newCond(tensor.New(1, 77, 4), nil)
	a := newCond(tensor.New(1, 77, 4), nil)
	a.Area, a.Strength = &Area{H: 2, W: 2, Y: 1, X: 1}, 0.5
	neg := withSameArea(Conditioning{full}, a)
	if len(neg) != 2 || neg[1].Area != a.Area || neg[1].Cross != full.Cross || neg[1].Strength != 0.5 {
		t.Fatalf("negative gained %+v", neg)
	}
	if again := withSameArea(neg, a); len(again) != 2 {
		t.Errorf("an area already matched was added again")
	}
}

// TestPlainPathMatchesWeighted: the shortcut for one whole-latent entry of
// strength 1 per prompt must give exactly the bits of the weighted sum,
// signed zeros, infinities and NaN included.
func TestPlainPathMatchesWeighted(t *testing.T) {
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.NaN()), 1e-38, -3.5}
	// eps = +0 where x = −0, so den = x − eps·σ is −0 there.
	unet := func(_ context.Context, x *tensor.Tensor, _ []float64, _, _ *tensor.Tensor) (*tensor.Tensor, error) {
		out := tensor.New(x.Shape...)
		for i := range out.Data {
			out.Data[i] = special[i%len(special)]
		}
		return out, nil
	}
	d := &denoiser{unet: unet, ms: sampling.NewDiscrete(false)}
	x := tensor.New(2, 4, 3, 5)
	for i := range x.Data {
		x.Data[i] = special[(i+1)%len(special)]
	}
	lists := [][]prepared{{constCond(1, 77)}, {constCond(-2, 154)}}
	chunk, cshape := len(x.Data)/2, []int{1, 4, 3, 5}
	for _, sigma := range []float64{0, 1.5} {
		plain, err := d.denoisePlain(context.Background(), x, sigma, lists, chunk, cshape)
		if err != nil {
			t.Fatal(err)
		}
		weighted, err := d.denoiseWeighted(context.Background(), x, sigma, lists, chunk, cshape)
		if err != nil {
			t.Fatal(err)
		}
		for i := range plain.Data {
			if math.Float32bits(plain.Data[i]) != math.Float32bits(weighted.Data[i]) {
				t.Fatalf("sigma %g, element %d: plain %v, weighted %v", sigma, i, plain.Data[i], weighted.Data[i])
			}
		}
	}
}
