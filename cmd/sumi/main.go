// Command sumi is a ComfyUI-compatible node-graph executor for SDXL checkpoints.
//
//	sumi serve      run the HTTP/websocket server and the editor
//	sumi run FILE   execute a workflow headless
//	sumi convert    print the API prompt of a UI workflow, API JSON or PNG
//	sumi tokenize   show how a prompt is tokenized for SDXL's encoders
//	sumi inspect    print the configuration detected in a checkpoint
//	sumi bench      time the SDXL networks on a synthetic checkpoint
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// command is one subcommand. Each lives in its own file and adds itself to
// commands from an init function, so main stays a dispatcher.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

func register(name string, c command) {
	if _, dup := commands[name]; dup {
		panic("sumi: duplicate command " + name)
	}
	commands[name] = c
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		return 2
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "sumi: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: sumi COMMAND [flags] [args]")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
}
