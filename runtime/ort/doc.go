// Package ort runs ONNX models with ONNX Runtime through
// github.com/yalue/onnxruntime_go; it is the only package with cgo.
//
// The shared library is loaded once per process by Init. LibraryPath picks
// it: the --ort-lib flag value, else $SUMI_ORT_LIB, else
// <executable dir>/../.ort/libonnxruntime.so.1, else .ort/ in the nearest
// parent of the working directory that has one (the repository checkout).
// Only ONNX Runtime 1.29.x is accepted; anything else is a startup error
// that says how to install the right one (make ort).
//
// Sessions are created from in-memory model bytes (never a model file) with
// the external-data folder set, so initializers built by package onnx read
// the checkpoint in place:
//
//	if err := ort.Init(ort.LibraryPath(*ortLib)); err != nil {
//		log.Fatal(err)
//	}
//	model, _ := g.Marshal()
//	s, err := ort.NewSession(model, filepath.Dir(ckpt), g.InputNames(), g.OutputNames(), ort.Options{})
//	if err != nil {
//		return err
//	}
//	defer s.Close()
//	out := []*ort.Tensor{ort.NewTensor(onnx.Float, 1, 4, 128, 128)}
//	err = s.Run(ctx, []*ort.Tensor{ort.FromFloat32([]int64{1, 4, 128, 128}, latent)}, out)
//
// Outputs are preallocated by the caller (their dtype and shape are known to
// the network code), which is also what float16 and scalar outputs need.
// Cache keeps sessions per checkpoint, network, dtype and device.
package ort
