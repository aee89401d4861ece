package pyfmt

import (
	"math"
	"testing"
)

func TestFloat(t *testing.T) {
	// Expected strings are what CPython 3 prints for repr(f), with
	// json.dumps's spelling of the non-finite values.
	tests := []struct {
		f    float64
		want string
	}{
		{8, "8.0"},
		{1, "1.0"},
		{0, "0.0"},
		{0.1, "0.1"},
		{0.5, "0.5"},
		{2.5, "2.5"},
		{oneOne * oneOne, "1.2100000000000002"},
		{1e-05, "1e-05"},
		{1.5e-07, "1.5e-07"},
		{-2.5e-7, "-2.5e-07"},
		{0.0001, "0.0001"},
		{123456.789, "123456.789"},
		{1e15, "1000000000000000.0"},
		{1e16, "1e+16"},
		{1.5e16, "1.5e+16"},
		{1e22, "1e+22"},
		{123456789012345678, "1.2345678901234568e+17"},
		{123456789, "123456789.0"},
		{math.Copysign(0, -1), "-0.0"},
		{5e-324, "5e-324"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{0.8700000000000001, "0.8700000000000001"},
		{0.4999999999999999, "0.4999999999999999"},
		{math.Inf(1), "Infinity"},
		{math.Inf(-1), "-Infinity"},
		{math.NaN(), "NaN"},
	}
	for _, tc := range tests {
		if got := Float(tc.f); got != tc.want {
			t.Errorf("Float(%v) = %q, want %q", tc.f, got, tc.want)
		}
	}
}

// oneOne is a variable so that oneOne*oneOne is rounded at run time as in
// Python; the Go constant expression 1.1*1.1 would be exactly 1.21.
var oneOne = 1.1

func TestParseFloat(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"1.2", 1.2, true}, {" 0.7", 0.7, true}, {"0.7\n", 0.7, true}, {"+1", 1, true}, {"-1.5e3", -1500, true},
		{".5", 0.5, true}, {"5.", 5, true}, {"1.e2", 100, true}, {"1_000.5", 1000.5, true}, {"1e1_0", 1e10, true},
		{"inf", math.Inf(1), true}, {"-Infinity", math.Inf(-1), true}, {"1e999", math.Inf(1), true},
		{"1e-999", 0, true}, {"١٫٥", 0, false}, {"١٢", 12, true}, {"\u00a01.5\u3000", 1.5, true},
		{"", 0, false}, {" ", 0, false}, {"abc", 0, false}, {"1__0", 0, false}, {"_1", 0, false},
		{"1_", 0, false}, {"1_.5", 0, false}, {"0x10", 0, false}, {"1e", 0, false}, {".", 0, false},
		{"e5", 0, false}, {"1.5.5", 0, false}, {"infinit", 0, false}, {"1 5", 0, false}, {"\x001", 0, false},
		{"+-1", 0, false}, {"1e+", 0, false}, {"\x1c1", 0, false},
	}
	for _, tc := range tests {
		got, ok := ParseFloat(tc.in)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("ParseFloat(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	if f, ok := ParseFloat("-nan"); !ok || !math.IsNaN(f) {
		t.Errorf("ParseFloat(-nan) = %v, %v", f, ok)
	}
}

func TestIsSpace(t *testing.T) {
	tests := []struct {
		r    rune
		want bool
	}{
		{' ', true}, {'\t', true}, {'\r', true}, {0x1C, true}, {0x85, true}, {0xA0, true},
		{0x2000, true}, {0x3000, true}, {'a', false}, {0x200B, false}, {0xFEFF, false}, {'_', false},
	}
	for _, tc := range tests {
		if got := IsSpace(tc.r); got != tc.want {
			t.Errorf("IsSpace(%U) = %v, want %v", tc.r, got, tc.want)
		}
	}
}

// FuzzParseFloat checks that any text parses without panicking and that
// every finite value Float writes reads back as the same number.
func FuzzParseFloat(f *testing.F) {
	for _, s := range []string{"1.5", " -1_0e-3 ", "nan", "١٢", "0x10", "1e999", "_", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := ParseFloat(s)
		if !ok || math.IsInf(v, 0) || math.IsNaN(v) {
			return
		}
		back, ok := ParseFloat(Float(v))
		if !ok || back != v {
			t.Fatalf("ParseFloat(Float(%v)) = %v, %v", v, back, ok)
		}
	})
}
