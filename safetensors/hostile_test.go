package safetensors

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// file assembles header JSON and data with a correct length prefix.
func file(header string, data int) []byte {
	b := make([]byte, 8, 8+len(header)+data)
	binary.LittleEndian.PutUint64(b, uint64(len(header)))
	return append(append(b, header...), make([]byte, data)...)
}

func withLength(n uint64, rest string) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, n)
	return append(b, rest...)
}

var hostile = []struct {
	name, want string
	data       []byte
}{
	{"empty", "too short", nil},
	{"7 bytes", "too short", []byte{1, 2, 3, 4, 5, 6, 7}},
	{"header longer than file", "past the end", withLength(100, `{}`)},
	{"4 GB header length", "limit", withLength(4<<30, `{}`)},
	{"max uint64 header length", "limit", withLength(^uint64(0), `{}`)},
	{"header length 0", "too short", withLength(0, "")},
	{"not an object", "'{'", file(`[1,2]`, 0)},
	{"bad json", "JSON", file(`{"a":`, 0)},
	{"trailing garbage", "trailing", file(`{}xx`, 0)},
	{"invalid utf8", "UTF-8", file("{\"\xff\":1}", 0)},
	{"offsets past end", "truncated", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 4)},
	{"overlapping", "overlaps", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8)},
	{"gap", "gap", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8)},
	{"uncovered tail", "not described", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 9)},
	{"shape size mismatch", "needs 12 bytes", file(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, 8)},
	{"unknown dtype", "dtype", file(`{"a":{"dtype":"F17","shape":[1],"data_offsets":[0,4]}}`, 4)},
	{"sub-byte dtype", "dtype", file(`{"a":{"dtype":"F4","shape":[2],"data_offsets":[0,1]}}`, 1)},
	{"negative dim", "negative", file(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4)},
	{"overflowing shape", "too large", file(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, 4)},
	{"reversed offsets", "begin <= end", file(`{"a":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}`, 4)},
	{"three offsets", "begin, end", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}}`, 1)},
	{"missing shape", "needs dtype", file(`{"a":{"dtype":"U8","data_offsets":[0,1]}}`, 1)},
	{"float offsets", "bad entry", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1.5]}}`, 1)},
	{"duplicate tensor", "duplicate", file(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, 2)},
	{"metadata not strings", "__metadata__", file(`{"__metadata__":{"a":1}}`, 0)},
	{"entry not an object", "bad entry", file(`{"a":3}`, 0)},
}

func TestHostile(t *testing.T) {
	for _, tc := range hostile {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("evil.safetensors", tc.data)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse = %v, want ErrInvalid", err)
			}
			if msg := err.Error(); !strings.Contains(msg, "evil.safetensors") || !strings.Contains(msg, tc.want) {
				t.Fatalf("error %q should name the file and say %q", msg, tc.want)
			}
		})
	}
}

func TestValidEdgeCases(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty object":         file(`{}`, 0),
		"space padded header":  file(`{}      `, 0),
		"metadata only":        file(`{"__metadata__":{"k":"v"}}`, 0),
		"zero-size tensors":    file(`{"a":{"dtype":"F16","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}`, 2),
		"scalar":               file(`{"s":{"dtype":"F64","shape":[],"data_offsets":[0,8]}}`, 8),
		"out-of-order entries": file(`{"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, 2),
		"unknown extra field":  file(`{"a":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1],"x":1}}`, 1),
	} {
		if _, err := Parse(name, data); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzParse: no input may panic, and anything accepted must describe
// tensors that lie inside the data and can be read back.
func FuzzParse(f *testing.F) {
	for _, tc := range hostile {
		f.Add(tc.data)
	}
	f.Add(file(`{"__metadata__":{"k":"v"},"a":{"dtype":"F16","shape":[2,1],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]}}`, 6))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := Parse("fuzz", data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error not wrapping ErrInvalid: %v", err)
			}
			return
		}
		for _, tt := range st.Tensors() {
			if tt.Offset < 8+st.HeaderSize() || tt.Offset+tt.Length > int64(len(data)) {
				t.Fatalf("%v outside the data", tt)
			}
			b, err := st.Bytes(tt.Name)
			if err != nil || int64(len(b)) != tt.Length {
				t.Fatalf("Bytes(%s) = %d bytes, %v", tt.Name, len(b), err)
			}
			if tt.DType.IsFloat() {
				if v, err := st.Float32(tt.Name); err != nil || int64(len(v)) != tt.NumElements() {
					t.Fatalf("Float32(%s): %d values, %v", tt.Name, len(v), err)
				}
			}
		}
	})
}
