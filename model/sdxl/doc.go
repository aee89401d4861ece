// Package sdxl detects SDXL (and SD 1.5) single-file checkpoints from their
// tensor names and shapes, and runs their four networks (CLIP-L, OpenCLIP
// bigG, UNet, VAE) as ONNX graphs whose weights stay in the checkpoint file,
// with ComfyUI's numbers (sdxl.md).
//
// Detection (Detect, Inspect) reads only the header: architecture,
// ComfyUI-style UNet/CLIP/VAE configuration, prediction-type markers. It
// then checks every tensor the networks read, so a corrupt file fails at
// Load with a *LayoutError naming the key; other families give an
// *UnsupportedError naming what was found.
//
// A Model builds each network's graph (package onnx) on first use and keeps
// its ONNX Runtime session in a cache (package ort):
//
//	m, err := sdxl.Load(path, sdxl.Options{})
//	toks, _ := tokenizer.New().SDXL(prompt, tokenizer.Options{})
//	cond, pooled, err := m.EncodeText(ctx, toks, sdxl.TextOptions{})
//	y, err := sdxl.ADM(pooled, 1024, 1024, 0, 0, 1024, 1024)
//	eps, err := m.UNet(ctx, xIn, timesteps, cond, y)
//	img, err := m.DecodeVAE(ctx, latent) // [B,H,W,3] in [0,1]
//
// LoadVAE opens a standalone VAE file (models/vae: keys with or without the
// "first_stage_model." prefix, any float dtype) and runs the same VAE graphs
// over its bytes, in place.
//
// Graphs are float32 with plain MatMul/Softmax attention by default (CPU);
// GraphOptions{DType: onnx.Float16, Attention: AttentionMHA} emits the same
// networks in float16 with com.microsoft MultiHeadAttention (CUDA).
package sdxl
