package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"sync"
	"syscall"
)

// File is an opened, validated safetensors file. Its methods are safe for
// concurrent use; byte slices it returns stay valid until Close.
type File struct {
	Path     string            // as given to Open
	Metadata map[string]string // the "__metadata__" entry, nil when absent

	h      *header
	size   int64
	data   []byte // whole file: mmapped by Open, caller-owned for Parse
	mapped bool

	mu     sync.RWMutex
	closed bool
}

// Open memory-maps path read-only and validates its header and layout.
func Open(path string) (*File, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, &Error{Path: path, Reason: err.Error(), Err: err}
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, &Error{Path: path, Reason: err.Error(), Err: err}
	}
	size := st.Size()
	if !st.Mode().IsRegular() {
		return nil, invalid(path, "", "not a regular file")
	}
	if size < 8 {
		return nil, invalid(path, "", "file is %d bytes, too short for the 8-byte header length", size)
	}
	if int64(int(size)) != size {
		return nil, invalid(path, "", "file of %d bytes is too large to map", size)
	}
	data, err := syscall.Mmap(int(fd.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, &Error{Path: path, Reason: "mmap: " + err.Error(), Err: err}
	}
	f, err := Parse(path, data)
	if err != nil {
		syscall.Munmap(data)
		return nil, err
	}
	f.mapped = true
	return f, nil
}

// Parse validates an in-memory safetensors image; name is used in errors.
// The returned File keeps data (Close does not free it).
func Parse(name string, data []byte) (*File, error) {
	h, err := parseHeader(name, data)
	if err != nil {
		return nil, err
	}
	return &File{Path: name, Metadata: h.metadata, h: h, data: data, size: int64(len(data))}, nil
}

// Close unmaps the file. Slices returned by Bytes become invalid.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	if f.mapped {
		if err := syscall.Munmap(f.data); err != nil {
			return &Error{Path: f.Path, Reason: "munmap: " + err.Error(), Err: err}
		}
	}
	f.data = nil
	return nil
}

// Size is the file size in bytes.
func (f *File) Size() int64 { return f.size }

// HeaderSize is N, the length of the JSON header; data starts at 8+N.
func (f *File) HeaderSize() int64 { return f.h.size }

// Names lists the tensor names in sorted order (without "__metadata__").
func (f *File) Names() []string { return append([]string(nil), f.h.names...) }

// Len is the number of tensors.
func (f *File) Len() int { return len(f.h.names) }

// Tensor returns the location of one tensor.
func (f *File) Tensor(name string) (Tensor, bool) {
	t, ok := f.h.tensors[name]
	if ok {
		t.Shape = append([]int64(nil), t.Shape...)
	}
	return t, ok
}

// Tensors returns every tensor, sorted by name.
func (f *File) Tensors() []Tensor {
	out := make([]Tensor, 0, len(f.h.names))
	for _, n := range f.h.names {
		t, _ := f.Tensor(n)
		out = append(out, t)
	}
	return out
}

// Bytes returns the raw little-endian data of a tensor, aliasing the mapping:
// do not modify it and do not use it after Close.
func (f *File) Bytes(name string) ([]byte, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.bytesLocked(name)
}

func (f *File) bytesLocked(name string) ([]byte, error) {
	if f.closed {
		return nil, &Error{Path: f.Path, Tensor: name, Reason: "file is closed", Err: os.ErrClosed}
	}
	t, ok := f.h.tensors[name]
	if !ok {
		return nil, &Error{Path: f.Path, Tensor: name, Reason: "no such tensor", Err: ErrNotFound}
	}
	return f.data[t.Offset : t.Offset+t.Length : t.Offset+t.Length], nil
}

// Float32 returns a new []float32 holding the tensor converted from F16,
// BF16, F32 or F64.
func (f *File) Float32(name string) ([]float32, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	b, err := f.bytesLocked(name)
	if err != nil {
		return nil, err
	}
	t := f.h.tensors[name]
	out, err := ToFloat32(t.DType, b)
	if err != nil {
		return nil, &Error{Path: f.Path, Tensor: name, Reason: err.Error(), Err: ErrInvalid}
	}
	return out, nil
}

// ToFloat32 converts little-endian raw data of a float dtype to float32.
func ToFloat32(dt DType, b []byte) ([]float32, error) {
	size := dt.Size()
	if !dt.IsFloat() {
		return nil, fmt.Errorf("cannot convert %s to float32", dt)
	}
	if len(b)%size != 0 {
		return nil, fmt.Errorf("%d bytes is not a whole number of %s elements", len(b), dt)
	}
	out := make([]float32, len(b)/size)
	if dt == F16 {
		DecodeFloat16(out, b)
		return out, nil
	}
	le := binary.LittleEndian
	for i := range out {
		p := b[i*size:]
		switch dt {
		case F16:
			out[i] = Float16ToFloat32(le.Uint16(p))
		case BF16:
			out[i] = math.Float32frombits(uint32(le.Uint16(p)) << 16)
		case F32:
			out[i] = math.Float32frombits(le.Uint32(p))
		case F64:
			out[i] = float32(math.Float64frombits(le.Uint64(p)))
		}
	}
	return out, nil
}
