package folders

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// ModelExtensions are ComfyUI's supported_pt_extensions, the file types
// listed for most model kinds.
var ModelExtensions = []string{".ckpt", ".pt", ".pt2", ".bin", ".pth", ".safetensors", ".pkl", ".sft"}

// ErrUnknownKind means a model kind (folder name) is not configured.
var ErrUnknownKind = errors.New("folders: unknown model folder")

type modelKind struct {
	dirs []string
	// exts filters listings (lower case, with dot); nil lists every file.
	exts map[string]bool
}

// legacyKinds are the folder names ComfyUI maps to their new names.
var legacyKinds = map[string]string{"unet": "diffusion_models", "clip": "text_encoders"}

// CanonicalKind maps the legacy folder names "unet" and "clip" to
// "diffusion_models" and "text_encoders"; other names are returned as is.
func CanonicalKind(kind string) string {
	if k, ok := legacyKinds[kind]; ok {
		return k
	}
	return kind
}

func (f *Folders) addDefaultModelKinds() {
	models := f.ModelsDir()
	pt := extSet(ModelExtensions...)
	defs := []struct {
		kind string
		dirs []string
		exts map[string]bool
	}{
		{"checkpoints", []string{"checkpoints"}, pt},
		{"configs", []string{"configs"}, extSet(".yaml")},
		{"loras", []string{"loras"}, pt},
		{"vae", []string{"vae"}, pt},
		{"text_encoders", []string{"text_encoders", "clip"}, pt},
		{"diffusion_models", []string{"unet", "diffusion_models"}, pt},
		{"clip_vision", []string{"clip_vision"}, pt},
		{"style_models", []string{"style_models"}, pt},
		{"embeddings", []string{"embeddings"}, pt},
		{"diffusers", []string{"diffusers"}, extSet("folder")},
		{"vae_approx", []string{"vae_approx"}, pt},
		{"controlnet", []string{"controlnet", "t2i_adapter"}, pt},
		{"gligen", []string{"gligen"}, pt},
		{"upscale_models", []string{"upscale_models"}, pt},
		{"latent_upscale_models", []string{"latent_upscale_models"}, pt},
		{"hypernetworks", []string{"hypernetworks"}, pt},
		{"photomaker", []string{"photomaker"}, pt},
		{"classifiers", []string{"classifiers"}, extSet("")},
		{"model_patches", []string{"model_patches"}, pt},
		{"audio_encoders", []string{"audio_encoders"}, pt},
	}
	for _, d := range defs {
		mk := &modelKind{exts: d.exts}
		for _, sub := range d.dirs {
			mk.dirs = append(mk.dirs, filepath.Join(models, sub))
		}
		f.models[d.kind] = mk
		f.order = append(f.order, d.kind)
	}
	f.models["custom_nodes"] = &modelKind{dirs: []string{filepath.Join(f.base, "custom_nodes")}}
	f.order = append(f.order, "custom_nodes")
}

func extSet(exts ...string) map[string]bool {
	m := make(map[string]bool, len(exts))
	for _, e := range exts {
		m[e] = true
	}
	return m
}

// Kinds lists the configured model kinds in declaration order (custom ones
// from extra_model_paths.yaml last). /models answers with it.
func (f *Folders) Kinds() []string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return slices.Clone(f.order)
}

// ModelDirs returns the directories searched for a kind, in order.
func (f *Folders) ModelDirs(kind string) ([]string, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	mk, ok := f.models[CanonicalKind(kind)]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownKind, kind)
	}
	return slices.Clone(mk.dirs), nil
}

// AddModelDir adds a directory to a kind, as ComfyUI's
// add_model_folder_path does: appended, or moved/inserted first when first
// is set. An unknown kind is created and lists files of any extension.
func (f *Folders) AddModelDir(kind, dir string, first bool) {
	kind = CanonicalKind(kind)
	f.mu.Lock()
	defer f.mu.Unlock()
	mk, ok := f.models[kind]
	if !ok {
		f.models[kind] = &modelKind{dirs: []string{dir}}
		f.order = append(f.order, kind)
		return
	}
	if i := slices.Index(mk.dirs, dir); i >= 0 {
		if first && i != 0 {
			mk.dirs = slices.Insert(slices.Delete(mk.dirs, i, i+1), 0, dir)
		}
		return
	}
	if first {
		mk.dirs = slices.Insert(mk.dirs, 0, dir)
	} else {
		mk.dirs = append(mk.dirs, dir)
	}
}

// List returns the model files of a kind as the editor's combos show them:
// paths relative to their folder with "/" separators, recursive (following
// symlinks, skipping .git), filtered by extension case-insensitively,
// de-duplicated across folders and sorted. Missing folders list nothing.
func (f *Folders) List(kind string) ([]string, error) {
	f.mu.RLock()
	mk, ok := f.models[CanonicalKind(kind)]
	var dirs []string
	var exts map[string]bool
	if ok {
		dirs, exts = slices.Clone(mk.dirs), mk.exts
	}
	f.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownKind, kind)
	}
	seen := map[string]bool{}
	for _, d := range dirs {
		walkFiles(d, "", 0, func(rel string) {
			if exts == nil || exts[strings.ToLower(pyExt(rel))] {
				seen[rel] = true
			}
		})
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	slices.Sort(out)
	return out, nil
}

// maxWalkDepth stops symlink loops, which os.walk(followlinks=True) would
// also loop on, at a depth no real model tree reaches.
const maxWalkDepth = 32

// walkFiles calls fn with the "/"-separated path of every file below dir,
// following symlinked directories and skipping ".git".
func walkFiles(dir, rel string, depth int, fn func(string)) {
	if depth > maxWalkDepth {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		p, r := filepath.Join(dir, name), name
		if rel != "" {
			r = rel + "/" + name
		}
		isDir := e.IsDir()
		if e.Type()&fs.ModeSymlink != 0 {
			st, err := os.Stat(p)
			if err != nil {
				continue // dangling link: ComfyUI skips it as well
			}
			isDir = st.IsDir()
		}
		switch {
		case isDir && name != ".git":
			walkFiles(p, r, depth+1, fn)
		case !isDir:
			fn(r)
		}
	}
}

// ModelPath returns the file for a model name of a kind: the first folder
// holding it as a regular file (symlinks allowed, they are how users share
// models). Names may have sub-folders ("sdxl/base.safetensors") but can
// never leave the folder. A missing file gives an error wrapping
// fs.ErrNotExist.
func (f *Folders) ModelPath(kind, name string) (string, error) {
	dirs, err := f.ModelDirs(kind)
	if err != nil {
		return "", err
	}
	clean, err := cleanRel(name)
	if err != nil || clean == "." {
		return "", fmt.Errorf("folders: model %q: %w", name, ErrUnsafePath)
	}
	for _, d := range dirs {
		p := filepath.Join(d, clean)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("folders: model in folder %q with filename %q: %w", kind, name, fs.ErrNotExist)
}

// pyExt is Python's os.path.splitext extension, which ComfyUI filters on:
// leading dots of the base name do not start an extension (".hidden" has
// none), unlike filepath.Ext.
func pyExt(p string) string {
	base := path.Base(p)
	trimmed := strings.TrimLeft(base, ".")
	i := strings.LastIndexByte(trimmed, '.')
	if i < 0 {
		return ""
	}
	return trimmed[i:]
}
