// Package folders is ComfyUI's folder layout: the model folders under
// models/<kind>/ (plus extra_model_paths.yaml), the input, output, temp and
// user directories, model file listings as the editor's combos show them,
// SaveImage's file naming, and the path checks that keep every file name a
// client sends inside the folder it names.
//
// Resolve is the single authority for turning an untrusted relative path into
// a file path; every handler and node that touches files by a client-given
// name goes through it.
package folders

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Config says where the folders are. Empty fields take ComfyUI's defaults.
type Config struct {
	// Base is the base directory (--base-directory); default ".".
	Base string
	// Output is --output-directory; default <Base>/output.
	Output string
	// Input is --input-directory; default <Base>/input.
	Input string
	// Temp is --temp-directory; default <Base>/temp.
	Temp string
	// User is --user-directory; default <Base>/user.
	User string
}

// Folders is one server's or run's folder layout. Its methods are safe for
// concurrent use.
type Folders struct {
	base, output, input, temp, user string

	mu     sync.RWMutex
	models map[string]*modelKind
	order  []string // kinds in declaration order
}

// New returns the layout for cfg with every path made absolute and the
// default model folders registered. It creates nothing; see CreateDirs.
func New(cfg Config) (*Folders, error) {
	base := cfg.Base
	if base == "" {
		base = "."
	}
	abs, err := filepath.Abs(base)
	if err != nil {
		return nil, fmt.Errorf("folders: base directory: %w", err)
	}
	f := &Folders{base: abs, models: map[string]*modelKind{}}
	for _, d := range []struct {
		dst      *string
		override string
		name     string
	}{
		{&f.output, cfg.Output, "output"}, {&f.input, cfg.Input, "input"},
		{&f.temp, cfg.Temp, "temp"}, {&f.user, cfg.User, "user"},
	} {
		p := filepath.Join(abs, d.name)
		if d.override != "" {
			if p, err = filepath.Abs(d.override); err != nil {
				return nil, fmt.Errorf("folders: %s directory: %w", d.name, err)
			}
		}
		*d.dst = p
	}
	f.addDefaultModelKinds()
	return f, nil
}

// Base is the absolute base directory.
func (f *Folders) Base() string { return f.base }

// ModelsDir is <base>/models.
func (f *Folders) ModelsDir() string { return filepath.Join(f.base, "models") }

// Output is the absolute output directory (SaveImage).
func (f *Folders) Output() string { return f.output }

// Input is the absolute input directory (LoadImage, uploads).
func (f *Folders) Input() string { return f.input }

// Temp is the absolute temp directory (PreviewImage).
func (f *Folders) Temp() string { return f.temp }

// User is the absolute user data directory.
func (f *Folders) User() string { return f.user }

// Dir returns the directory of a /view or upload "type": "output", "input"
// or "temp". Other names (including "user") are not reachable that way.
func (f *Folders) Dir(typ string) (string, bool) {
	switch typ {
	case "output":
		return f.output, true
	case "input":
		return f.input, true
	case "temp":
		return f.temp, true
	}
	return "", false
}

// CreateDirs creates the input, output, temp and user directories, as
// ComfyUI does at start.
func (f *Folders) CreateDirs() error {
	for _, d := range []string{f.input, f.output, f.temp, f.user} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("folders: %w", err)
		}
	}
	return nil
}

// CleanTemp removes the temp directory's contents (ComfyUI wipes it at start
// and exit) and recreates it empty.
func (f *Folders) CleanTemp() error {
	if err := os.RemoveAll(f.temp); err != nil {
		return fmt.Errorf("folders: clean temp: %w", err)
	}
	if err := os.MkdirAll(f.temp, 0o755); err != nil {
		return fmt.Errorf("folders: clean temp: %w", err)
	}
	return nil
}
