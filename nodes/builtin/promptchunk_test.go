package builtin_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"sumi/api"
	"sumi/executor"
	"sumi/folders"
	"sumi/graph"
	"sumi/internal/testutil"
	"sumi/nodes"
	"sumi/nodes/builtin"
	"sumi/pngmeta"
	"sumi/queue"
	"sumi/server"
	"sumi/tensor"
)

// The PNG text chunks SaveImage writes must equal, as text, the ones
// ComfyUI wrote for the same prompt: Python's json.dumps of the prompt as
// validation left it (FLOAT constants coerced to float, so 8 becomes 8.0),
// each node's members in the order posted, plus the "is_changed" member
// ComfyUI adds to nodes that have IS_CHANGED (LoadImage, LoadLatent).
//
// The model nodes are stand-ins declared from ComfyUI's recorded
// /object_info (same input names, types and ranges, so validation coerces
// exactly as it would for the real nodes); their outputs are dummies,
// because the chunks do not depend on what the models compute. Every
// other node, SaveImage included, is the real one, run by the real
// executor.

const (
	casesDir   = "../../testdata/tiny-sdxl/cases"
	objectInfo = "../../testdata/protocol/object_info.json"
)

// chunkCase is one prompt ComfyUI executed and the PNGs it saved.
type chunkCase struct {
	name      string
	prompt    []byte
	extraData []byte   // the extra_data object, or nil
	pngs      []string // ComfyUI's files, in counter order
	inputs    map[string]string
}

func TestPromptChunksMatchComfyUI(t *testing.T) {
	cases := loadChunkCases(t)
	if len(cases) < 20 {
		t.Fatalf("found only %d fixture cases", len(cases))
	}
	var info map[string]json.RawMessage
	if err := json.Unmarshal(readFile(t, objectInfo), &info); err != nil {
		t.Fatal(err)
	}
	used := comboValues(t, cases)
	for _, via := range []string{"executor", "server"} {
		for _, c := range cases {
			t.Run(via+"/"+c.name, func(t *testing.T) {
				env := caseEnv(t, c)
				reg := chunkRegistry(t, env, info, used)
				var err error
				if via == "server" {
					err = runViaServer(reg, env.Folders, c)
				} else {
					err = runDirect(reg, c)
				}
				if err != nil {
					t.Fatal(err)
				}
				compareSaved(t, env.Folders.Output(), c.pngs)
			})
		}
	}
}

func loadChunkCases(t *testing.T) []chunkCase {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(casesDir, "*", "case.api.json"))
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string]string{}
	for _, f := range []string{"img2img_A_32.png", "start_latent_A.latent"} {
		inputs[f] = filepath.Join(casesDir, "input", f)
	}
	var out []chunkCase
	for _, f := range dirs {
		dir := filepath.Dir(f)
		c := chunkCase{name: filepath.Base(dir), prompt: readFile(t, f), inputs: inputs}
		if b, err := os.ReadFile(filepath.Join(dir, "case.extra_data.json")); err == nil {
			c.extraData = b
		}
		c.pngs, _ = filepath.Glob(filepath.Join(dir, "*.png"))
		sort.Strings(c.pngs)
		out = append(out, c)
	}
	// A PNG saved by an older ComfyUI with the browser's workflow: its
	// prompt already carries "is_changed", which ComfyUI keeps as posted.
	wf := "../../testdata/workflows/comfy_examples_img2img"
	extra := fmt.Sprintf(`{"extra_pnginfo": {"workflow": %s}}`, readFile(t, wf+".ui.json"))
	out = append(out, chunkCase{name: "comfy_examples_img2img", prompt: readFile(t, wf+".api.json"),
		extraData: []byte(extra), pngs: []string{wf + ".png"},
		inputs: map[string]string{"example.png": inputs["img2img_A_32.png"]}})
	return out
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// caseEnv is an empty base directory with the case's input files.
func caseEnv(t *testing.T, c chunkCase) builtin.Env {
	t.Helper()
	f := testutil.Folders(t, t.TempDir())
	for name, src := range c.inputs {
		if err := os.WriteFile(filepath.Join(f.Input(), name), readFile(t, src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return builtin.Env{Folders: f}
}

func runDirect(reg *nodes.Registry, c chunkCase) error {
	p, err := graph.ParsePrompt(c.prompt)
	if err != nil {
		return err
	}
	res, err := graph.Validate(p, reg, nil)
	if err != nil {
		return err
	}
	req := executor.Request{PromptID: "p", Prompt: res.Prompt, Outputs: res.Outputs}
	if c.extraData != nil {
		var ed struct {
			ExtraPNGInfo json.RawMessage `json:"extra_pnginfo"`
		}
		if err := json.Unmarshal(c.extraData, &ed); err != nil {
			return err
		}
		req.ExtraPNGInfo = ed.ExtraPNGInfo
	}
	_, err = executor.New(reg).Run(context.Background(), req, func(executor.Event) {})
	return err
}

// runViaServer takes POST /prompt's path: the server validates and stores
// the prompt as JSON, the queue's runner parses and runs that.
func runViaServer(reg *nodes.Registry, f *folders.Folders, c chunkCase) error {
	v, perr := (&server.RegistryEngine{Registry: reg}).Validate(c.prompt, nil)
	if perr != nil {
		return fmt.Errorf("validate: %+v", perr)
	}
	item := api.QueueItem{PromptID: "p", Prompt: v.Prompt, Outputs: v.Outputs, ExtraData: api.ExtraData{}}
	if c.extraData != nil {
		if err := json.Unmarshal(c.extraData, &item.ExtraData); err != nil {
			return err
		}
	}
	return server.NewRunner(reg, f).Run(context.Background(), item, func(queue.Event) {})
}

// compareSaved checks that the run saved as many PNGs as ComfyUI, and
// that each carries ComfyUI's text chunks, byte for byte and in order.
func compareSaved(t *testing.T, outDir string, want []string) {
	t.Helper()
	var got []string
	filepath.WalkDir(outDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".png") {
			got = append(got, p)
		}
		return nil
	})
	sort.Strings(got)
	if len(got) != len(want) {
		t.Fatalf("saved %d PNGs, ComfyUI saved %d", len(got), len(want))
	}
	for i := range want {
		if filepath.Base(want[i]) != filepath.Base(got[i]) && !strings.HasPrefix(filepath.Base(want[i]), "comfy_examples") {
			t.Errorf("file %s, ComfyUI wrote %s", filepath.Base(got[i]), filepath.Base(want[i]))
		}
		wc, gc := textChunks(t, want[i]), textChunks(t, got[i])
		if len(wc) != len(gc) {
			t.Errorf("%s: %d text chunks, want %d", filepath.Base(got[i]), len(gc), len(wc))
			continue
		}
		for j := range wc {
			if wc[j] != gc[j] {
				t.Errorf("%s chunk %d differs:\n got %s %s: %s\nwant %s %s: %s\nfirst difference at byte %d",
					filepath.Base(got[i]), j, gc[j].Type, gc[j].Keyword, gc[j].Text,
					wc[j].Type, wc[j].Keyword, wc[j].Text, firstDiff(gc[j].Text, wc[j].Text))
			}
		}
	}
}

func textChunks(t *testing.T, name string) []pngmeta.TextChunk {
	t.Helper()
	cs, err := pngmeta.ReadText(bytes.NewReader(readFile(t, name)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return cs
}

func firstDiff(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// chunkRegistry holds the real builtin nodes plus stand-ins for every
// other class the cases use. A stand-in's COMBO also accepts the values
// the cases give it (ComfyUI's recording had other model files).
func chunkRegistry(t *testing.T, env builtin.Env, info map[string]json.RawMessage, used map[string]map[string][]string) *nodes.Registry {
	t.Helper()
	reg := nodes.NewRegistry()
	builtin.Register(reg, env)
	var classes []string
	for class := range used {
		classes = append(classes, class)
	}
	sort.Strings(classes)
	for _, class := range classes {
		if _, ok := reg.Get(class); ok {
			continue
		}
		raw, ok := info[class]
		if !ok {
			t.Fatalf("class %s is neither builtin nor in object_info.json", class)
		}
		s, err := standIn(class, raw, used[class], env)
		if err != nil {
			t.Fatalf("%s: %v", class, err)
		}
		reg.Register(s)
	}
	return reg
}

// comboValues lists, per class, every string constant the cases post for
// each input.
func comboValues(t *testing.T, cases []chunkCase) map[string]map[string][]string {
	t.Helper()
	out := map[string]map[string][]string{}
	for _, c := range cases {
		p, err := graph.ParsePrompt(c.prompt)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, n := range p.Nodes {
			if out[n.ClassType] == nil {
				out[n.ClassType] = map[string][]string{}
			}
			for name, v := range n.Inputs {
				if s, ok := v.(string); ok {
					out[n.ClassType][name] = append(out[n.ClassType][name], s)
				}
			}
		}
	}
	return out
}

type infoNode struct {
	Input struct {
		Required, Optional map[string]json.RawMessage
	}
	InputOrder map[string][]string `json:"input_order"`
	Output     []string
}

func standIn(class string, raw json.RawMessage, extraChoices map[string][]string, env builtin.Env) (nodes.Spec, error) {
	var e infoNode
	if err := json.Unmarshal(raw, &e); err != nil {
		return nodes.Spec{}, err
	}
	s := nodes.Spec{Name: class, Run: fakeRun(e.Output)}
	for _, kind := range []string{"required", "optional"} {
		decl := e.Input.Required
		if kind == "optional" {
			decl = e.Input.Optional
		}
		for _, name := range e.InputOrder[kind] {
			in, err := standInInput(name, decl[name], extraChoices[name])
			if err != nil {
				return s, fmt.Errorf("input %s: %w", name, err)
			}
			if kind == "optional" {
				in = in.Optional()
			}
			s.Inputs = append(s.Inputs, in)
		}
	}
	for _, o := range e.Output {
		s.Outputs = append(s.Outputs, nodes.Output{Type: nodes.Type(o)})
	}
	if class == "LoadLatent" {
		// ComfyUI's LoadLatent.IS_CHANGED: the SHA-256 of the file.
		s.IsChanged = func(in nodes.Args) (string, error) {
			b, err := os.ReadFile(filepath.Join(env.Folders.Input(), in.String("latent")))
			sum := sha256.Sum256(b)
			return hex.EncodeToString(sum[:]), err
		}
	}
	return s, nil
}

// standInInput declares an input from its /object_info entry: [type or
// choices, options].
func standInInput(name string, raw json.RawMessage, extra []string) (nodes.Input, error) {
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil || len(parts) == 0 {
		return nodes.Input{}, fmt.Errorf("bad declaration %s", raw)
	}
	var opts struct{ Min, Max *float64 }
	if len(parts) > 1 {
		if err := json.Unmarshal(parts[1], &opts); err != nil {
			return nodes.Input{}, err
		}
	}
	var typ string
	if json.Unmarshal(parts[0], &typ) == nil {
		in := nodes.Socket(name, nodes.Type(typ))
		in.Opts.Min, in.Opts.Max = opts.Min, opts.Max
		return in, nil
	}
	var choices []string
	if err := json.Unmarshal(parts[0], &choices); err != nil {
		return nodes.Input{}, err
	}
	for _, c := range extra {
		if !slices.Contains(choices, c) {
			choices = append(choices, c)
		}
	}
	return nodes.ComboOf(name, choices...), nil
}

// fakeRun returns a dummy value of each output type. Images and latents
// keep the batch size of the latent or image they are made from, so
// SaveImage writes as many files as ComfyUI did.
func fakeRun(outputs []string) nodes.RunFunc {
	return func(_ context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
		batch := 1
		var latent *nodes.Latent
		for _, name := range []string{"samples", "latent_image", "pixels"} {
			switch v := in.Value(name).(type) {
			case nodes.Latent:
				latent, batch = &v, v.Samples.Shape[0]
			case *tensor.Tensor:
				batch = v.Shape[0]
			}
		}
		out := make([]any, len(outputs))
		for i, o := range outputs {
			switch o {
			case "IMAGE":
				out[i] = tensor.New(batch, 4, 4, 3)
			case "LATENT":
				if latent != nil {
					out[i] = *latent
				} else {
					out[i] = nodes.Latent{Samples: tensor.New(batch, 4, 2, 2)}
				}
			default:
				out[i] = "stand-in " + o
			}
		}
		return out, nil
	}
}
