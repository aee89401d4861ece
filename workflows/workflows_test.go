package workflows

import (
	"encoding/json"
	"testing"
)

func TestEveryWorkflowHasBothFormats(t *testing.T) {
	names := Names()
	if len(names) < 4 {
		t.Fatalf("want at least 4 workflows, have %v", names)
	}
	for _, n := range names {
		for _, suffix := range []string{".ui.json", ".api.json"} {
			b, err := Read(n + suffix)
			if err != nil {
				t.Fatalf("%s%s: %v", n, suffix, err)
			}
			var v map[string]any
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatalf("%s%s: %v", n, suffix, err)
			}
		}
	}
	if _, err := Read(DefaultUI); err != nil {
		t.Fatalf("default workflow: %v", err)
	}
}
