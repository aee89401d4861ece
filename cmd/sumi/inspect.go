package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"sumi/model/sdxl"
)

func init() {
	register("inspect", command{summary: "print the configuration detected in a checkpoint", run: runInspect})
}

// inspectReport is what `sumi inspect` prints: the detected configuration
// with ComfyUI's field names, plus the file it came from.
type inspectReport struct {
	File string `json:"file"`
	*sdxl.Config
}

func runInspect(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sumi inspect CHECKPOINT.safetensors...")
		fmt.Fprintln(stderr, "Prints the detected architecture and network configuration as JSON.")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	rc := 0
	for _, path := range fs.Args() {
		c, err := sdxl.Inspect(path)
		if err != nil {
			fmt.Fprintf(stderr, "sumi inspect: %v\n", err)
			rc = 1
			continue
		}
		if err := enc.Encode(inspectReport{File: filepath.Base(path), Config: c}); err != nil {
			fmt.Fprintf(stderr, "sumi inspect: %v\n", err)
			return 1
		}
	}
	return rc
}
