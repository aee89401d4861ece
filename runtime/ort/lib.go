package ort

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	ortgo "github.com/yalue/onnxruntime_go"
)

// EnvLibrary is the environment variable naming the ONNX Runtime library.
const EnvLibrary = "SUMI_ORT_LIB"

// RequiredVersion is the ONNX Runtime major.minor version sumi is built and
// tested against.
const RequiredVersion = "1.29"

// libName is the file the installer writes into .ort/.
const libName = "libonnxruntime.so.1"

// installHint tells a user how to get a working library.
const installHint = "install ONNX Runtime " + RequiredVersion + " with `make ort` (tools/install-ort.sh), " +
	"or point --ort-lib or " + EnvLibrary + " at a libonnxruntime.so.1 of version " + RequiredVersion + ".x"

// ErrLibrary is wrapped by every error about finding, loading or checking
// the ONNX Runtime shared library.
var ErrLibrary = errors.New("onnx runtime library unavailable")

// ErrNotInitialized is returned by calls made before Init succeeded.
var ErrNotInitialized = errors.New("ort: Init has not been called")

var lib struct {
	sync.Mutex
	path    string
	version string
}

// LibraryPath resolves the library to load: flagValue when set, else
// $SUMI_ORT_LIB, else <exe dir>/../.ort/libonnxruntime.so.1 when it exists,
// else .ort/libonnxruntime.so.1 in the working directory or its nearest
// parent that has one. When nothing exists it returns the executable-relative
// default so the error from Init names a sensible place.
func LibraryPath(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if env := os.Getenv(EnvLibrary); env != "" {
		return env
	}
	var fallback string
	if exe, err := os.Executable(); err == nil {
		fallback = filepath.Join(filepath.Dir(exe), "..", ".ort", libName)
		if fileExists(fallback) {
			return fallback
		}
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			if p := filepath.Join(dir, ".ort", libName); fileExists(p) {
				return p
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	return fallback
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// Init loads the library at path and checks its version. It may be called
// again with the same path (a no-op); another path is an error, because
// ONNX Runtime can be loaded only once per process.
func Init(path string) error {
	lib.Lock()
	defer lib.Unlock()
	if path == "" {
		return fmt.Errorf("ort: %w: no library path; %s", ErrLibrary, installHint)
	}
	if !fileExists(path) {
		return fmt.Errorf("ort: %w: %s does not exist; %s", ErrLibrary, path, installHint)
	}
	if lib.version != "" {
		if sameFile(lib.path, path) {
			return nil
		}
		return fmt.Errorf("ort: %w: already loaded from %s, cannot also load %s", ErrLibrary, lib.path, path)
	}
	level, err := envLogLevel(os.Getenv(LogEnv))
	if err != nil {
		return err
	}
	ortgo.SetSharedLibraryPath(path)
	if err := ortgo.InitializeEnvironment(level); err != nil {
		return fmt.Errorf("ort: %w: load %s: %v; %s", ErrLibrary, path, err, installHint)
	}
	v := ortgo.GetVersion()
	if err := checkVersion(path, v); err != nil {
		ortgo.DestroyEnvironment()
		return err
	}
	lib.path, lib.version = path, v
	return nil
}

// LogEnv names the environment variable that sets ONNX Runtime's own log
// level: verbose, info, warning, error or fatal (the default: sumi reports
// errors itself). info and verbose show, among much else, which execution
// provider each node was placed on — how to spot CPU fallbacks in a CUDA
// session.
const LogEnv = "SUMI_ORT_LOG"

func envLogLevel(s string) (ortgo.EnvironmentOption, error) {
	levels := map[string]func() ortgo.EnvironmentOption{
		"verbose": ortgo.WithLogLevelVerbose, "info": ortgo.WithLogLevelInfo, "warning": ortgo.WithLogLevelWarning,
		"error": ortgo.WithLogLevelError, "fatal": ortgo.WithLogLevelFatal, "": ortgo.WithLogLevelFatal,
	}
	f, ok := levels[strings.ToLower(strings.TrimSpace(s))]
	if !ok {
		return nil, fmt.Errorf("ort: %s=%q: want verbose, info, warning, error or fatal", LogEnv, s)
	}
	return f(), nil
}

func sameFile(a, b string) bool {
	if a == b {
		return true
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

// Version is the loaded library's version ("" before Init).
func Version() string {
	lib.Lock()
	defer lib.Unlock()
	return lib.version
}

// Path is the loaded library's path ("" before Init).
func Path() string {
	lib.Lock()
	defer lib.Unlock()
	return lib.path
}

func initialized() error {
	if Version() == "" {
		return ErrNotInitialized
	}
	return nil
}

// checkVersion accepts only RequiredVersion.x.
func checkVersion(path, v string) error {
	if !strings.HasPrefix(v, RequiredVersion+".") {
		return fmt.Errorf("ort: %w: %s is ONNX Runtime %s, need %s.x; %s", ErrLibrary, path, v, RequiredVersion, installHint)
	}
	return nil
}
