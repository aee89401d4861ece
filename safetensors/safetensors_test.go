package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sample writes a file with every float dtype, metadata and an odd header
// pad (so tensors sit at unaligned offsets).
func sample(t *testing.T) string {
	t.Helper()
	w := &Writer{Metadata: map[string]string{"format": "pt", "note": "x"}, HeaderPad: 5}
	w.AddFloat32("b.f32", []int64{2, 2}, []float32{1, -2, 3.5, 1e-3})
	w.AddFloat16("a.f16", []int64{3}, []float32{0.5, -65504, 1e-7})
	w.AddBFloat16("c.bf16", []int64{1, 2}, []float32{1.5, -3})
	f64 := make([]byte, 16)
	binary.LittleEndian.PutUint64(f64, math.Float64bits(2.25))
	binary.LittleEndian.PutUint64(f64[8:], math.Float64bits(-1))
	w.AddRaw("d.f64", F64, []int64{2}, f64)
	w.AddRaw("e.i64", I64, []int64{1}, make([]byte, 8))
	w.AddRaw("f.scalar", F32, []int64{}, []byte{0, 0, 0x80, 0x3f})
	w.AddRaw("g.empty", F16, []int64{0, 4}, nil)
	path := filepath.Join(t.TempDir(), "s.safetensors")
	if err := w.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRoundTrip(t *testing.T) {
	f, err := Open(sample(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	wantNames := []string{"a.f16", "b.f32", "c.bf16", "d.f64", "e.i64", "f.scalar", "g.empty"}
	if !slices.Equal(f.Names(), wantNames) {
		t.Fatalf("Names = %v", f.Names())
	}
	if f.Metadata["format"] != "pt" || f.Metadata["note"] != "x" {
		t.Errorf("Metadata = %v", f.Metadata)
	}
	cases := []struct {
		name string
		want []float32
	}{
		{"b.f32", []float32{1, -2, 3.5, 1e-3}},
		{"a.f16", []float32{0.5, -65504, Float16ToFloat32(Float32ToFloat16(1e-7))}},
		{"c.bf16", []float32{1.5, -3}},
		{"d.f64", []float32{2.25, -1}},
		{"f.scalar", []float32{1}},
		{"g.empty", []float32{}},
	}
	for _, tc := range cases {
		got, err := f.Float32(tc.name)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("Float32(%s) = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	tt, _ := f.Tensor("b.f32")
	raw, _ := f.Bytes("b.f32")
	file, _ := os.ReadFile(f.Path)
	if !bytes.Equal(file[tt.Offset:tt.Offset+tt.Length], raw) || tt.Offset != 8+f.HeaderSize()+0 && tt.Offset%4 == 0 {
		t.Errorf("Offset %d does not address the tensor's bytes in the file", tt.Offset)
	}
	if _, err := f.Float32("e.i64"); err == nil {
		t.Error("I64 converted to float32")
	}
	if _, err := f.Bytes("zzz"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing tensor: %v", err)
	}
	f.Close()
	if _, err := f.Bytes("b.f32"); err == nil {
		t.Error("Bytes after Close succeeded")
	}
}

// TestOffsetsAreAbsolute: Offset = 8 + N + begin, for an unaligned layout.
func TestOffsetsAreAbsolute(t *testing.T) {
	w := &Writer{HeaderPad: 1}
	w.AddRaw("a", U8, []int64{3}, []byte{7, 8, 9})
	w.AddFloat32("b", []int64{1}, []float32{42})
	var buf bytes.Buffer
	w.WriteTo(&buf)
	f, err := Parse("mem", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := f.Tensor("b")
	if b.Offset != 8+f.HeaderSize()+3 || b.Length != 4 {
		t.Fatalf("b at %d+%d, header %d", b.Offset, b.Length, f.HeaderSize())
	}
	if got := math.Float32frombits(binary.LittleEndian.Uint32(buf.Bytes()[b.Offset:])); got != 42 {
		t.Fatalf("value at Offset = %v", got)
	}
}

func TestWriterErrors(t *testing.T) {
	for name, add := range map[string]func(w *Writer){
		"size mismatch": func(w *Writer) { w.AddFloat32("a", []int64{3}, []float32{1, 2}) },
		"unknown dtype": func(w *Writer) { w.AddRaw("a", "Q7", []int64{1}, []byte{0}) },
		"duplicate":     func(w *Writer) { w.AddFloat32("a", nil, []float32{1}); w.AddFloat32("a", nil, []float32{1}) },
		"reserved":      func(w *Writer) { w.AddFloat32("__metadata__", nil, []float32{1}) },
	} {
		w := &Writer{}
		add(w)
		if _, err := w.WriteTo(&bytes.Buffer{}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "missing.safetensors")); err == nil || !strings.Contains(err.Error(), "missing.safetensors") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Open(dir); !errors.Is(err, ErrInvalid) {
		t.Errorf("directory: %v", err)
	}
	// A download cut short: the header promises more data than the file has.
	data, _ := os.ReadFile(sample(t))
	cut := filepath.Join(dir, "cut.safetensors")
	os.WriteFile(cut, data[:len(data)-3], 0o644)
	_, err := Open(cut)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), cut) || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated file: %v", err)
	}
}
