// Package e2e runs sumi's browser editor end to end: it builds the sumi
// binary, starts `sumi serve` on a free port and drives the page in headless
// Chromium through run.mjs (playwright-core).
//
// Needs Debian's chromium (/usr/bin/chromium, or SUMI_CHROMIUM), Node.js and
// `npm ci` in this folder. Without them the test skips on a developer
// machine and fails when CI=true.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// need skips (or, under CI, fails) when a tool the test drives is missing.
func need(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("e2e: %s: %v", what, err)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("e2e: free port: %v", err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

// buildSumi compiles cmd/sumi into dir.
func buildSumi(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "sumi")
	gobin := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	cmd := exec.Command(gobin, "build", "-o", bin, "./cmd/sumi")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("e2e: go build ./cmd/sumi: %v\n%s", err, out)
	}
	return bin
}

// baseDir lays out a sumi base directory with the tiny fixture checkpoint,
// so workflows that load it can run.
func baseDir(t *testing.T) string {
	t.Helper()
	base := t.TempDir()
	ckpts := filepath.Join(base, "models", "checkpoints")
	if err := os.MkdirAll(ckpts, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := filepath.Abs("../testdata/tiny-sdxl/tiny-sdxl-A.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(ckpts, "tiny-sdxl-A.safetensors")
	if err := os.Link(src, dst); err != nil {
		copyFile(t, src, dst)
	}
	return base
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// serve starts `sumi serve` and waits until /object_info answers.
func serve(t *testing.T, bin, base string) string {
	t.Helper()
	port := freePort(t)
	var logs bytes.Buffer
	cmd := exec.Command(bin, "serve", "--port", port, "--base-directory", base)
	cmd.Env = os.Environ()
	if os.Getenv("SUMI_ORT_LIB") == "" {
		// The model nodes need ONNX Runtime; `make ort` puts it here.
		if lib, err := filepath.Abs("../.ort/libonnxruntime.so.1"); err == nil {
			cmd.Env = append(cmd.Env, "SUMI_ORT_LIB="+lib)
		}
	}
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("e2e: start sumi serve: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("sumi serve output:\n%s", logs.String())
		}
	})
	url := "http://127.0.0.1:" + port + "/"
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url + "api/object_info")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("e2e: sumi serve did not answer on %s within 30 s\n%s", url, logs.String())
	return ""
}

func outDir(t *testing.T) string {
	if d := os.Getenv("SUMI_E2E_OUT"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.ArtifactDir()
}

func TestEditorInChromium(t *testing.T) {
	browser := os.Getenv("SUMI_CHROMIUM")
	if browser == "" {
		browser = "/usr/bin/chromium"
	}
	_, err := os.Stat(browser)
	need(t, "chromium (apt-get install chromium)", err)
	node, err := exec.LookPath("node")
	need(t, "node", err)
	_, err = os.Stat("node_modules/playwright-core/package.json")
	need(t, "playwright-core (cd e2e && npm ci)", err)

	bin := buildSumi(t, t.TempDir())
	url := serve(t, bin, baseDir(t))
	out := outDir(t)
	testdata, err := filepath.Abs("../testdata")
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "run.mjs")
	cmd.Env = append(os.Environ(),
		"SUMI_URL="+url,
		"SUMI_E2E_OUT="+out,
		"SUMI_TESTDATA="+testdata,
		"SUMI_CHROMIUM="+browser,
		"SUMI_BIN="+bin,
	)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err = cmd.Run()
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		t.Log(line)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatal("e2e: run.mjs did not finish within 5 minutes")
	}
	if err != nil {
		t.Fatalf("e2e: run.mjs: %v (screenshots in %s)", err, out)
	}
	t.Logf("screenshots in %s", out)
}
