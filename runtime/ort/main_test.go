package ort_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"sumi/runtime/ort"
)

// TestMain loads the library the way the Makefile and CI provide it
// (SUMI_ORT_LIB, else the repository's .ort/). A missing library fails the
// whole package: runtime tests never skip.
func TestMain(m *testing.M) {
	path := ort.LibraryPath("")
	if path == "" || !fileExists(path) {
		path = filepath.Join("..", "..", ".ort", "libonnxruntime.so.1")
	}
	if err := ort.Init(path); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
