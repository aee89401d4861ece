package sdxl

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"sumi/safetensors"
)

// TestSyntheticSDXLKeys checks, without writing the 6.9 GB file, that the
// SDXL synthetic layout is exactly sdxl_keys.txt: every name, shape and
// dtype, nothing more.
func TestSyntheticSDXLKeys(t *testing.T) {
	want := sdxlKeys(t)
	sc, err := SynthConfigByName(SynthSDXL)
	if err != nil {
		t.Fatal(err)
	}
	ts := sc.synthTensors()
	if len(ts) != len(want) || len(ts) != 2515 {
		t.Fatalf("synthetic layout has %d tensors, sdxl_keys.txt %d (want 2515)", len(ts), len(want))
	}
	var total int64
	for _, st := range ts {
		w, ok := want[st.name]
		if !ok {
			t.Errorf("%s: not in sdxl_keys.txt", st.name)
			continue
		}
		if !slices.Equal(st.shape, w.Shape) && !(len(st.shape) == 0 && len(w.Shape) == 0) || string(st.dtype) != w.DType {
			t.Errorf("%s: %v %s, want %v %s", st.name, st.shape, st.dtype, w.Shape, w.DType)
		}
		total += st.size
	}
	t.Logf("SDXL synthetic data: %.2f GB", float64(total)/1e9)
}

// TestSyntheticSmall writes the small configuration twice: the files are
// byte-identical, and detection reads back the configuration they were
// written from.
func TestSyntheticSmall(t *testing.T) {
	dir := t.TempDir()
	sc, err := SynthConfigByName(SynthSmall)
	if err != nil {
		t.Fatal(err)
	}
	var files [2][]byte
	for i := range files {
		path := filepath.Join(dir, []string{"a.safetensors", "b.safetensors"}[i])
		size, err := WriteSynthetic(path, sc)
		if err != nil {
			t.Fatal(err)
		}
		if files[i], err = os.ReadFile(path); err != nil {
			t.Fatal(err)
		}
		if int64(len(files[i])) != size {
			t.Fatalf("reported size %d, file has %d bytes", size, len(files[i]))
		}
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Fatal("two writes of the same configuration differ")
	}
	t.Logf("small synthetic checkpoint: %.1f MB", float64(len(files[0]))/1e6)
	got, err := Inspect(filepath.Join(dir, "a.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(sc.Config)
	if string(gj) != string(wj) {
		t.Errorf("detected %s\nwant %s", gj, wj)
	}
	f, err := safetensors.Open(filepath.Join(dir, "a.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	norm, err := f.Float32(prefixUNet + "out.0.weight")
	if err != nil {
		t.Fatal(err)
	}
	if len(norm) == 0 || norm[0] != 1 || norm[len(norm)-1] != 1 {
		t.Errorf("norm weight %v, want ones", norm[:min(4, len(norm))])
	}
}

// TestSDXLBaseConfigMatchesDetect: the literal configuration is what
// detection reads from the real key list.
func TestSDXLBaseConfigMatchesDetect(t *testing.T) {
	got, err := Detect(sdxlKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(SDXLBaseConfig())
	if string(gj) != string(wj) {
		t.Errorf("detected %s\nliteral  %s", gj, wj)
	}
}

func TestSynthConfigByNameUnknown(t *testing.T) {
	if _, err := SynthConfigByName("flux"); err == nil {
		t.Fatal("unknown name accepted")
	}
	if _, err := WriteSynthetic(filepath.Join(t.TempDir(), "x.safetensors"), SynthConfig{}); err == nil {
		t.Fatal("nil configuration accepted")
	}
}
