package graph

import (
	"encoding/json"
	"math"
	"testing"

	"sumi/nodes"
)

func TestPyFloat(t *testing.T) {
	tests := map[float64]string{
		1: "1.0", 0.5: "0.5", 0.4999999999999999: "0.4999999999999999", 1e16: "1e+16",
		123456789012345.0: "123456789012345.0", 1e-5: "1e-05", 0.0001: "0.0001", -2.5: "-2.5", 0: "0.0",
	}
	for f, want := range tests {
		if got := pyFloat(f); got != want {
			t.Errorf("pyFloat(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestCoerce(t *testing.T) {
	tests := []struct {
		typ  nodes.Type
		in   any
		want any
		err  string
	}{
		{nodes.TypeInt, json.Number("7"), int64(7), ""},
		{nodes.TypeInt, json.Number("64.7"), int64(64), ""},
		{nodes.TypeInt, json.Number("-64.7"), int64(-64), ""},
		{nodes.TypeInt, json.Number("18446744073709551615"), uint64(18446744073709551615), ""},
		{nodes.TypeInt, " 1_000 ", int64(1000), ""},
		{nodes.TypeInt, "+5", int64(5), ""},
		{nodes.TypeInt, "1__0", nil, "invalid literal for int() with base 10: '1__0'"},
		{nodes.TypeInt, "", nil, "invalid literal for int() with base 10: ''"},
		{nodes.TypeInt, map[string]any{}, nil, "int() argument must be a string, a bytes-like object or a real number, not 'dict'"},
		{nodes.TypeFloat, "1e3", 1000.0, ""},
		{nodes.TypeFloat, " inf ", posInf, ""},
		{nodes.TypeFloat, "0x10", nil, "could not convert string to float: '0x10'"},
		{nodes.TypeFloat, true, 1.0, ""},
		{nodes.TypeString, json.Number("5.0"), "5.0", ""},
		{nodes.TypeString, json.Number("1e3"), "1000.0", ""},
		{nodes.TypeString, false, "False", ""},
		{nodes.TypeString, nil, "None", ""},
		{nodes.TypeBool, "", false, ""},
		{nodes.TypeBool, "false", true, ""},
		{nodes.TypeBool, json.Number("0.0"), false, ""},
		{nodes.TypeBool, []any{}, false, ""},
	}
	for _, tc := range tests {
		got, err := coerce(tc.typ, tc.in)
		if err != tc.err || (err == "" && got != tc.want) {
			t.Errorf("coerce(%s, %#v) = %#v, %q; want %#v, %q", tc.typ, tc.in, got, err, tc.want, tc.err)
		}
	}
}

var posInf = math.Inf(1)
