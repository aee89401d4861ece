package nodes

import (
	"testing"
)

func TestRegisterPanics(t *testing.T) {
	ok := Spec{Name: "A", Run: noRun}
	tests := []struct {
		name string
		spec Spec
	}{
		{"no name", Spec{Run: noRun}},
		{"no run", Spec{Name: "B"}},
		{"duplicate", ok},
		{"duplicate input", Spec{Name: "C", Run: noRun, Inputs: []Input{Int("x", 0), Float("x", 0)}}},
		{"combo without choices", Spec{Name: "D", Run: noRun, Inputs: []Input{{Name: "c", Type: TypeCombo}}}},
		{"input without type", Spec{Name: "E", Run: noRun, Inputs: []Input{{Name: "c"}}}},
		{"output without type", Spec{Name: "F", Run: noRun, Outputs: []Output{{}}}},
		{"unknown validated input", Spec{Name: "G", Run: noRun, ValidateInputs: []string{"nope"}}},
	}
	r := NewRegistry()
	r.Register(ok)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Register did not panic")
				}
			}()
			r.Register(tc.spec)
		})
	}
	if got := len(r.List()); got != 1 {
		t.Errorf("registry has %d specs after failed registrations, want 1", got)
	}
	if _, found := r.Get("A"); !found {
		t.Errorf("Get(A) not found")
	}
}

func TestWidgets(t *testing.T) {
	specs := testSpecs()
	tests := []struct {
		spec Spec
		want []Widget
	}{
		{specs[2], []Widget{{"seed", false}, {"control_after_generate", true}, {"steps", false}, {"cfg", false},
			{"sampler_name", false}, {"scheduler", false}, {"denoise", false}}},
		{specs[3], []Widget{{"image", false}, {"upload", true}}},
		{specs[1], []Widget{{"filename_prefix", false}}},
		{Spec{Name: "X", Inputs: []Input{Int("a", 0).Optional(), Int("b", 0).ForceInput(), Int("c", 0)}}, []Widget{{"c", false}, {"a", false}}},
	}
	for _, tc := range tests {
		got := tc.spec.Widgets()
		if len(got) != len(tc.want) {
			t.Errorf("%s: got %v want %v", tc.spec.Name, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: got %v want %v", tc.spec.Name, got, tc.want)
				break
			}
		}
	}
}

func TestSplitUI(t *testing.T) {
	ui := UI{"images": []ImageRef{}}
	if out, u, err := SplitUI([]any{1, ui}, 1); err != nil || len(out) != 1 || u == nil {
		t.Errorf("trailing UI: %v %v %v", out, u, err)
	}
	if _, _, err := SplitUI([]any{1, 2}, 1); err == nil {
		t.Errorf("non-UI trailing value accepted")
	}
	if _, _, err := SplitUI([]any{}, 1); err == nil {
		t.Errorf("missing output accepted")
	}
}
