package modelnodes

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"sumi/folders"
	"sumi/nodes"
	"sumi/pngmeta"
	"sumi/safetensors"
	"sumi/tensor"
)

// Tensor names of ComfyUI's .latent files (safetensors).
const (
	latentTensor  = "latent_tensor"
	latentVersion = "latent_format_version_0"
	// sd1Scale undoes the scaling of .latent files older than format 0.
	sd1Scale = 0.18215
)

func latentFileSpecs(env Env) []nodes.Spec {
	return []nodes.Spec{
		{
			Name: "LoadLatent", Category: "_for_testing",
			Inputs:  []nodes.Input{nodes.Combo("latent", env.inputLatents)},
			Outputs: []nodes.Output{{Type: nodes.TypeLatent}},
			Run: func(_ context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
				p, err := env.Folders.AnnotatedPath(in.String("latent"), "input")
				if err != nil {
					return nil, err
				}
				l, err := ReadLatent(p)
				if err != nil {
					return nil, err
				}
				return []any{nodes.Latent{Samples: l}}, nil
			},
			IsChanged: func(in nodes.Args) (string, error) {
				p, err := env.Folders.AnnotatedPath(in.String("latent"), "input")
				if err != nil {
					return "", err
				}
				return fileSHA256(p)
			},
			Validate: func(in nodes.Args) error {
				name := in.String("latent")
				p, err := env.Folders.AnnotatedPath(name, "input")
				if err == nil {
					_, err = os.Stat(p)
				}
				if err != nil {
					return fmt.Errorf("Invalid latent file: %s", name)
				}
				return nil
			},
			ValidateInputs: []string{"latent"},
		},
		{
			Name: "SaveLatent", Category: "_for_testing", OutputNode: true,
			Inputs: []nodes.Input{
				nodes.Socket("samples", nodes.TypeLatent),
				nodes.String("filename_prefix", "latents/ComfyUI"),
				nodes.Hidden("prompt", nodes.HiddenPrompt),
				nodes.Hidden("extra_pnginfo", nodes.HiddenExtraPNGInfo),
			},
			Run: env.saveLatent,
		},
	}
}

// inputLatents lists the .latent files directly in the input folder.
func (env Env) inputLatents() []string {
	entries, err := os.ReadDir(env.Folders.Input())
	if err != nil {
		return []string{}
	}
	out := []string{}
	for _, e := range entries {
		st, err := os.Stat(filepath.Join(env.Folders.Input(), e.Name()))
		if err == nil && st.Mode().IsRegular() && strings.HasSuffix(e.Name(), ".latent") {
			out = append(out, e.Name())
		}
	}
	slices.Sort(out)
	return out
}

// ReadLatent reads a ComfyUI .latent file. Files without the format-0
// marker store latents multiplied by SD1's scale and are divided back.
func ReadLatent(path string) (*tensor.Tensor, error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, fmt.Errorf("modelnodes: %w", err)
	}
	defer f.Close()
	ti, ok := f.Tensor(latentTensor)
	if !ok || len(ti.Shape) != 4 || !ti.DType.IsFloat() {
		return nil, fmt.Errorf("modelnodes: %s: no 4-D float %s", path, latentTensor)
	}
	data, err := f.Float32(latentTensor)
	if err != nil {
		return nil, fmt.Errorf("modelnodes: %w", err)
	}
	if _, ok := f.Tensor(latentVersion); !ok {
		m := float32(1.0 / sd1Scale)
		for i := range data {
			data[i] *= m
		}
	}
	shape := make([]int, 4)
	for i, d := range ti.Shape {
		shape[i] = int(d)
	}
	return tensor.FromData(data, shape...), nil
}

// saveLatent is SaveLatent: <prefix>_<counter:05>_.latent in the output
// folder with the prompt and extra_pnginfo as JSON metadata.
func (env Env) saveLatent(_ context.Context, in nodes.Args, _ nodes.Progress) ([]any, error) {
	l, err := in.Latent("samples")
	if err != nil {
		return nil, err
	}
	sp, err := folders.NextSavePath(env.Folders.Output(), in.String("filename_prefix"), 0, 0, time.Now())
	if err != nil {
		return nil, err
	}
	w := safetensors.Writer{}
	if !env.DisableMetadata {
		if w.Metadata, err = latentMetadata(in); err != nil {
			return nil, err
		}
	}
	shape := make([]int64, len(l.Samples.Shape))
	for i, d := range l.Samples.Shape {
		shape[i] = int64(d)
	}
	w.AddFloat32(latentTensor, shape, l.Samples.Data)
	w.AddFloat32(latentVersion, []int64{0}, nil)
	name := fmt.Sprintf("%s_%05d_.latent", sp.Filename, sp.Counter)
	if err := w.WriteFile(filepath.Join(sp.Dir, name)); err != nil {
		return nil, fmt.Errorf("modelnodes: %w", err)
	}
	ref := map[string]string{"filename": name, "subfolder": sp.Subfolder, "type": "output"}
	return []any{nodes.UI{"latents": []map[string]string{ref}}}, nil
}

// latentMetadata is {"prompt": json.dumps(prompt), key: json.dumps(value)
// for each extra_pnginfo member}.
func latentMetadata(in nodes.Args) (map[string]string, error) {
	meta := map[string]string{"prompt": ""}
	if p := in.Prompt(); len(p) > 0 && string(p) != "null" {
		text, err := pngmeta.PythonJSON(p)
		if err != nil {
			return nil, fmt.Errorf("modelnodes: prompt metadata: %w", err)
		}
		meta["prompt"] = string(text)
	}
	extra := in.ExtraPNGInfo()
	if len(extra) == 0 || string(extra) == "null" {
		return meta, nil
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(extra, &members); err != nil {
		return nil, fmt.Errorf("modelnodes: extra_pnginfo: %w", err)
	}
	for k, v := range members {
		text, err := pngmeta.PythonJSON(v)
		if err != nil {
			return nil, fmt.Errorf("modelnodes: extra_pnginfo %q: %w", k, err)
		}
		meta[k] = string(text)
	}
	return meta, nil
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", fmt.Errorf("modelnodes: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("modelnodes: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
