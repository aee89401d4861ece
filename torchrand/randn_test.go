package torchrand

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"testing"
)

type rngVector struct {
	Seed   string    `json:"seed"`
	Shape  []int     `json:"shape"`
	SHA256 string    `json:"sha256_f32le"`
	First8 []float64 `json:"first8"`
	Last4  []float64 `json:"last4"`
}

type ancestralVector struct {
	SHA1       string    `json:"sha256_call1"`
	SHA2       string    `json:"sha256_call2"`
	Call2First []float64 `json:"call2_first4"`
}

type rngFile struct {
	AVX2      []rngVector `json:"avx2_path"`
	Scalar    []rngVector `json:"scalar_path_ATEN_CPU_CAPABILITY_default"`
	Ancestral struct {
		AVX2   ancestralVector `json:"avx2"`
		Scalar ancestralVector `json:"scalar"`
	} `json:"ancestral_cpu_generator_seed_plus_one"`
}

func loadRNG(t testing.TB) rngFile {
	t.Helper()
	raw, err := os.ReadFile("../testdata/spec/rng_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f rngFile
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func hashF32(d []float32) string {
	b := make([]byte, 4*len(d))
	for i, v := range d {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func checkVector(t *testing.T, v rngVector, k Kernel) {
	seed, err := strconv.ParseUint(v.Seed, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	g := New(seed)
	g.SetKernel(k)
	x := g.Randn(v.Shape...)
	for i, want := range v.First8 {
		if i < len(x.Data) && x.Data[i] != float32(want) {
			t.Errorf("first8[%d] = %.9g, want %.9g", i, x.Data[i], want)
		}
	}
	for i, want := range v.Last4 {
		j := len(x.Data) - len(v.Last4) + i
		if j >= 0 && x.Data[j] != float32(want) {
			t.Errorf("last4[%d] = %.9g, want %.9g", i, x.Data[j], want)
		}
	}
	if got := hashF32(x.Data); got != v.SHA256 {
		t.Errorf("sha256 = %s, want %s", got, v.SHA256)
	}
}

// TestRandnAVX2 checks every AVX2-path vector of rng_vectors.json bit for bit
// (sha256 over all values plus the listed first/last values).
func TestRandnAVX2(t *testing.T) { checkVectors(t, loadRNG(t).AVX2, KernelAVX2) }

// TestRandnScalar checks every vector of torch's non-vectorised kernel
// (ATEN_CPU_CAPABILITY=default) bit for bit.
func TestRandnScalar(t *testing.T) { checkVectors(t, loadRNG(t).Scalar, KernelScalar) }

func checkVectors(t *testing.T, vs []rngVector, k Kernel) {
	if len(vs) == 0 {
		t.Fatal("no vectors")
	}
	for _, v := range vs {
		t.Run(fmt.Sprintf("seed%s_%v", v.Seed, v.Shape), func(t *testing.T) { checkVector(t, v, k) })
	}
}

// TestAncestralStream checks two successive randn calls of a generator
// seeded with 42+1, as ComfyUI's default noise sampler draws them on the CPU.
func TestAncestralStream(t *testing.T) {
	f := loadRNG(t)
	for _, k := range []struct {
		name   string
		kernel Kernel
		want   ancestralVector
	}{{"avx2", KernelAVX2, f.Ancestral.AVX2}, {"scalar", KernelScalar, f.Ancestral.Scalar}} {
		t.Run(k.name, func(t *testing.T) { checkAncestral(t, k.kernel, k.want) })
	}
}

func checkAncestral(t *testing.T, kernel Kernel, a ancestralVector) {
	g := New(42 + 1)
	g.SetKernel(kernel)
	shape := []int{1, 4, 8, 8} // the file does not say; 256 values reproduce both hashes
	c1 := g.Randn(shape...)
	c2 := g.Randn(shape...)
	if got := hashF32(c1.Data); got != a.SHA1 {
		t.Errorf("call1 sha256 = %s, want %s", got, a.SHA1)
	}
	if got := hashF32(c2.Data); got != a.SHA2 {
		t.Errorf("call2 sha256 = %s, want %s", got, a.SHA2)
	}
	for i, want := range a.Call2First {
		if c2.Data[i] != float32(want) {
			t.Errorf("call2[%d] = %.9g, want %.9g", i, c2.Data[i], want)
		}
	}
}

// TestFMA32 checks the float32 fused multiply-add on cases where rounding
// the float64 sum to float32 would round twice.
func TestFMA32(t *testing.T) {
	for _, tc := range []struct{ a, b, c, want float32 }{
		{1, 1, 2, 3},
		{0x1p-24 + 0x1p-47, 1, 1, 1 + 0x1p-23},
		// (1+2^-23)(2^-24−2^-47) = 2^-24 − 2^-70: the float64 sum with
		// 1+2^-23 is a float32 tie that rounds to even upwards, but the
		// exact sum lies just below it.
		{1 + 0x1p-23, 0x1p-24 - 0x1p-47, 1 + 0x1p-23, 1 + 0x1p-23},
		{-(1 + 0x1p-23), 0x1p-24 - 0x1p-47, -(1 + 0x1p-23), -(1 + 0x1p-23)},
	} {
		if got := fma32(tc.a, tc.b, tc.c); got != tc.want {
			t.Errorf("fma32(%g, %g, %g) = %.9g, want %.9g", tc.a, tc.b, tc.c, got, tc.want)
		}
	}
}
