package sdxl

import (
	"context"
	"testing"

	"sumi/runtime/ort"
)

func TestVAEGoldens(t *testing.T) {
	m := loadModel(t, tinyCkpt, Options{})
	g := golden(t, "vae.safetensors")
	img, err := m.DecodeVAE(context.Background(), g["decode.latent"])
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "decode.image", img, g["decode.image"], goldenTol)
	lat, err := m.EncodeVAE(context.Background(), g["encode.image"])
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "encode.latent", lat, g["encode.latent"], goldenTol)
}

// TestVAEDecodeRaw checks the decoder output before the [0,1] mapping,
// through a graph variant that also returns it.
func TestVAEDecodeRaw(t *testing.T) {
	m := loadModel(t, tinyCkpt, Options{})
	g := golden(t, "vae.safetensors")
	b := newBuilder("vae_raw", m.file, m.loc, m.opts.Graph)
	graph, err := b.vaeDecodeGraph(m.Config.VAE, m.vaePrefix, true)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ort.NewSessionFromGraph(graph, m.dataDir, ort.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := g["decode.raw_output"]
	out := []*ort.Tensor{m.output(want.Shape...), m.output(g["decode.image"].Shape...)}
	if err := s.Run(context.Background(), []*ort.Tensor{m.input(g["decode.latent"])}, out); err != nil {
		t.Fatal(err)
	}
	raw, err := toTensor(out[0])
	if err != nil {
		t.Fatal(err)
	}
	expectClose(t, "decode.raw_output", raw, want, goldenTol)
}
