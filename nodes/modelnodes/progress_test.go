package modelnodes

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"sumi/model/sdxl"
	"sumi/nodes"
	"sumi/sampling/preview"
	"sumi/tensor"
)

// TestStepProgressKeepsComfyOrder: previews are encoded off the step but
// still arrive as ComfyUI sends them — each step's progress, then its
// preview — and the last one before finish returns.
func TestStepProgressKeepsComfyOrder(t *testing.T) {
	for _, arch := range []sdxl.Architecture{sdxl.ArchSDXL, sdxl.ArchSD15} {
		t.Run(string(arch), func(t *testing.T) {
			var got []string
			var images [][]byte
			p := nodes.ProgressFuncs{
				OnUpdate: func(v, m int) { got = append(got, fmt.Sprintf("progress %d/%d", v, m)) },
				OnPreview: func(img nodes.Preview) {
					got = append(got, "preview")
					images = append(images, img.Data)
				},
			}
			s := &stepProgress{p: p, c: &sdxl.Config{Architecture: arch}}
			var x0s []*tensor.Tensor
			for step := 1; step <= 3; step++ {
				x0 := tensor.New(1, 4, 8, 8)
				for i := range x0.Data {
					x0.Data[i] = float32(step*i%7) / 7
				}
				x0s = append(x0s, x0)
				s.report(step, 3, x0)
				x0.Data[0] = 99 // the sampler may reuse its tensor
			}
			s.finish()
			want := []string{"progress 1/3", "progress 2/3", "progress 3/3"}
			if arch == sdxl.ArchSDXL {
				want = []string{"progress 1/3", "preview", "progress 2/3", "preview", "progress 3/3", "preview"}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("messages %q, want %q", got, want)
			}
			for i, img := range images {
				x0s[i].Data[0] = 0 // as it was when reported
				ref, err := preview.SDXLJPEG(x0s[i])
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(img, ref) {
					t.Errorf("preview %d differs from the synchronous encoding", i+1)
				}
			}
		})
	}
}
