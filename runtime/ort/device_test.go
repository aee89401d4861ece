package ort

import "testing"

func TestParseDevice(t *testing.T) {
	good := map[string]Device{"cpu": {Provider: CPU}, "cuda": {Provider: CUDA}, "cuda:3": {Provider: CUDA, ID: 3}}
	for s, want := range good {
		d, err := ParseDevice(s)
		if err != nil || d != want {
			t.Errorf("ParseDevice(%q) = %+v, %v; want %+v", s, d, err, want)
		}
	}
	if d, _ := ParseDevice("cuda"); d.Name() != "cuda:0" {
		t.Errorf("cuda names itself %q", d.Name())
	}
	for _, s := range []string{"", "gpu", "cuda:", "cuda:-1", "cuda:x", "CPU"} {
		if _, err := ParseDevice(s); err == nil {
			t.Errorf("ParseDevice(%q) accepted", s)
		}
	}
}
