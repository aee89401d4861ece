package main

import (
	"flag"
	"os"

	"sumi/folders"
)

// folderFlags are the folder and runtime flags serve and run share; their
// names follow ComfyUI's.
type folderFlags struct {
	base, output, input, temp, user string
	extraModelPaths, ortLib         string
	// device is --device (auto, cpu, cuda, cuda:N); cpu is ComfyUI's --cpu.
	device string
	cpu    bool
}

// declare adds the shared flags to fl.
func (ff *folderFlags) declare(fl *flag.FlagSet) {
	fl.StringVar(&ff.base, "base-directory", "", "base directory for models, input, output, temp and user (default: current directory)")
	fl.StringVar(&ff.output, "output-directory", "", "output directory (default <base>/output)")
	fl.StringVar(&ff.input, "input-directory", "", "input directory (default <base>/input)")
	fl.StringVar(&ff.temp, "temp-directory", "", "temp directory (default <base>/temp)")
	fl.StringVar(&ff.user, "user-directory", "", "user directory (default <base>/user)")
	fl.StringVar(&ff.extraModelPaths, "extra-model-paths-config", "", "extra_model_paths.yaml to load")
	fl.StringVar(&ff.ortLib, "ort-lib", os.Getenv("SUMI_ORT_LIB"), "path of the ONNX Runtime shared library")
	fl.StringVar(&ff.device, "device", "auto", "where models run: auto (CUDA when its provider is installed and works), cpu, cuda or cuda:N")
	fl.BoolVar(&ff.cpu, "cpu", false, "run on the CPU even if a GPU is available")
}

// open builds the folder layout, creates its directories, empties temp when
// cleanTemp is set (the server owns temp; a one-off run must not wipe a
// running server's previews) and loads --extra-model-paths-config.
func (ff *folderFlags) open(cleanTemp bool) (*folders.Folders, error) {
	f, err := folders.New(folders.Config{Base: ff.base, Output: ff.output, Input: ff.input, Temp: ff.temp, User: ff.user})
	if err != nil {
		return nil, err
	}
	if err := f.CreateDirs(); err != nil {
		return nil, err
	}
	if cleanTemp {
		if err := f.CleanTemp(); err != nil {
			return nil, err
		}
	}
	if ff.extraModelPaths != "" {
		if err := f.LoadExtraModelPaths(ff.extraModelPaths); err != nil {
			return nil, err
		}
	}
	return f, nil
}
