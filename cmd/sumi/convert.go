package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"sumi/folders"
	"sumi/graph"
	"sumi/nodes"
	"sumi/pngmeta"
)

func init() {
	register("convert", command{summary: "print the API prompt of a UI workflow, API JSON or PNG", run: runConvert})
}

// Sources a PNG's prompt can be taken from (--from).
const (
	fromAuto     = "auto"     // the workflow chunk if present (as the editor does on drop), else prompt
	fromWorkflow = "workflow" // the UI workflow chunk, converted
	fromPrompt   = "prompt"   // the API prompt chunk as written
)

func runConvert(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("convert", flag.ContinueOnError)
	fl.SetOutput(stderr)
	from := fl.String("from", fromAuto, "for PNG files: which chunk to read (auto, workflow or prompt)")
	compact := fl.Bool("compact", false, "print the JSON on one line")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: sumi convert [--from auto|workflow|prompt] [--compact] FILE")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return exitUsage(err)
	}
	if fl.NArg() != 1 {
		fl.Usage()
		return 2
	}
	f, err := folders.New(folders.Config{})
	if err == nil {
		var reg *nodes.Registry
		if reg, err = newRegistry(registryConfig{Folders: f}); err == nil {
			err = convert(fl.Arg(0), *from, *compact, reg, stdout)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "sumi:", err)
		return 1
	}
	return 0
}

func exitUsage(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

func convert(file, from string, compact bool, reg *nodes.Registry, stdout io.Writer) error {
	w, err := loadWorkflow(file, from, reg)
	if err != nil {
		return err
	}
	out, err := json.Marshal(w.prompt)
	if err != nil {
		return err
	}
	if !compact {
		var buf bytes.Buffer
		if err := json.Indent(&buf, out, "", "  "); err != nil {
			return err
		}
		out = buf.Bytes()
	}
	_, err = fmt.Fprintf(stdout, "%s\n", out)
	return err
}

// loaded is a prompt read from a file, with the extra_pnginfo the editor
// would send along with it ({"workflow": ...} for UI workflows).
type loaded struct {
	prompt       *graph.Prompt
	extraPNGInfo json.RawMessage
}

// loadWorkflow reads a UI workflow JSON, an API prompt JSON or a PNG
// written by ComfyUI or sumi ("-" reads standard input).
func loadWorkflow(file, from string, reg *nodes.Registry) (*loaded, error) {
	data, err := readInput(file)
	if err != nil {
		return nil, err
	}
	if from != fromAuto && from != fromWorkflow && from != fromPrompt {
		return nil, fmt.Errorf("--from must be auto, workflow or prompt, not %q", from)
	}
	if bytes.HasPrefix(data, []byte(pngmeta.Signature)) {
		if data, err = pngChunk(data, from); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	}
	p, err := graph.Load(data, reg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	l := &loaded{prompt: p}
	if !graph.IsAPIFormat(data) {
		var buf bytes.Buffer
		if err := json.Compact(&buf, data); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		l.extraPNGInfo = json.RawMessage(`{"workflow":` + buf.String() + `}`)
	}
	return l, nil
}

func readInput(file string) ([]byte, error) {
	if file == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(file)
}

// pngChunk picks the JSON to load from a PNG's text chunks.
func pngChunk(data []byte, from string) ([]byte, error) {
	m, err := pngmeta.ReadMap(bytes.NewReader(data))
	if err != nil && len(m) == 0 {
		return nil, err
	}
	order := []string{"workflow", "prompt"}
	switch from {
	case fromWorkflow:
		order = order[:1]
	case fromPrompt:
		order = order[1:]
	}
	for _, k := range order {
		if text, ok := m[k]; ok {
			return []byte(text), nil
		}
	}
	return nil, fmt.Errorf("no %s chunk in the png", strings.Join(order, " or "))
}
