package sdxl

import (
	"fmt"

	"sumi/runtime/onnx"
	"sumi/runtime/ort"
)

// Network names for Prepare.
const (
	NetCLIPL      = "clip_l"
	NetCLIPG      = "clip_g"
	NetUNet       = "unet"
	NetVAEDecoder = "vae_decoder"
	NetVAEEncoder = "vae_encoder"
)

// Prepare creates the session of network now instead of on first use, so
// a server can load off the request path and a benchmark can time session
// creation apart from the first run. Text encoders are prepared for the
// default layer (TextOptions{}). Preparing a cached session is a no-op.
func (m *Model) Prepare(network string) error {
	c := m.Config
	var err error
	switch {
	case network == NetUNet && c.UNet != nil:
		_, err = m.unetSession()
	case network == NetVAEDecoder && c.VAE != nil:
		_, err = m.vaeDecoderSession()
	case network == NetVAEEncoder && c.VAE != nil && c.VAE.HasEncoder:
		_, err = m.vaeEncoderSession()
	case network == NetCLIPL && c.CLIPL != nil:
		_, err = m.clipSession(c.CLIPL, clipHF, TextOptions{}, false)
	case network == NetCLIPG && c.CLIPG != nil:
		_, err = m.clipSession(c.CLIPG, clipOpenCLIP, TextOptions{}, true)
	default:
		return fmt.Errorf("%w: %s", ErrNoNetwork, network)
	}
	return err
}

func (m *Model) unetSession() (*ort.Session, error) {
	u := m.Config.UNet
	return m.session(NetUNet, func(b *builder) (*onnx.Graph, error) { return b.unetGraph(u) })
}

func (m *Model) vaeDecoderSession() (*ort.Session, error) {
	v := m.Config.VAE
	return m.session(NetVAEDecoder, func(b *builder) (*onnx.Graph, error) { return b.vaeDecodeGraph(v, m.vaePrefix, false) })
}

func (m *Model) vaeEncoderSession() (*ort.Session, error) {
	v := m.Config.VAE
	return m.session(NetVAEEncoder, func(b *builder) (*onnx.Graph, error) { return b.vaeEncodeGraph(v, m.vaePrefix) })
}
