package pngmeta

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"

	"sumi/pyfmt"
)

// PythonJSON re-serializes a JSON document the way Python's json.dumps with
// default arguments writes the value json.loads would read from it. ComfyUI
// stores its PNG metadata that way: separators ", " and ": ", pure ASCII
// (everything else escaped as lowercase \uXXXX, astral runes as surrogate
// pairs), object keys in document order, integers verbatim and every number
// with a fraction or exponent printed as a Python float repr ("8.0",
// "0.8700000000000001", "1e-05"). Callers wanting FLOAT inputs to print as
// "8.0" must hand in 8.0 (ComfyUI coerces them during validation).
func PythonJSON(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out bytes.Buffer
	if err := pyValue(dec, &out, 0); err != nil {
		return nil, fmt.Errorf("pngmeta: json: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("pngmeta: json: trailing data after value")
	}
	return out.Bytes(), nil
}

// maxDepth matches encoding/json's nesting limit, so anything that parsed
// elsewhere can be re-serialized here without unbounded recursion.
const maxDepth = 10000

func pyValue(dec *json.Decoder, out *bytes.Buffer, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("nesting deeper than %d", maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case json.Delim:
		return pyContainer(dec, out, v, depth)
	case string:
		writePyString(out, v)
	case json.Number:
		out.WriteString(pyNumber(v))
	case bool:
		out.WriteString(map[bool]string{true: "true", false: "false"}[v])
	case nil:
		out.WriteString("null")
	}
	return nil
}

func pyContainer(dec *json.Decoder, out *bytes.Buffer, open json.Delim, depth int) error {
	isObj := open == '{'
	out.WriteByte(byte(open))
	for i := 0; dec.More(); i++ {
		if i > 0 {
			out.WriteString(", ")
		}
		if isObj {
			key, err := dec.Token()
			if err != nil {
				return err
			}
			writePyString(out, key.(string))
			out.WriteString(": ")
		}
		if err := pyValue(dec, out, depth+1); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // closing delimiter
		return err
	}
	if isObj {
		out.WriteByte('}')
	} else {
		out.WriteByte(']')
	}
	return nil
}

// pyNumber prints a JSON number literal as Python would after json.loads:
// integer literals stay integers, the rest become floats.
func pyNumber(n json.Number) string {
	s := n.String()
	if !strings.ContainsAny(s, ".eE") {
		if s == "-0" {
			return "0"
		}
		return s
	}
	f, _ := strconv.ParseFloat(s, 64) // out of range gives ±Inf, as in Python
	return pyfmt.Float(f)
}

func writePyString(out *bytes.Buffer, s string) {
	out.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			out.WriteString(`\"`)
		case r == '\\':
			out.WriteString(`\\`)
		case r == '\n':
			out.WriteString(`\n`)
		case r == '\r':
			out.WriteString(`\r`)
		case r == '\t':
			out.WriteString(`\t`)
		case r == '\b':
			out.WriteString(`\b`)
		case r == '\f':
			out.WriteString(`\f`)
		case r >= 0x20 && r <= 0x7e:
			out.WriteByte(byte(r))
		case r > 0xFFFF:
			hi, lo := utf16.EncodeRune(r)
			fmt.Fprintf(out, `\u%04x\u%04x`, hi, lo)
		default:
			fmt.Fprintf(out, `\u%04x`, r)
		}
	}
	out.WriteByte('"')
}
