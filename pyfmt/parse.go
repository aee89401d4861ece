package pyfmt

import (
	"math"
	"strconv"
	"strings"
	"unicode"
)

// ParseFloat accepts exactly what Python's float(str) accepts: surrounding
// whitespace, Unicode decimal digits, "_" between digits, inf/infinity/nan
// with an optional sign, and no hexadecimal.
func ParseFloat(s string) (float64, bool) {
	ascii, ok := pyASCII(s)
	if !ok {
		return 0, false
	}
	t := strings.Trim(ascii, " \t\n\v\f\r")
	t, ok = stripUnderscores(t)
	if !ok || t == "" {
		return 0, false
	}
	body, neg := t, false
	if body[0] == '+' || body[0] == '-' {
		body, neg = body[1:], body[0] == '-'
	}
	switch strings.ToLower(body) {
	case "inf", "infinity":
		if neg {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	case "nan":
		return math.NaN(), true
	}
	if !isDecimalFloat(body) {
		return 0, false
	}
	// Out-of-range values come back as ±Inf or 0 with ErrRange, which is
	// what Python returns too.
	f, _ := strconv.ParseFloat(t, 64)
	return f, true
}

// pyASCII maps Unicode whitespace to ' ' and Unicode decimal digits to ASCII,
// as CPython does before parsing a number; any other non-ASCII rune (and
// DEL) makes the text invalid.
func pyASCII(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x7F:
			b.WriteRune(r)
		case IsSpace(r):
			b.WriteByte(' ')
		default:
			d := decimalValue(r)
			if d < 0 {
				return "", false
			}
			b.WriteByte(byte('0' + d))
		}
	}
	return b.String(), true
}

// decimalValue is the decimal digit value of an Nd rune, or -1. Unicode
// keeps every Nd digit in a contiguous run that starts at zero.
func decimalValue(r rune) int {
	if !unicode.IsDigit(r) {
		return -1
	}
	for _, rg := range unicode.Nd.R16 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
			return int(r-rune(rg.Lo)) % 10
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
			return int(r-rune(rg.Lo)) % 10
		}
	}
	return -1
}

// stripUnderscores removes "_" that sit between two ASCII digits and
// rejects any other underscore.
func stripUnderscores(s string) (string, bool) {
	if !strings.Contains(s, "_") {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '_' {
			b.WriteByte(s[i])
			continue
		}
		if i == 0 || i == len(s)-1 || !isDigit(s[i-1]) || !isDigit(s[i+1]) {
			return "", false
		}
	}
	return b.String(), true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isDecimalFloat checks digits [. digits] [e [sign] digits] with at least
// one mantissa digit, the unsigned decimal grammar of Python floats.
func isDecimalFloat(s string) bool {
	i, mant := 0, 0
	for i < len(s) && isDigit(s[i]) {
		i, mant = i+1, mant+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i, mant = i+1, mant+1
		}
	}
	if mant == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && isDigit(s[i]) {
			i, exp = i+1, exp+1
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// IsSpace is Python's str.isspace for one character, which str.split and
// float() use.
func IsSpace(r rune) bool {
	switch {
	case r >= '\t' && r <= '\r', r >= 0x1C && r <= 0x20, r == 0x85, r == 0xA0, r == 0x1680:
		return true
	case r >= 0x2000 && r <= 0x200A, r == 0x2028, r == 0x2029, r == 0x202F, r == 0x205F, r == 0x3000:
		return true
	}
	return false
}
