package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"sumi/api"
	"sumi/executor"
	"sumi/folders"
	"sumi/graph"
	"sumi/nodes"
)

func init() {
	register("run", command{summary: "execute a workflow (UI JSON, API JSON or PNG) headless", run: runRun})
}

// runOptions are sumi run's flags; folder flags match sumi serve's.
type runOptions struct {
	folderFlags
	from                   string
	disableMetadata, quiet bool
	sets                   []string
	file                   string
}

// Exit codes of sumi run besides 0 and usage errors (2).
const (
	exitFailed      = 1   // validation or execution error, bad input file
	exitInterrupted = 130 // Ctrl-C, as shells report SIGINT
)

func parseRunFlags(args []string, stderr io.Writer) (*runOptions, error) {
	o := &runOptions{}
	fl := flag.NewFlagSet("run", flag.ContinueOnError)
	fl.SetOutput(stderr)
	o.folderFlags.declare(fl)
	fl.StringVar(&o.from, "from", fromAuto, "for PNG files: which chunk to run (auto, workflow or prompt)")
	fl.BoolVar(&o.disableMetadata, "disable-metadata", false, "do not store the prompt and workflow in saved PNGs")
	fl.BoolVar(&o.quiet, "quiet", false, "no progress on stderr")
	fl.Func("set", "override an input: NODE_ID.INPUT=VALUE (VALUE is JSON, else a string); repeatable", func(s string) error {
		o.sets = append(o.sets, s)
		return nil
	})
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: sumi run [--base-directory DIR] [--output-directory DIR] [--set NODE_ID.INPUT=VALUE]... FILE")
		fl.PrintDefaults()
	}
	// Flags may also follow FILE.
	var pos []string
	for rest := args; ; {
		if err := fl.Parse(rest); err != nil {
			return nil, err
		}
		if fl.NArg() == 0 {
			break
		}
		pos, rest = append(pos, fl.Arg(0)), fl.Args()[1:]
	}
	if len(pos) != 1 {
		fl.Usage()
		return nil, errors.New("run: want exactly one FILE")
	}
	o.file = pos[0]
	return o, nil
}

func runRun(args []string, stdout, stderr io.Writer) int {
	o, err := parseRunFlags(args, stderr)
	if err != nil {
		return exitUsage(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return execute(ctx, o, stdout, stderr)
}

// execute loads, validates and runs the workflow, printing saved paths on
// stdout and ComfyUI's error JSON (also on stdout) on failure.
func execute(ctx context.Context, o *runOptions, stdout, stderr io.Writer) int {
	f, reg, err := runSetup(o)
	if err != nil {
		fmt.Fprintln(stderr, "sumi:", err)
		return exitFailed
	}
	w, err := loadWorkflow(o.file, o.from, reg)
	if err == nil {
		err = applySets(w.prompt, o.sets)
	}
	if err != nil {
		fmt.Fprintln(stderr, "sumi:", err)
		return exitFailed
	}
	res, err := graph.Validate(w.prompt, reg, nil)
	if err != nil {
		return reportError(err, stdout, stderr)
	}
	if len(res.NodeErrors) > 0 {
		b, _ := json.Marshal(res.NodeErrors)
		fmt.Fprintf(stderr, "sumi: some outputs failed validation and are skipped: %s\n", b)
	}
	bar := newProgressBar(stderr, w.prompt, o.quiet)
	req := executor.Request{PromptID: newPromptID(), Prompt: res.Prompt, Outputs: res.Outputs, ExtraPNGInfo: w.extraPNGInfo}
	result, err := executor.New(reg).Run(ctx, req, bar.event)
	bar.done()
	if err != nil {
		return reportError(err, stdout, stderr)
	}
	for _, p := range savedFiles(f, res.Outputs, result.Outputs) {
		fmt.Fprintln(stdout, p)
	}
	return 0
}

func runSetup(o *runOptions) (*folders.Folders, *nodes.Registry, error) {
	f, err := o.open(false)
	if err != nil {
		return nil, nil, err
	}
	mo, err := o.modelOptions(os.Stderr)
	if err != nil {
		return nil, nil, err
	}
	reg, err := newRegistry(registryConfig{Folders: f, ORTLib: o.ortLib, DisableMetadata: o.disableMetadata,
		Models: processModelsWith(mo)})
	return f, reg, err
}

// reportError prints the failure as ComfyUI reports it: the /prompt error
// body for validation, the execution_error or execution_interrupted
// message for a run.
func reportError(err error, stdout, stderr io.Writer) int {
	var pe *graph.PromptError
	var ne *executor.NodeError
	var ie *executor.InterruptedError
	var body any
	code := exitFailed
	switch {
	case errors.As(err, &pe):
		body = pe
	case errors.As(err, &ne):
		body = executor.Event{Type: executor.EventExecutionError, Data: ne.Data}
	case errors.As(err, &ie):
		body, code = executor.Event{Type: executor.EventExecutionInterrupted, Data: ie.Data}, exitInterrupted
	}
	fmt.Fprintln(stderr, "sumi:", err)
	if body != nil {
		b, jerr := json.Marshal(body)
		if jerr == nil {
			fmt.Fprintf(stdout, "%s\n", b)
		}
	}
	return code
}

// applySets applies --set NODE_ID.INPUT=VALUE overrides. VALUE is read as
// JSON when it parses (numbers, true, ["4", 0] links, "quoted"), otherwise
// taken as a plain string. The node id is everything before the last "."
// of the left side, since ids may contain ":" but input names have no ".".
func applySets(p *graph.Prompt, sets []string) error {
	for _, s := range sets {
		key, raw, ok := strings.Cut(s, "=")
		dot := strings.LastIndexByte(key, '.')
		if !ok || dot <= 0 || dot == len(key)-1 {
			return fmt.Errorf("--set %q: want NODE_ID.INPUT=VALUE", s)
		}
		id, name := key[:dot], key[dot+1:]
		n, ok := p.Nodes[id]
		if !ok {
			return fmt.Errorf("--set %q: no node %q in the prompt", s, id)
		}
		n.SetInput(name, setValue(raw))
	}
	return nil
}

func setValue(raw string) any {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return raw
	}
	if _, err := dec.Token(); err != io.EOF {
		return raw
	}
	return v
}

// savedFiles lists the output-folder files the output nodes reported, in
// output node order.
func savedFiles(f *folders.Folders, outputs []string, uis map[string]nodes.UI) []string {
	var paths []string
	for _, id := range outputs {
		b, err := json.Marshal(uis[id]["images"])
		if err != nil {
			continue
		}
		var refs []nodes.ImageRef
		if json.Unmarshal(b, &refs) != nil {
			continue
		}
		for _, r := range refs {
			if r.Type == "output" {
				paths = append(paths, filepath.Join(f.Output(), r.Subfolder, r.Filename))
			}
		}
	}
	return paths
}

// newPromptID is a random UUID (version 4), the form ComfyUI uses.
func newPromptID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// progressBar draws the run's progress on stderr: one line per executed
// node, with a bar for nodes that report steps.
type progressBar struct {
	w      io.Writer
	prompt *graph.Prompt
	quiet  bool
	inBar  bool
}

func newProgressBar(w io.Writer, p *graph.Prompt, quiet bool) *progressBar {
	return &progressBar{w: w, prompt: p, quiet: quiet}
}

func (b *progressBar) event(e executor.Event) {
	if b.quiet {
		return
	}
	switch d := e.Data.(type) {
	case api.Executing:
		if d.Node == nil {
			return
		}
		b.endLine()
		class := ""
		if n := b.prompt.Nodes[*d.Node]; n != nil {
			class = n.ClassType
		}
		fmt.Fprintf(b.w, "node %s %s\n", *d.Node, class)
	case api.Progress:
		b.draw(d.Value, d.Max)
	case api.ExecutionCached:
		if len(d.Nodes) > 0 {
			fmt.Fprintf(b.w, "cached %s\n", strings.Join(d.Nodes, " "))
		}
	}
}

func (b *progressBar) draw(value, total int) {
	const width = 30
	if total <= 0 {
		return
	}
	filled := min(width, max(0, value*width/total))
	var s bytes.Buffer
	s.WriteString("\r  [")
	s.WriteString(strings.Repeat("#", filled))
	s.WriteString(strings.Repeat(".", width-filled))
	fmt.Fprintf(&s, "] %d/%d", value, total)
	b.w.Write(s.Bytes())
	b.inBar = true
}

func (b *progressBar) endLine() {
	if b.inBar {
		fmt.Fprintln(b.w)
		b.inBar = false
	}
}

func (b *progressBar) done() { b.endLine() }
