// Package pyfmt reproduces how CPython writes and reads floats, so that text
// sumi shares with ComfyUI (PNG metadata, prompt weights, validation
// messages) comes out byte for byte the same.
package pyfmt

import (
	"math"
	"strconv"
	"strings"
)

// Float formats f as Python's repr(float) and json.dumps do: the shortest
// string that round-trips, always with a "." or an exponent, exponent form
// below 1e-4 and from 1e16 on, and NaN, Infinity and -Infinity spelt as
// json.dumps spells them (repr writes nan, inf and -inf; callers that need
// those check first).
func Float(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // e.g. "-1.2345e+17"
	_, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	if exp < -4 || exp >= 16 {
		return e // Go, like Python, writes at least two exponent digits
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}
