package tokenizer

import (
	"math"
	"testing"
)

// TestEncoderLayoutJSON pins the byte layout: Python float reprs for
// weights, json.dumps's NaN and Infinity, no spaces, empty rows kept.
func TestEncoderLayoutJSON(t *testing.T) {
	tests := []struct {
		name string
		in   EncoderLayout
		want string
	}{
		{"empty", EncoderLayout{}, `{"ids":[],"weights":[]}`},
		{"rows", EncoderLayout{IDs: [][]int{{49406, 320}, {}}, Weights: [][]float64{{1, up * up}, {}}},
			`{"ids":[[49406,320],[]],"weights":[[1.0,1.2100000000000002],[]]}`},
		{"non-finite", EncoderLayout{IDs: [][]int{{1}}, Weights: [][]float64{{math.NaN(), math.Inf(-1)}}},
			`{"ids":[[1]],"weights":[[NaN,-Infinity]]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.in.MarshalJSON()
			if err != nil || string(b) != tc.want {
				t.Errorf("MarshalJSON = %s, %v; want %s", b, err, tc.want)
			}
		})
	}
}
