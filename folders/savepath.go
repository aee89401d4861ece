package folders

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ErrOutsideOutput is the SaveImage failure for a prefix that points
// outside the output folder; its text carries ComfyUI's wording.
var ErrOutsideOutput = errors.New("folders: Saving image outside the output folder is not allowed")

// SavePath is where SaveImage writes a batch, as ComfyUI's
// get_save_image_path computes it.
type SavePath struct {
	// Dir is the absolute folder the files go into.
	Dir string
	// Filename is the last element of the prefix (still holding
	// %batch_num% if the prefix had it).
	Filename string
	// Counter is the number of the first file.
	Counter int
	// Subfolder is the folder part of the prefix, relative to the output
	// folder, as reported to the editor ("" for none).
	Subfolder string
	// Prefix is the prefix after token replacement.
	Prefix string
}

// FileName is the name of batch image i (counting from 0):
// "<filename>_<counter:05d>_.png" with %batch_num% replaced by i.
func (s SavePath) FileName(i int) string {
	name := strings.ReplaceAll(s.Filename, "%batch_num%", strconv.Itoa(i))
	return fmt.Sprintf("%s_%05d_.png", name, s.Counter+i)
}

// NextSavePath computes the folder, file name and first counter for saving
// images with prefix into outDir: %width%, %height%, %year%, %month%, %day%,
// %hour%, %minute% and %second% are replaced (now in local time), the
// prefix's folder part becomes the subfolder (created if missing), and the
// counter continues after the highest "<filename>_<n>_" already there.
func NextSavePath(outDir, prefix string, width, height int, now time.Time) (SavePath, error) {
	outDir, err := filepath.Abs(outDir)
	if err != nil {
		return SavePath{}, fmt.Errorf("folders: %w", err)
	}
	if strings.Contains(prefix, "%") {
		prefix = ReplaceSaveTokens(prefix, width, height, now)
	}
	norm := filepath.Clean(prefix)
	sp := SavePath{Filename: filepath.Base(norm), Subfolder: filepath.Dir(norm), Prefix: prefix}
	if sp.Subfolder == "." {
		sp.Subfolder = ""
	}
	sp.Dir = filepath.Join(outDir, sp.Subfolder)
	if filepath.IsAbs(sp.Subfolder) || !Within(outDir, sp.Dir) || strings.ContainsRune(prefix, 0) {
		return SavePath{}, fmt.Errorf("%w (prefix %q)", ErrOutsideOutput, prefix)
	}
	if sp.Counter, err = nextCounter(sp.Dir, pyBasename(prefix), sp.Filename); err != nil {
		return SavePath{}, err
	}
	return sp, nil
}

// nextCounter lists dir as ComfyUI does: for each entry the first
// len(base)+1 characters are the candidate prefix and the integer up to the
// next "_" the number (0 when it does not parse); the counter follows the
// largest number among entries whose candidate is filename+"_". The missing
// folder is created.
func nextCounter(dir, base, filename string) (int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return 0, fmt.Errorf("folders: %w", err)
		}
		return 1, nil
	}
	if err != nil {
		return 0, fmt.Errorf("folders: %w", err)
	}
	// Python slices by code point, so count runes, not bytes.
	n := len([]rune(base)) + 1
	best, found := 0, false
	for _, e := range entries {
		name := []rune(e.Name())
		cut := min(n, len(name))
		if string(name[:cut]) != filename+"_" {
			continue
		}
		digits := pyInt(strings.SplitN(string(name[cut:]), "_", 2)[0])
		if !found || digits > best {
			best, found = digits, true
		}
	}
	if !found {
		return 1, nil
	}
	return best + 1, nil
}

// pyBasename is os.path.basename: the part after the last "/", which is ""
// for a prefix ending in "/" (unlike filepath.Base). ComfyUI measures the
// candidate prefix length with it.
func pyBasename(p string) string { return p[strings.LastIndexByte(p, '/')+1:] }

// pyInt parses like Python's int(str): surrounding whitespace and a sign
// allowed; anything else is 0 (ComfyUI's except branch).
func pyInt(s string) int {
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0
	}
	return v
}

// ReplaceSaveTokens replaces the tokens ComfyUI's server understands in a
// filename prefix: %width%, %height%, %year%, %month%, %day%, %hour%,
// %minute%, %second% (zero-padded to two digits except the year). As a
// superset it also expands %date:FORMAT% (the frontend's token, see
// workflow-format.md §5.6) so API prompts and `sumi run` get dated names.
func ReplaceSaveTokens(prefix string, width, height int, now time.Time) string {
	two := func(v int) string { return fmt.Sprintf("%02d", v) }
	r := strings.NewReplacer(
		"%width%", strconv.Itoa(width), "%height%", strconv.Itoa(height),
		"%year%", strconv.Itoa(now.Year()), "%month%", two(int(now.Month())),
		"%day%", two(now.Day()), "%hour%", two(now.Hour()),
		"%minute%", two(now.Minute()), "%second%", two(now.Second()),
	)
	return replaceDateTokens(r.Replace(prefix), now)
}

// replaceDateTokens expands every %date:FORMAT% token.
func replaceDateTokens(s string, now time.Time) string {
	const open = "%date:"
	var b strings.Builder
	for {
		i := strings.Index(s, open)
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i+len(open):], '%')
		if j < 0 {
			break
		}
		b.WriteString(s[:i])
		b.WriteString(FormatDate(s[i+len(open):i+len(open)+j], now))
		s = s[i+len(open)+j+1:]
	}
	b.WriteString(s)
	return b.String()
}

// FormatDate applies the frontend's %date:FORMAT% letters: yyyy, yy, MM, M,
// dd, d, hh, h, mm, m, ss, s (doubled letters zero-padded, hours 0-23).
// Other characters are copied.
func FormatDate(format string, t time.Time) string {
	fields := []struct {
		tok string
		v   func() string
	}{
		{"yyyy", func() string { return fmt.Sprintf("%04d", t.Year()) }},
		{"yy", func() string { return fmt.Sprintf("%02d", t.Year()%100) }},
		{"MM", func() string { return fmt.Sprintf("%02d", int(t.Month())) }},
		{"M", func() string { return strconv.Itoa(int(t.Month())) }},
		{"dd", func() string { return fmt.Sprintf("%02d", t.Day()) }},
		{"d", func() string { return strconv.Itoa(t.Day()) }},
		{"hh", func() string { return fmt.Sprintf("%02d", t.Hour()) }},
		{"h", func() string { return strconv.Itoa(t.Hour()) }},
		{"mm", func() string { return fmt.Sprintf("%02d", t.Minute()) }},
		{"m", func() string { return strconv.Itoa(t.Minute()) }},
		{"ss", func() string { return fmt.Sprintf("%02d", t.Second()) }},
		{"s", func() string { return strconv.Itoa(t.Second()) }},
	}
	var b strings.Builder
next:
	for i := 0; i < len(format); {
		for _, f := range fields {
			if strings.HasPrefix(format[i:], f.tok) {
				b.WriteString(f.v())
				i += len(f.tok)
				continue next
			}
		}
		b.WriteByte(format[i])
		i++
	}
	return b.String()
}
