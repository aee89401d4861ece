package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"sort"
	"unicode/utf8"
)

// MaxHeaderSize bounds the JSON header (the reference implementation uses the
// same 100 MB limit); a larger declared length is rejected before anything is
// read or allocated. The real SDXL header is about 200 KB.
const MaxHeaderSize = 100 << 20

// Tensor locates one tensor inside a file.
type Tensor struct {
	Name   string
	DType  DType
	Shape  []int64
	Offset int64 // absolute file offset of the first byte (8 + N + begin)
	Length int64 // number of data bytes
}

// NumElements is the product of Shape (1 for a scalar).
func (t Tensor) NumElements() int64 {
	n := int64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// header is the parsed and validated JSON header.
type header struct {
	size      int64 // N, the JSON length
	metadata  map[string]string
	tensors   map[string]Tensor
	names     []string // sorted
	dataStart int64
}

type rawInfo struct {
	DType       *string  `json:"dtype"`
	Shape       *[]int64 `json:"shape"`
	DataOffsets *[]int64 `json:"data_offsets"`
}

// parseHeader validates the framing, the JSON and every tensor against a file
// of fileSize bytes whose first bytes are prefix (at least 8 + N of them).
func parseHeader(path string, data []byte) (*header, error) {
	fileSize := int64(len(data))
	if fileSize < 8 {
		return nil, invalid(path, "", "file is %d bytes, too short for the 8-byte header length", fileSize)
	}
	n := binary.LittleEndian.Uint64(data[:8])
	if n > MaxHeaderSize {
		return nil, invalid(path, "", "header length %d is larger than the %d-byte limit", n, MaxHeaderSize)
	}
	if int64(n) > fileSize-8 {
		return nil, invalid(path, "", "header length %d runs past the end of the %d-byte file (truncated?)", n, fileSize)
	}
	if n < 2 {
		return nil, invalid(path, "", "header length %d is too short for a JSON object", n)
	}
	js := data[8 : 8+n]
	if js[0] != '{' {
		return nil, invalid(path, "", "header does not start with '{'")
	}
	if !utf8.Valid(js) {
		return nil, invalid(path, "", "header is not valid UTF-8")
	}
	h := &header{size: int64(n), dataStart: 8 + int64(n), tensors: map[string]Tensor{}}
	if err := h.decode(path, js); err != nil {
		return nil, err
	}
	if err := h.checkLayout(path, fileSize-h.dataStart); err != nil {
		return nil, err
	}
	return h, nil
}

// decode reads the top-level object entry by entry so duplicate names are
// caught (encoding/json into a map would silently keep the last one).
func (h *header) decode(path string, js []byte) error {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return invalid(path, "", "header JSON: %v", err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return invalid(path, "", "header JSON: %v", err)
		}
		name, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return invalid(path, name, "header JSON: %v", err)
		}
		if err := h.addEntry(path, name, raw); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return invalid(path, "", "header JSON: %v", err)
	}
	if rest := bytes.TrimRight(js[dec.InputOffset():], " \t\r\n\x00"); len(rest) != 0 {
		return invalid(path, "", "header has %d bytes of trailing garbage after the JSON object", len(rest))
	}
	sort.Strings(h.names)
	return nil
}

func (h *header) addEntry(path, name string, raw json.RawMessage) error {
	if name == "__metadata__" {
		if h.metadata != nil {
			return invalid(path, "", "duplicate __metadata__")
		}
		h.metadata = map[string]string{}
		if err := json.Unmarshal(raw, &h.metadata); err != nil {
			return invalid(path, "", "__metadata__ must map strings to strings: %v", err)
		}
		return nil
	}
	if _, dup := h.tensors[name]; dup {
		return invalid(path, name, "duplicate tensor name")
	}
	t, err := tensorFromJSON(path, name, raw)
	if err != nil {
		return err
	}
	h.tensors[name] = t
	h.names = append(h.names, name)
	return nil
}

// tensorFromJSON validates one entry; Offset is relative to the data section
// until checkLayout has checked it against the file.
func tensorFromJSON(path, name string, raw json.RawMessage) (Tensor, error) {
	var ri rawInfo
	if err := json.Unmarshal(raw, &ri); err != nil {
		return Tensor{}, invalid(path, name, "bad entry: %v", err)
	}
	if ri.DType == nil || ri.Shape == nil || ri.DataOffsets == nil {
		return Tensor{}, invalid(path, name, "entry needs dtype, shape and data_offsets")
	}
	dt := DType(*ri.DType)
	if dt.Size() == 0 {
		return Tensor{}, invalid(path, name, "unknown or unsupported dtype %q", *ri.DType)
	}
	offs := *ri.DataOffsets
	if len(offs) != 2 || offs[0] < 0 || offs[1] < offs[0] {
		return Tensor{}, invalid(path, name, "data_offsets %v must be [begin, end] with 0 <= begin <= end", offs)
	}
	want, ok := byteSize(*ri.Shape, dt.Size())
	if !ok {
		return Tensor{}, invalid(path, name, "shape %v is negative or too large", *ri.Shape)
	}
	if got := offs[1] - offs[0]; got != want {
		return Tensor{}, invalid(path, name, "shape %v of %s needs %d bytes but data_offsets %v span %d", *ri.Shape, dt, want, offs, got)
	}
	return Tensor{Name: name, DType: dt, Shape: *ri.Shape, Offset: offs[0], Length: want}, nil
}

// byteSize multiplies out a shape with overflow checks.
func byteSize(shape []int64, elem int) (int64, bool) {
	n := uint64(elem)
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 || lo > math.MaxInt64 {
			return 0, false
		}
		n = lo
	}
	return int64(n), true
}

// checkLayout requires the tensors to tile the data section exactly: no
// overlap, no gap and nothing past the end, as the reference reader does.
// It then turns the relative offsets into absolute file offsets.
func (h *header) checkLayout(path string, dataLen int64) error {
	order := append([]string(nil), h.names...)
	sort.SliceStable(order, func(i, j int) bool {
		a, b := h.tensors[order[i]], h.tensors[order[j]]
		if a.Offset != b.Offset {
			return a.Offset < b.Offset
		}
		return a.Length < b.Length
	})
	var end int64
	for _, name := range order {
		t := h.tensors[name]
		switch {
		case t.Offset < end:
			return invalid(path, name, "data [%d, %d) overlaps the previous tensor, which ends at %d", t.Offset, t.Offset+t.Length, end)
		case t.Offset > end:
			return invalid(path, name, "gap of %d bytes before its data at %d", t.Offset-end, t.Offset)
		case t.Offset+t.Length > dataLen:
			return invalid(path, name, "data ends at byte %d of the data section, but the file holds only %d bytes after the header (truncated?)", t.Offset+t.Length, dataLen)
		}
		end = t.Offset + t.Length
		t.Offset += h.dataStart
		h.tensors[name] = t
	}
	if end != dataLen {
		return invalid(path, "", "%d bytes after the last tensor's data are not described by the header", dataLen-end)
	}
	return nil
}

// String formats a tensor as "name F16 [320 4 3 3] @offset+length".
func (t Tensor) String() string {
	return fmt.Sprintf("%s %s %v @%d+%d", t.Name, t.DType, t.Shape, t.Offset, t.Length)
}
