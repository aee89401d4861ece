package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"sumi/folders"
	"sumi/graph"
)

// TestWorkflowsRunOnTinyModel runs every workflow of workflows/ (UI and
// API) and every API prompt of testdata/workflows whose nodes sumi has,
// through `sumi run` on the tiny checkpoint: model and image names are
// replaced, and resolutions and step counts made small with --set.
func TestWorkflowsRunOnTinyModel(t *testing.T) {
	base := tinyBase(t)
	f, err := folders.New(folders.Config{Base: base})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := newRegistry(registryConfig{Folders: f})
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../../workflows/*.json")
	api, _ := filepath.Glob("../../testdata/workflows/*.api.json")
	files = append(files, api...)
	if len(files) < 8 {
		t.Fatalf("only %d workflow files", len(files))
	}
	ran := 0
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			p, err := graph.Load(data, reg)
			if err != nil {
				if strings.Contains(err.Error(), "does not exist") || strings.Contains(err.Error(), "unknown") {
					t.Skipf("uses a node sumi does not have: %v", err)
				}
				t.Fatal(err)
			}
			for _, n := range p.Nodes {
				if _, ok := reg.Get(n.ClassType); !ok {
					t.Skipf("uses %s, which sumi does not have yet", n.ClassType)
				}
			}
			args := append([]string{"run", "--quiet", "--base-directory", base}, tinySets(p)...)
			code, stdout, stderr := sumi(t, append(args, file)...)
			if code != 0 {
				t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
			}
			if len(strings.Fields(stdout)) == 0 {
				t.Error("no file saved")
			}
			ran++
		})
	}
	if ran == 0 {
		t.Error("no workflow ran")
	}
}

// tinySets returns the --set flags that point a workflow at the tiny
// fixtures: checkpoint, LoRA and image names, 64-pixel latents and at most
// 4 sampling steps (KSamplerAdvanced windows scaled alike).
func tinySets(p *graph.Prompt) []string {
	var sets []string
	set := func(id, input string, v any) {
		b, _ := json.Marshal(v)
		sets = append(sets, "--set", fmt.Sprintf("%s.%s=%s", id, input, b))
	}
	ids := make([]string, 0, len(p.Nodes))
	for id := range p.Nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		n := p.Nodes[id]
		num := func(name string) int {
			var v int
			fmt.Sscan(fmt.Sprint(n.Inputs[name]), &v)
			return v
		}
		switch n.ClassType {
		case "CheckpointLoaderSimple", "CheckpointLoader":
			set(id, "ckpt_name", "tiny-sdxl-A.safetensors")
		case "LoraLoader", "LoraLoaderModelOnly":
			set(id, "lora_name", "tiny-lora-A.safetensors")
		case "LoadImage":
			set(id, "image", "img2img_A_32.png")
		case "VAEEncodeForInpaint":
			// ComfyUI's older inpaint example predates grow_mask_by (it
			// fails validation in ComfyUI too); give it the default.
			if _, ok := n.Inputs["grow_mask_by"]; !ok {
				set(id, "grow_mask_by", 6)
			}
		case "EmptyLatentImage":
			set(id, "width", 64)
			set(id, "height", 64)
		case "LatentUpscale":
			set(id, "width", 96)
			set(id, "height", 96)
		case "KSampler":
			set(id, "steps", min(num("steps"), 4))
		case "KSamplerAdvanced":
			steps := num("steps")
			if steps > 4 {
				set(id, "steps", 4)
				set(id, "start_at_step", num("start_at_step")*4/steps)
				if end := num("end_at_step"); end < steps {
					set(id, "end_at_step", end*4/steps)
				}
			}
		}
	}
	return sets
}
