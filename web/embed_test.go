package web

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// The committed build must be complete: index.html and every asset it
// references must be embedded, and no source maps shipped.
func TestAssetsServeIndexAndItsAssets(t *testing.T) {
	a := Assets()
	index, err := fs.ReadFile(a, "index.html")
	if err != nil {
		t.Fatalf("index.html: %v", err)
	}
	refs := regexp.MustCompile(`(?:src|href)="\./(assets/[^"]+)"`).FindAllStringSubmatch(string(index), -1)
	if len(refs) < 2 {
		t.Fatalf("index.html references %d assets, want a script and a stylesheet", len(refs))
	}
	for _, r := range refs {
		if _, err := fs.Stat(a, r[1]); err != nil {
			t.Errorf("asset %s referenced by index.html: %v", r[1], err)
		}
	}
	err = fs.WalkDir(a, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".map") {
			t.Errorf("source map %s must not be shipped", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
