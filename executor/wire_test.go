package executor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"sumi/graph"
	"sumi/nodes"
	"sumi/tensor"
)

// wireRegistry declares the no-model nodes of the recorded ComfyUI runs
// with fake bodies, enough to replay the scenarios.
func wireRegistry() *nodes.Registry {
	reg := nodes.NewRegistry()
	img := []nodes.Output{{Type: nodes.TypeImage}}
	lat := []nodes.Output{{Type: nodes.TypeLatent}}
	image := func(context.Context, nodes.Args, nodes.Progress) ([]any, error) {
		return []any{tensor.New(1, 2, 2, 3)}, nil
	}
	latent := func(context.Context, nodes.Args, nodes.Progress) ([]any, error) {
		return []any{nodes.Latent{Samples: tensor.New(1, 4, 2, 2)}}, nil
	}
	scale := nodes.ComboOf("upscale_method", "nearest-exact", "bilinear", "area", "bicubic", "lanczos")
	reg.Register(nodes.Spec{Name: "EmptyImage", Outputs: img, Run: image, Inputs: []nodes.Input{
		nodes.Int("width", 512).Range(1, 16384), nodes.Int("height", 512).Range(1, 16384),
		nodes.Int("batch_size", 1).Range(1, 4096), nodes.Int("color", 0).Range(0, 0xffffff)}})
	reg.Register(nodes.Spec{Name: "ImageInvert", Outputs: img, Run: image, Inputs: []nodes.Input{nodes.Socket("image", nodes.TypeImage)}})
	reg.Register(nodes.Spec{Name: "ImageScale", Outputs: img, Run: image, Inputs: []nodes.Input{nodes.Socket("image", nodes.TypeImage),
		scale, nodes.Int("width", 512), nodes.Int("height", 512), nodes.ComboOf("crop", "disabled", "center")}})
	reg.Register(nodes.Spec{Name: "EmptyLatentImage", Outputs: lat, Run: latent, Inputs: []nodes.Input{
		nodes.Int("width", 512), nodes.Int("height", 512), nodes.Int("batch_size", 1)}})
	reg.Register(nodes.Spec{Name: "LatentUpscale", Outputs: lat, Run: latent, Inputs: []nodes.Input{nodes.Socket("samples", nodes.TypeLatent),
		nodes.ComboOf("upscale_method", "nearest-exact"), nodes.Int("width", 512), nodes.Int("height", 512), nodes.ComboOf("crop", "disabled")}})
	save := func(kind string) nodes.RunFunc {
		n := 0
		return func(_ context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
			prefix := in.String("filename_prefix")
			if strings.Contains(prefix, "..") {
				return nil, errors.New("**** ERROR: Saving image outside the output folder is not allowed.")
			}
			n++
			ref := nodes.ImageRef{Filename: fmt.Sprintf("%s_%05d_.png", prefix, n), Type: kind}
			return []any{nodes.UI{"images": []nodes.ImageRef{ref}}}, nil
		}
	}
	hidden := []nodes.Input{nodes.Hidden("prompt", nodes.HiddenPrompt), nodes.Hidden("extra_pnginfo", nodes.HiddenExtraPNGInfo)}
	reg.Register(nodes.Spec{Name: "SaveImage", OutputNode: true, Run: save("output"),
		Inputs: append([]nodes.Input{nodes.Socket("images", nodes.TypeImage), nodes.String("filename_prefix", "ComfyUI")}, hidden...)})
	reg.Register(nodes.Spec{Name: "PreviewImage", OutputNode: true, Run: save("temp"),
		Inputs: append([]nodes.Input{nodes.Socket("images", nodes.TypeImage), nodes.String("filename_prefix", "ComfyUI_temp").Optional()}, hidden...)})
	return reg
}

type wireFrame struct {
	JSON *struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	} `json:"json"`
}

type wireScenario struct {
	Post struct {
		Request struct {
			Body struct {
				Prompt json.RawMessage `json:"prompt"`
			} `json:"body"`
		} `json:"request"`
	} `json:"post_prompt"`
	Frames []wireFrame `json:"ws_A_clientId_refclientA7517102b"`
}

// step is an event type plus the node it names, for order comparisons.
func step(typ string, data map[string]any) string {
	if n, ok := data["node"].(string); ok {
		return typ + ":" + n
	}
	if n, ok := data["node_id"].(string); ok {
		return typ + ":" + n
	}
	return typ
}

func keys(m map[string]any) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

// TestEventsMatchRecordedRuns replays the recorded websocket scenarios and
// checks the order of events and the field names of every message.
func TestEventsMatchRecordedRuns(t *testing.T) {
	b, err := os.ReadFile("../testdata/protocol/ws_runs.json")
	if err != nil {
		t.Fatal(err)
	}
	var scen map[string]wireScenario
	if err := json.Unmarshal(b, &scen); err != nil {
		t.Fatal(err)
	}
	reg := wireRegistry()
	ex := New(reg)
	for _, name := range []string{"success", "success_again_cached", "success_one_input_changed", "fails_inside_node"} {
		t.Run(name, func(t *testing.T) {
			sc := scen[name]
			var want []string
			wantKeys := map[string]string{}
			for _, f := range sc.Frames {
				if f.JSON == nil || f.JSON.Type == "status" || f.JSON.Type == "progress_state" {
					continue
				}
				want = append(want, step(f.JSON.Type, f.JSON.Data))
				wantKeys[f.JSON.Type+fmt.Sprint(f.JSON.Data["node"] == nil)] = keys(f.JSON.Data)
			}
			p, err := graph.ParsePrompt(sc.Post.Request.Body.Prompt)
			if err != nil {
				t.Fatal(err)
			}
			res, err := graph.Validate(p, reg, nil)
			if err != nil {
				t.Fatal(err)
			}
			rec := &recorder{}
			_, _ = ex.Run(context.Background(), Request{PromptID: "x", Prompt: res.Prompt, Outputs: res.Outputs}, rec.emit)
			var got []string
			for _, e := range rec.events {
				if e.Type == EventProgressState {
					continue
				}
				var m struct {
					Data map[string]any `json:"data"`
				}
				if err := json.Unmarshal([]byte(mustJSON(t, e)), &m); err != nil {
					t.Fatal(err)
				}
				got = append(got, step(e.Type, m.Data))
				if k, ok := wantKeys[e.Type+fmt.Sprint(m.Data["node"] == nil)]; ok && k != keys(m.Data) {
					t.Errorf("%s fields %s, want %s", e.Type, keys(m.Data), k)
				}
			}
			if name == "success_again_cached" {
				// Both cached outputs are ready at once; ComfyUI takes them in
				// the order of a Python set of ids, which is arbitrary.
				sort.Strings(got[2:4])
				sort.Strings(want[2:4])
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("events\n got %v\nwant %v", got, want)
			}
		})
	}
}
