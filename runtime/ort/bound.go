package ort

import (
	"fmt"
	"runtime"

	ortgo "github.com/yalue/onnxruntime_go"
)

// Bound is a model input whose value the session feeds itself on every
// Run. It suits large constant tensors that must not go into the model
// bytes (protobuf caps a model at 2 GiB, and every byte there is copied
// several times on the way into ONNX Runtime), such as LoRA-patched
// weights computed on the host: ONNX Runtime reads them in place, with no
// copy, for as long as the session lives.
type Bound struct {
	// Name is the graph input.
	Name string
	// Value must not be modified while the session is open.
	Value *Tensor
}

// boundInputs holds the ORT values of a session's bound inputs, created
// once over the pinned host bytes and destroyed with the session.
type boundInputs struct {
	names  []string
	values []ortgo.Value
	pin    runtime.Pinner
}

// newBoundInputs wraps each value without copying it. The bytes are pinned
// because ONNX Runtime keeps their address between calls.
func newBoundInputs(bound []Bound) (*boundInputs, error) {
	b := &boundInputs{}
	for _, in := range bound {
		if in.Value == nil || len(in.Value.Shape) == 0 {
			b.destroy()
			return nil, fmt.Errorf("bound input %q: need a tensor of rank >= 1", in.Name)
		}
		v, err := toValue(in.Value)
		if err != nil {
			b.destroy()
			return nil, fmt.Errorf("bound input %q: %w", in.Name, err)
		}
		b.pin.Pin(&in.Value.Data[0])
		b.names = append(b.names, in.Name)
		b.values = append(b.values, v)
	}
	return b, nil
}

// inputs are the values to append to a Run's inputs; nil-safe.
func (b *boundInputs) inputs() []ortgo.Value {
	if b == nil {
		return nil
	}
	return b.values
}

// destroy releases the values and unpins the bytes; nil-safe.
func (b *boundInputs) destroy() {
	if b == nil {
		return
	}
	for _, v := range b.values {
		v.Destroy()
	}
	b.values = nil
	b.pin.Unpin()
}
