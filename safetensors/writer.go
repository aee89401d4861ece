package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

// Writer assembles a safetensors file in memory. Tensors are stored in the
// order they are added. It is meant for tests and small scratch files, not
// for rewriting checkpoints.
type Writer struct {
	// Metadata becomes the "__metadata__" entry when non-empty.
	Metadata map[string]string
	// HeaderPad appends that many spaces to the JSON header, shifting every
	// tensor's absolute offset; an odd value makes all offsets unaligned.
	HeaderPad int

	entries []writerEntry
	err     error
}

type writerEntry struct {
	name  string
	dtype DType
	shape []int64
	data  []byte
}

// AddFloat32 adds an F32 tensor.
func (w *Writer) AddFloat32(name string, shape []int64, data []float32) {
	b := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	w.AddRaw(name, F32, shape, b)
}

// AddFloat16 adds an F16 tensor, rounding data to the nearest half.
func (w *Writer) AddFloat16(name string, shape []int64, data []float32) {
	w.addHalf(name, F16, shape, data, Float32ToFloat16)
}

// AddBFloat16 adds a BF16 tensor, rounding data to the nearest bfloat16.
func (w *Writer) AddBFloat16(name string, shape []int64, data []float32) {
	w.addHalf(name, BF16, shape, data, Float32ToBFloat16)
}

func (w *Writer) addHalf(name string, dt DType, shape []int64, data []float32, conv func(float32) uint16) {
	b := make([]byte, 2*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint16(b[2*i:], conv(v))
	}
	w.AddRaw(name, dt, shape, b)
}

// AddRaw adds a tensor from little-endian bytes. A size mismatch, unknown
// dtype or duplicate name is reported by WriteTo.
func (w *Writer) AddRaw(name string, dt DType, shape []int64, data []byte) {
	if w.err != nil {
		return
	}
	want, ok := byteSize(shape, dt.Size())
	switch {
	case dt.Size() == 0:
		w.err = fmt.Errorf("safetensors: writer: tensor %q: unknown dtype %q", name, dt)
	case !ok || want != int64(len(data)):
		w.err = fmt.Errorf("safetensors: writer: tensor %q: shape %v of %s needs %d bytes, got %d", name, shape, dt, want, len(data))
	case name == "__metadata__" || w.has(name):
		w.err = fmt.Errorf("safetensors: writer: tensor %q: duplicate or reserved name", name)
	}
	if w.err == nil {
		w.entries = append(w.entries, writerEntry{name, dt, append([]int64(nil), shape...), data})
	}
}

func (w *Writer) has(name string) bool {
	for _, e := range w.entries {
		if e.name == name {
			return true
		}
	}
	return false
}

// header returns the JSON header, padded.
func (w *Writer) header() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	if len(w.Metadata) > 0 {
		m, err := json.Marshal(w.Metadata)
		if err != nil {
			return nil, err
		}
		buf.WriteString(`"__metadata__":`)
		buf.Write(m)
	}
	var off int64
	for i, e := range w.entries {
		if i > 0 || len(w.Metadata) > 0 {
			buf.WriteByte(',')
		}
		name, _ := json.Marshal(e.name)
		shape, _ := json.Marshal(e.shape)
		if e.shape == nil {
			shape = []byte("[]")
		}
		end := off + int64(len(e.data))
		fmt.Fprintf(&buf, `%s:{"dtype":"%s","shape":%s,"data_offsets":[%d,%d]}`, name, e.dtype, shape, off, end)
		off = end
	}
	buf.WriteByte('}')
	buf.WriteString(strings.Repeat(" ", w.HeaderPad))
	return buf.Bytes(), nil
}

// WriteTo writes the whole file to out.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	if w.err != nil {
		return 0, w.err
	}
	h, err := w.header()
	if err != nil {
		return 0, fmt.Errorf("safetensors: writer: %w", err)
	}
	var n8 [8]byte
	binary.LittleEndian.PutUint64(n8[:], uint64(len(h)))
	total := int64(0)
	for _, chunk := range append([][]byte{n8[:], h}, w.datas()...) {
		n, err := out.Write(chunk)
		total += int64(n)
		if err != nil {
			return total, fmt.Errorf("safetensors: writer: %w", err)
		}
	}
	return total, nil
}

func (w *Writer) datas() [][]byte {
	out := make([][]byte, len(w.entries))
	for i, e := range w.entries {
		out[i] = e.data
	}
	return out
}

// WriteFile writes the file to path (mode 0644).
func (w *Writer) WriteFile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("safetensors: writer: %w", err)
	}
	if _, err := w.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("safetensors: writer: %w", err)
	}
	return nil
}
