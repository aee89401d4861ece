// Package onnxtest checks emitted models with ONNX's own checker (Debian's
// python3-onnx) from Go tests.
package onnxtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// Python is the interpreter that has the onnx module (Debian's python3-onnx;
// a python3 earlier on PATH may lack it).
var Python = "/usr/bin/python3"

const script = `
import sys, onnx
from onnx import checker
path, full = sys.argv[1], sys.argv[2] == "1"
checker.check_model(path, full_check=full)
m = onnx.load(path, load_external_data=False)
print("ok", m.ir_version, [(o.domain, o.version) for o in m.opset_import], len(m.graph.node))
`

var seq atomic.Int64

// Check writes model into dir (which must hold the external data files the
// model refers to, at their relative locations) and runs
// onnx.checker.check_model on it with full_check (strict shape inference).
// The model file is removed afterwards. A missing python3-onnx fails the
// test when CI=true and skips it otherwise.
func Check(t testing.TB, dir string, model []byte) {
	t.Helper()
	check(t, dir, model, true)
}

// CheckNoShapes is Check without full_check, for graphs whose contrib
// operators the checker's shape inference cannot see through.
func CheckNoShapes(t testing.TB, dir string, model []byte) {
	t.Helper()
	check(t, dir, model, false)
}

func check(t testing.TB, dir string, model []byte, full bool) {
	t.Helper()
	if !Available() {
		if os.Getenv("CI") == "true" {
			t.Fatalf("onnxtest: %s cannot import onnx; install python3-onnx", Python)
		}
		t.Skipf("onnxtest: %s cannot import onnx (install python3-onnx)", Python)
	}
	path := filepath.Join(dir, "checked_"+strings.ReplaceAll(t.Name(), "/", "_")+"_"+strconv.FormatInt(seq.Add(1), 10)+".onnx")
	if err := os.WriteFile(path, model, 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(path)
	flag := "0"
	if full {
		flag = "1"
	}
	out, err := exec.Command(Python, "-c", script, path, flag).CombinedOutput()
	if err != nil {
		t.Fatalf("onnx checker rejected the model: %v\n%s", err, out)
	}
}

var available atomic.Int32 // 0 unknown, 1 yes, 2 no

// Available reports whether Python can import onnx.
func Available() bool {
	switch available.Load() {
	case 1:
		return true
	case 2:
		return false
	}
	ok := exec.Command(Python, "-c", "import onnx").Run() == nil
	if ok {
		available.Store(1)
	} else {
		available.Store(2)
	}
	return ok
}
