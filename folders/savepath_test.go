package folders

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNextSavePath(t *testing.T) {
	now := time.Date(2026, 1, 7, 9, 5, 3, 0, time.Local)
	existing := []string{"ComfyUI_00001_.png", "ComfyUI_00007_.png", "ComfyUI_00003_.webp",
		"ComfyUI_00008.png", "comfyui_00099_.png", "ComfyUIx_00050_.png", "ComfyUI_ 00006_.png"}
	tests := []struct {
		name, prefix       string
		files              []string
		w, h               int
		wantDir, wantFile  string
		wantSub, wantFirst string // wantFirst: FileName(0)
		wantCounter        int
	}{
		// The spec's example, checked against ComfyUI's own function.
		{"spec listing", "ComfyUI", existing, 64, 64, "", "ComfyUI", "", "ComfyUI_00008_.png", 8},
		{"empty folder", "ComfyUI", nil, 64, 64, "", "ComfyUI", "", "ComfyUI_00001_.png", 1},
		{"subfolder", "sdxl/anime", nil, 64, 64, "sdxl", "anime", "sdxl", "anime_00001_.png", 1},
		{"tokens", "img_%width%x%height%_%year%", nil, 640, 480, "", "img_640x480_2026", "", "img_640x480_2026_00001_.png", 1},
		{"time tokens", "%month%-%day% %hour%.%minute%.%second%", nil, 1, 1, "", "01-07 09.05.03", "", "01-07 09.05.03_00001_.png", 1},
		{"date token", "x/%date:yyyy-MM-dd%_%date:yy.M.d hh:m:s%", nil, 1, 1, "x", "2026-01-07_26.1.7 09:5:3", "x", "2026-01-07_26.1.7 09:5:3_00001_.png", 1},
		{"batch num", "p_%batch_num%", []string{"p_%batch_num%_00004_.png"}, 1, 1, "", "p_%batch_num%", "", "p_0_00005_.png", 5},
		{"inner dotdot stays inside", "a/../b", nil, 1, 1, "", "b", "", "b_00001_.png", 1},
		{"unicode prefix", "画像", []string{"画像_00002_.png"}, 1, 1, "", "画像", "", "画像_00003_.png", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			touch(t, filepath.Join(out, tc.wantSub), tc.files...)
			sp, err := NextSavePath(out, tc.prefix, tc.w, tc.h, now)
			if err != nil {
				t.Fatal(err)
			}
			if sp.Dir != filepath.Join(out, tc.wantDir) || sp.Filename != tc.wantFile ||
				sp.Subfolder != tc.wantSub || sp.Counter != tc.wantCounter || sp.FileName(0) != tc.wantFirst {
				t.Errorf("got %+v first %q", sp, sp.FileName(0))
			}
			if st, err := os.Stat(sp.Dir); err != nil || !st.IsDir() {
				t.Errorf("folder %s not created", sp.Dir)
			}
		})
	}
}

func TestNextSavePathBatchNames(t *testing.T) {
	sp := SavePath{Filename: "b%batch_num%", Counter: 9}
	for i, want := range []string{"b0_00009_.png", "b1_00010_.png", "b2_00011_.png"} {
		if got := sp.FileName(i); got != want {
			t.Errorf("FileName(%d) = %q, want %q", i, got, want)
		}
	}
}

func TestNextSavePathOutside(t *testing.T) {
	out := t.TempDir()
	for _, prefix := range []string{"../escape", "a/../../x", "/abs/x", "x\x00y"} {
		if _, err := NextSavePath(out, prefix, 1, 1, time.Now()); !errors.Is(err, ErrOutsideOutput) {
			t.Errorf("prefix %q: err = %v", prefix, err)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(out), "escape")); err == nil {
		t.Errorf("a folder was created outside")
	}
	_, err := NextSavePath(out, "../escape", 1, 1, time.Now())
	if want := "Saving image outside the output folder is not allowed"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v lacks %q", err, want)
	}
}

func TestPyInt(t *testing.T) {
	for in, want := range map[string]int{"00007": 7, " 12 ": 12, "+5": 5, "-3": -3, "x": 0, "": 0, "1.5": 0} {
		if got := pyInt(in); got != want {
			t.Errorf("pyInt(%q) = %d, want %d", in, got, want)
		}
	}
}
