package server

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"sumi/workflows"
)

// TestExampleList checks that the editor is told the embedded workflows,
// the default and the resolutions of package workflows, on both paths.
func TestExampleList(t *testing.T) {
	h := newHarness(t)
	for _, prefix := range []string{"", "/api"} {
		var got exampleList
		h.getJSON(prefix+"/sumi/workflows", &got)
		if got.Default != workflows.DefaultUI {
			t.Errorf("%s: default %q, want %q", prefix, got.Default, workflows.DefaultUI)
		}
		if !reflect.DeepEqual(got.Resolutions, workflows.Resolutions) {
			t.Errorf("%s: resolutions %v, want %v", prefix, got.Resolutions, workflows.Resolutions)
		}
		var names, files []string
		for _, w := range got.Workflows {
			names = append(names, w.Name)
			files = append(files, w.UI, w.API)
		}
		if !slices.Equal(names, workflows.Names()) {
			t.Errorf("%s: names %v, want %v", prefix, names, workflows.Names())
		}
		if !slices.Contains(files, got.Default) {
			t.Errorf("%s: default %q is not among the listed files %v", prefix, got.Default, files)
		}
		for _, f := range files {
			code, body, hdr := h.do("GET", prefix+"/sumi/workflows/"+f, nil)
			want, err := workflows.Read(f)
			if err != nil {
				t.Fatalf("listed file %s is not embedded: %v", f, err)
			}
			if code != 200 || !bytes.Equal(body, want) {
				t.Errorf("GET %s/sumi/workflows/%s: %d, %d bytes, want 200 and the embedded %d bytes", prefix, f, code, len(body), len(want))
			}
			if ct := hdr.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("%s: Content-Type %q", f, ct)
			}
			if !json.Valid(body) {
				t.Errorf("%s: body is not JSON", f)
			}
		}
	}
}

// TestExampleFileRefusals checks that only embedded .json files are served.
func TestExampleFileRefusals(t *testing.T) {
	h := newHarness(t)
	for _, name := range []string{
		"missing.ui.json",
		"workflows.go",
		"README.md",
		"..%2Fgo.mod",
		"..%2F..%2Fserver%2Fserver.go",
		"%2Fetc%2Fpasswd",
		"%2E%2E%2Fgo.mod",
		"animagine_txt2img.ui.json%00",
		"animagine_txt2img",
	} {
		t.Run(name, func(t *testing.T) {
			h.t = t
			if code, body, _ := h.do("GET", "/api/sumi/workflows/"+name, nil); code != 404 {
				t.Errorf("GET %s: %d %.80s, want 404", name, code, body)
			}
		})
	}
}
