package preview

import (
	"bytes"
	"image/jpeg"
	"testing"

	"sumi/tensor"
)

// TestImageFormula checks one pixel against the latent2rgb formula computed
// by hand, and that only the first batch item is used.
func TestImageFormula(t *testing.T) {
	x := tensor.New(2, 4, 1, 2)
	lat := []float32{1, -0.5, 2, 0.25} // channels of pixel (0,0)
	for c, v := range lat {
		x.Data[c*2] = v
		x.Data[8+c*2] = 100 // second batch item: must be ignored
	}
	img, err := Image(x, SDXL)
	if err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 3; k++ {
		v := SDXL.Bias[k]
		for c := range lat {
			v += lat[c] * SDXL.RGB[c][k]
		}
		want := toByte(v)
		if got := img.Pix[k]; got != want {
			t.Errorf("channel %d = %d, want %d", k, got, want)
		}
	}
	// pixel (1,0) has a zero latent: the bias alone.
	if got, want := img.Pix[4], toByte(SDXL.Bias[0]); got != want {
		t.Errorf("bias pixel %d, want %d", got, want)
	}
	if toByte(-3) != 0 || toByte(3) != 255 || toByte(0) != 127 {
		t.Errorf("clamp/truncation: %d %d %d", toByte(-3), toByte(3), toByte(0))
	}
}

// TestJPEGSize checks the size rule: latent size, shrunk to fit 512.
func TestJPEGSize(t *testing.T) {
	for _, tc := range []struct{ h, w, wantW, wantH int }{
		{128, 128, 128, 128},
		{96, 152, 152, 96},
		{1024, 512, 256, 512},
	} {
		b, err := SDXLJPEG(tensor.New(1, 4, tc.h, tc.w))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Width != tc.wantW || cfg.Height != tc.wantH {
			t.Errorf("%dx%d latent: jpeg %dx%d, want %dx%d", tc.w, tc.h, cfg.Width, cfg.Height, tc.wantW, tc.wantH)
		}
	}
}

// TestBadInput checks that malformed latents give errors, not panics.
func TestBadInput(t *testing.T) {
	for _, x := range []*tensor.Tensor{nil, tensor.New(4, 8, 8), tensor.New(1, 3, 8, 8), {Shape: []int{1, 4, 8, 8}}} {
		if _, err := SDXLJPEG(x); err == nil {
			t.Errorf("%v accepted", x)
		}
	}
}
