package lora

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"sumi/safetensors"
	"sumi/tensor"
)

// ErrFormat is wrapped by errors about a file that is not a usable LoRA.
var ErrFormat = errors.New("lora: not a LoRA file")

// Adapter is one low-rank pair of a LoRA file: the weight named by its
// base key changes by up @ down (with a LoCon mid factor folded in).
type Adapter struct {
	// Name is the base key in the file, e.g. lora_unet_input_blocks_4_1_..._to_q.
	Name string
	// Up is [out, rank] (1×1 conv factors flattened), Down is [rank, in·kh·kw].
	Up, Down *tensor.Tensor
	// Rank is the rank the alpha is divided by: rows of the file's down
	// factor, before any mid factor is folded in.
	Rank int
	// Alpha is the stored alpha; HasAlpha is false when the file has none
	// (ComfyUI then scales by 1).
	Alpha    float64
	HasAlpha bool
}

// File is a parsed LoRA.
type File struct {
	// Path is the file the adapters came from.
	Path string
	// Adapters are sorted by Name.
	Adapters []Adapter
	// Unsupported lists keys of adapter kinds sumi does not apply (LoHa,
	// LoKr, DoRA scales, full weight diffs); they are never silently used.
	Unsupported []string
}

// factor suffixes: up, down and mid spellings ComfyUI accepts, per base key.
var factorSuffixes = []struct{ up, down, mid string }{
	{".lora_up.weight", ".lora_down.weight", ".lora_mid.weight"},
	{"_lora.up.weight", "_lora.down.weight", ""},
	{".lora.up.weight", ".lora.down.weight", ""},
	{".lora_B.weight", ".lora_A.weight", ""},
}

// Open reads a LoRA .safetensors file.
func Open(path string) (*File, error) {
	st, err := safetensors.Open(path)
	if err != nil {
		return nil, fmt.Errorf("lora: %w", err)
	}
	defer st.Close()
	return fromSafetensors(path, st)
}

// Parse reads a LoRA from the bytes of a .safetensors file.
func Parse(name string, data []byte) (*File, error) {
	st, err := safetensors.Parse(name, data)
	if err != nil {
		return nil, fmt.Errorf("lora: %w", err)
	}
	return fromSafetensors(name, st)
}

func fromSafetensors(path string, st *safetensors.File) (*File, error) {
	f := &File{Path: path}
	used := map[string]bool{}
	names := st.Names()
	sort.Strings(names)
	for _, name := range names {
		for _, sfx := range factorSuffixes {
			base, ok := strings.CutSuffix(name, sfx.up)
			if !ok {
				continue
			}
			a, err := readAdapter(st, base, sfx.up, sfx.down, sfx.mid, used)
			if err != nil {
				return nil, fmt.Errorf("lora: %s: %w", path, err)
			}
			f.Adapters = append(f.Adapters, a)
			break
		}
	}
	for _, name := range names {
		if !used[name] && !strings.HasSuffix(name, ".alpha") {
			f.Unsupported = append(f.Unsupported, name)
		}
	}
	if len(f.Adapters) == 0 {
		return nil, fmt.Errorf("%w: %s has no lora_up/lora_down pairs", ErrFormat, path)
	}
	sort.Slice(f.Adapters, func(i, j int) bool { return f.Adapters[i].Name < f.Adapters[j].Name })
	return f, nil
}

// readAdapter loads one up/down(/mid) triple and its alpha.
func readAdapter(st *safetensors.File, base, upSfx, downSfx, midSfx string, used map[string]bool) (Adapter, error) {
	a := Adapter{Name: base}
	up, err := readFactor(st, base+upSfx)
	if err != nil {
		return a, err
	}
	down, err := readFactor(st, base+downSfx)
	if err != nil {
		return a, err
	}
	used[base+upSfx], used[base+downSfx] = true, true
	if len(up.Shape) < 2 || len(down.Shape) < 2 || up.Shape[1] != down.Shape[0] || down.Shape[0] == 0 {
		return a, fmt.Errorf("%s: up %v and down %v do not multiply", base, up.Shape, down.Shape)
	}
	a.Rank = down.Shape[0]
	if midSfx != "" {
		if _, ok := st.Tensor(base + midSfx); ok {
			mid, err := readFactor(st, base+midSfx)
			if err != nil {
				return a, err
			}
			used[base+midSfx] = true
			if down, err = foldMid(down, mid); err != nil {
				return a, fmt.Errorf("%s: %w", base, err)
			}
		}
	}
	if _, ok := st.Tensor(base + ".alpha"); ok {
		v, err := st.Float32(base + ".alpha")
		if err != nil || len(v) != 1 {
			return a, fmt.Errorf("%s.alpha: want one number", base)
		}
		a.Alpha, a.HasAlpha = float64(v[0]), true
	}
	a.Up = flatten2(up)
	a.Down = flatten2(down)
	return a, nil
}

// readFactor reads a float tensor as float32.
func readFactor(st *safetensors.File, name string) (*tensor.Tensor, error) {
	t, ok := st.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("%s is missing", name)
	}
	if !t.DType.IsFloat() {
		return nil, fmt.Errorf("%s: dtype %s, want a float type", name, t.DType)
	}
	data, err := st.Float32(name)
	if err != nil {
		return nil, err
	}
	shape := make([]int, len(t.Shape))
	for i, d := range t.Shape {
		shape[i] = int(d)
	}
	return tensor.FromData(data, shape...), nil
}

// flatten2 views a factor as a matrix (torch's flatten(start_dim=1)).
func flatten2(t *tensor.Tensor) *tensor.Tensor {
	cols := 1
	for _, d := range t.Shape[1:] {
		cols *= d
	}
	return tensor.FromData(t.Data, t.Shape[0], cols)
}

// foldMid combines a LoCon down [r,in,1,1] with its mid [r,r,kh,kw] into
// one down factor [r, in, kh, kw] as ComfyUI does before the product:
// down'[a,i,y,x] = Σ_b down[b,i]·mid[a,b,y,x].
func foldMid(down, mid *tensor.Tensor) (*tensor.Tensor, error) {
	r := down.Shape[0]
	in := len(down.Data) / r
	if len(mid.Shape) != 4 || mid.Shape[0] != r || mid.Shape[1] != r || in != down.Shape[1] {
		return nil, fmt.Errorf("lora_mid %v does not fit down %v", mid.Shape, down.Shape)
	}
	k := mid.Shape[2] * mid.Shape[3]
	out := tensor.New(r, in, mid.Shape[2], mid.Shape[3])
	for a := 0; a < r; a++ {
		for i := 0; i < in; i++ {
			for p := 0; p < k; p++ {
				var s float32
				for b := 0; b < r; b++ {
					s += down.Data[b*in+i] * mid.Data[(a*r+b)*k+p]
				}
				out.Data[(a*in+i)*k+p] = s
			}
		}
	}
	return out, nil
}
