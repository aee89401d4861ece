package graph

import (
	"cmp"
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"sumi/nodes"
	"sumi/pyfmt"
)

// coerce converts a constant to the declared widget type with Python's
// int()/float()/str()/bool() semantics, as ComfyUI's validation does. Other
// types are returned unchanged. A non-empty second result is the Python
// exception text.
func coerce(t nodes.Type, v any) (any, string) {
	switch t {
	case nodes.TypeInt:
		return toInt(v)
	case nodes.TypeFloat:
		return toFloat(v)
	case nodes.TypeString:
		return pyStr(v), ""
	case nodes.TypeBool:
		return truthy(v), ""
	}
	return v, ""
}

func toInt(v any) (any, string) {
	switch x := v.(type) {
	case int64, uint64:
		return x, ""
	case int:
		return int64(x), ""
	case bool:
		if x {
			return int64(1), ""
		}
		return int64(0), ""
	case json.Number:
		if isIntLiteral(string(x)) {
			return parseIntText(string(x), string(x))
		}
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil && !math.IsInf(f, 0) {
			return nil, err.Error()
		}
		return floatToInt(f)
	case float64:
		return floatToInt(x)
	case string:
		s := strings.TrimSpace(x)
		if !validIntText(s) {
			return nil, "invalid literal for int() with base 10: " + pyQuote(x)
		}
		return parseIntText(strings.ReplaceAll(s, "_", ""), x)
	}
	return nil, "int() argument must be a string, a bytes-like object or a real number, not " + pyQuote(pyTypeName(v))
}

// validIntText accepts Python's int() syntax: sign, digits, single
// underscores between digits.
func validIntText(s string) bool {
	s = strings.TrimLeft(s, "+-")
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}

func parseIntText(s, orig string) (any, string) {
	if len(s) > 1 && (s[0] == '+' || s[0] == '-') && (s[1] == '+' || s[1] == '-') {
		return nil, "invalid literal for int() with base 10: " + pyQuote(orig)
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, ""
	}
	if u, err := strconv.ParseUint(strings.TrimPrefix(s, "+"), 10, 64); err == nil {
		return u, ""
	}
	// Python's int is unbounded; ours stops at 64 bits.
	return nil, "int too large to convert: " + orig
}

func floatToInt(f float64) (any, string) {
	switch {
	case math.IsInf(f, 0):
		return nil, "cannot convert float infinity to integer"
	case math.IsNaN(f):
		return nil, "cannot convert float NaN to integer"
	}
	f = math.Trunc(f)
	if f >= -(1<<63) && f < 1<<63 {
		return int64(f), ""
	}
	if f >= 0 && f < 1<<64 {
		return uint64(f), ""
	}
	return nil, "int too large to convert: " + pyFloat(f)
}

func toFloat(v any) (any, string) {
	switch x := v.(type) {
	case float64:
		return x, ""
	case int64:
		return float64(x), ""
	case uint64:
		return float64(x), ""
	case int:
		return float64(x), ""
	case bool:
		if x {
			return 1.0, ""
		}
		return 0.0, ""
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil && !math.IsInf(f, 0) {
			return nil, err.Error()
		}
		return f, ""
	case string:
		if f, ok := pyfmt.ParseFloat(x); ok {
			return f, ""
		}
		return nil, "could not convert string to float: " + pyQuote(x)
	}
	return nil, "float() argument must be a string or a real number, not " + pyQuote(pyTypeName(v))
}

// truthy is Python's bool(v).
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case json.Number:
		f, err := x.Float64()
		return err != nil || f != 0
	case int64:
		return x != 0
	case uint64:
		return x != 0
	case int:
		return x != 0
	case float64:
		return x != 0
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

// compareBound compares a coerced INT/FLOAT constant with a min or max
// bound: -1, 0 or 1. NaN compares equal to everything, so, as in Python, it
// passes both checks.
func compareBound(v any, bound float64) int {
	switch x := v.(type) {
	case int64:
		if bound == math.Trunc(bound) && bound >= -(1<<63) && bound < 1<<63 {
			return cmp.Compare(x, int64(bound))
		}
		return compareFloat(float64(x), bound)
	case uint64:
		if bound == math.Trunc(bound) && bound >= 0 && bound < 1<<64 {
			return cmp.Compare(x, uint64(bound))
		}
		return compareFloat(float64(x), bound)
	case float64:
		return compareFloat(x, bound)
	}
	return 0
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
