package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"sumi/folders"
	"sumi/nodes"
	"sumi/nodes/modelnodes"
	"sumi/queue"
	"sumi/server"
	"sumi/web"
)

func init() {
	register("serve", command{summary: "run the ComfyUI-compatible HTTP/websocket server", run: runServe})
}

// serveOptions are sumi serve's flags; names follow ComfyUI's where they exist.
type serveOptions struct {
	folderFlags
	listen, port                       string
	frontEndRoot, cors, authToken, qdb string
	maxUploadMB                        float64
	// models is the model nodes' cache, freed on POST /free.
	models *modelnodes.Cache
}

func parseServeFlags(args []string, stderr io.Writer) (*serveOptions, error) {
	o := &serveOptions{}
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.StringVar(&o.listen, "listen", "127.0.0.1", "address to listen on (0.0.0.0 for every interface)")
	fl.StringVar(&o.port, "port", "8188", "port to listen on")
	o.folderFlags.declare(fl)
	fl.StringVar(&o.frontEndRoot, "front-end-root", "", "serve the editor from this directory instead of the built-in one")
	fl.StringVar(&o.cors, "enable-cors-header", "", "send CORS headers for this origin (bare flag: *); disables the origin check")
	fl.Float64Var(&o.maxUploadMB, "max-upload-size", 100, "largest request body in MB")
	fl.StringVar(&o.authToken, "auth-token", "", "require this bearer token on every route and the websocket (also ?token=)")
	fl.StringVar(&o.qdb, "queue-db", "", "queue and history database (default <user>/sumi-queue.db)")
	if err := fl.Parse(bareCORS(args)); err != nil {
		return nil, err
	}
	if fl.NArg() > 0 {
		return nil, fmt.Errorf("serve: unexpected argument %q", fl.Arg(0))
	}
	return o, nil
}

// bareCORS lets --enable-cors-header stand alone, as in ComfyUI where its
// value is optional and defaults to "*".
func bareCORS(args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		bare := a == "--enable-cors-header" || a == "-enable-cors-header"
		if bare && (i+1 == len(args) || len(args[i+1]) > 0 && args[i+1][0] == '-') {
			a += "=*"
		}
		out = append(out, a)
	}
	return out
}

func runServe(args []string, stdout, stderr io.Writer) int {
	o, err := parseServeFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "sumi:", err)
		return 2
	}
	if err := serve(o, stdout); err != nil {
		fmt.Fprintln(stderr, "sumi:", err)
		return 1
	}
	return 0
}

// buildRegistry makes the node registry the server offers: the same one
// `sumi run` uses.
var buildRegistry = func(f *folders.Folders, o *serveOptions) (*nodes.Registry, error) {
	return newRegistry(registryConfig{Folders: f, ORTLib: o.ortLib, Models: o.models})
}

// frontEnd picks the editor assets: --front-end-root, else the embedded build.
func frontEnd(root string) fs.FS {
	if root != "" {
		return os.DirFS(root)
	}
	return web.Assets()
}

func serve(o *serveOptions, stdout io.Writer) error {
	f, err := o.open(true)
	if err != nil {
		return err
	}
	mo, err := o.modelOptions(os.Stderr)
	if err != nil {
		return err
	}
	o.models = modelnodes.NewCache(mo)
	defer o.models.Close()
	reg, err := buildRegistry(f, o)
	if err != nil {
		return err
	}
	dbPath := o.qdb
	if dbPath == "" {
		dbPath = filepath.Join(f.User(), "sumi-queue.db")
	}
	store, err := queue.OpenBolt(dbPath)
	if err != nil {
		return err
	}
	defer store.Close()
	for _, id := range store.Recovered() {
		log.Printf("sumi: prompt %s was running when the server stopped; recorded as failed", id)
	}
	hub := server.NewHub()
	runner := server.NewRunner(reg, f)
	sched := queue.NewScheduler(store, runner, hub)
	cfg := server.Config{
		Folders: f, FrontEnd: frontEnd(o.frontEndRoot), CORSOrigin: o.cors,
		MaxUploadSize: int64(o.maxUploadMB * (1 << 20)), AuthToken: o.authToken,
		Free: func(unloadModels, freeMemory bool) {
			runner.Free(unloadModels, freeMemory)
			if unloadModels {
				o.models.Free()
			}
		},
	}
	srv := server.New(cfg, &server.RegistryEngine{Registry: reg}, sched, hub)
	return listenAndServe(o, srv.Handler(), sched, stdout)
}

func listenAndServe(o *serveOptions, h http.Handler, sched *queue.Scheduler, stdout io.Writer) error {
	addr := net.JoinHostPort(o.listen, o.port)
	if _, err := strconv.Atoi(o.port); err != nil {
		return fmt.Errorf("serve: bad --port %q", o.port)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go sched.Run(ctx)
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(shut)
	}()
	fmt.Fprintf(stdout, "sumi: serving on http://%s\n", ln.Addr())
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
