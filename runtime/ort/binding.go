package ort

import (
	"encoding/binary"
	"fmt"
	"math"

	ortgo "github.com/yalue/onnxruntime_go"

	"sumi/runtime/onnx"
)

// binding holds the ORT values of one Run and frees them afterwards.
type binding struct {
	in, out []ortgo.Value
	owned   []ortgo.Value
}

func (b *binding) destroy() {
	for _, v := range b.owned {
		if v != nil {
			v.Destroy()
		}
	}
	for _, v := range b.out {
		if v != nil {
			v.Destroy()
		}
	}
}

func (b *binding) bind(inNames []string, inputs []*Tensor, outNames []string, outputs []*Tensor) error {
	for i, t := range inputs {
		v, err := toValue(t)
		if err != nil {
			return fmt.Errorf("input %q: %w", inNames[i], err)
		}
		b.owned = append(b.owned, v)
		b.in = append(b.in, v)
	}
	b.out = make([]ortgo.Value, len(outputs))
	for i, t := range outputs {
		if t == nil {
			continue
		}
		v, err := toValue(t)
		if err != nil {
			return fmt.Errorf("output %q: %w", outNames[i], err)
		}
		b.out[i] = v
	}
	return nil
}

// toValue wraps t's bytes (no copy for rank >= 1) in an ORT value.
func toValue(t *Tensor) (ortgo.Value, error) {
	if err := t.validate(); err != nil {
		return nil, err
	}
	if len(t.Shape) == 0 {
		return scalarValue(t)
	}
	if len(t.Data) == 0 {
		return nil, fmt.Errorf("empty tensors (shape %v) are not supported", t.Shape)
	}
	return ortgo.NewCustomDataTensor(ortgo.NewShape(t.Shape...), t.Data, ortgo.TensorElementDataType(t.DType))
}

// scalarValue handles rank-0 tensors, which the binding only supports as
// typed Scalars (float16 scalars cannot be expressed: use shape [1]).
func scalarValue(t *Tensor) (ortgo.Value, error) {
	le := binary.LittleEndian
	switch t.DType {
	case onnx.Float:
		return ortgo.NewScalar(math.Float32frombits(le.Uint32(t.Data)))
	case onnx.Double:
		return ortgo.NewScalar(math.Float64frombits(le.Uint64(t.Data)))
	case onnx.Int64:
		return ortgo.NewScalar(int64(le.Uint64(t.Data)))
	case onnx.Int32:
		return ortgo.NewScalar(int32(le.Uint32(t.Data)))
	}
	return nil, fmt.Errorf("rank-0 %s tensors are not supported (use shape [1])", t.DType)
}

// collect copies scalar results into their Tensors and converts outputs ORT
// allocated itself. Preallocated tensors were written in place.
func (b *binding) collect(outputs []*Tensor) error {
	for i, v := range b.out {
		if outputs[i] != nil && len(outputs[i].Shape) > 0 {
			continue
		}
		t, err := fromValue(v)
		if err != nil {
			return fmt.Errorf("output %d: %w", i, err)
		}
		if outputs[i] != nil {
			copy(outputs[i].Data, t.Data)
		} else {
			outputs[i] = t
		}
	}
	return nil
}

func fromValue(v ortgo.Value) (*Tensor, error) {
	le := binary.LittleEndian
	switch v := v.(type) {
	case *ortgo.Scalar[float32]:
		t := NewTensor(onnx.Float)
		le.PutUint32(t.Data, math.Float32bits(v.GetData()))
		return t, nil
	case *ortgo.Scalar[float64]:
		t := NewTensor(onnx.Double)
		le.PutUint64(t.Data, math.Float64bits(v.GetData()))
		return t, nil
	case *ortgo.Scalar[int64]:
		t := NewTensor(onnx.Int64)
		le.PutUint64(t.Data, uint64(v.GetData()))
		return t, nil
	case *ortgo.Scalar[int32]:
		t := NewTensor(onnx.Int32)
		le.PutUint32(t.Data, uint32(v.GetData()))
		return t, nil
	case *ortgo.Tensor[float32]:
		return FromFloat32(v.GetShape(), v.GetData()), nil
	case *ortgo.Tensor[int64]:
		return FromInt64(v.GetShape(), v.GetData()), nil
	}
	return nil, fmt.Errorf("cannot convert an ORT-allocated %T: preallocate this output", v)
}
