package tokenizer

import (
	"errors"
	"strings"
	"testing"
)

// TestWeightSegments runs the parser examples of spec/sdxl.md §5.4, which
// were checked against ComfyUI's own functions, plus a few edge cases.
func TestWeightSegments(t *testing.T) {
	seg := func(text string, w float64) segment { return segment{text, w} }
	tests := []struct {
		prompt string
		want   []segment
	}{
		{"a (b) c", []segment{seg("a ", 1), seg("b", 1.1), seg(" c", 1)}},
		{"((x))", []segment{seg("x", up*up)}},
		{"(a (b:2) c:0.5)", []segment{seg("a ", 0.5), seg("b", 2), seg(" c", 0.5)}},
		{"open (paren here", []segment{seg("open ", 1), seg("(paren here", 1)}},
		{"stray) (x) end", []segment{seg("stray) (x) end", 1)}},
		{`\(1st costume\) (y)`, []segment{seg("(1st costume) ", 1), seg("y", 1.1)}},
		{"(x:abc)", []segment{seg("x:abc", 1.1)}},
		{"(a:1.2:1.3)", []segment{seg("a:1.2", 1.3)}},
		{"[less]", []segment{seg("[less]", 1)}},
		{"((x:1.5))", []segment{seg("x", 1.5)}},
		{"(x: 0.7)", []segment{seg("x", 0.7)}},
		{"(:1.5)", []segment{seg(":1.5", 1.1)}},
		{"()", nil},
		{"", nil},
		{"a)((b))", []segment{seg("a)(", 1), seg("b", 1.1), seg(")", 1)}},
		{"((a)", []segment{seg("(a", 1.1)}},
		{"(x:1_0)", []segment{seg("x", 10)}},
		{"(x:-2)", []segment{seg("x", -2)}},
	}
	for _, tc := range tests {
		t.Run(tc.prompt, func(t *testing.T) {
			got, err := weightSegments(escapeParens(tc.prompt))
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				got[i].text = unescapeParens(got[i].text)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("segment %d: got %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestWeightNesting(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("(", n) + "x" + strings.Repeat(")", n) }
	segs, err := weightSegments(deep(MaxNesting))
	if err != nil || len(segs) != 1 || segs[0].text != "x" {
		t.Fatalf("nesting %d: %v, %v", MaxNesting, segs, err)
	}
	if _, err := weightSegments(deep(MaxNesting + 1)); !errors.Is(err, ErrNesting) {
		t.Fatalf("nesting %d: err %v, want ErrNesting", MaxNesting+1, err)
	}
	// Unclosed parentheses never recurse, however many there are.
	if _, err := weightSegments(strings.Repeat("(", 5000)); err != nil {
		t.Fatal(err)
	}
	if _, err := New().SDXL(deep(MaxNesting+1), Options{}); !errors.Is(err, ErrNesting) {
		t.Fatalf("SDXL: err %v, want ErrNesting", err)
	}
}

// up is the factor of one level of parentheses. It is a variable so that
// up*up is rounded at run time as in Python; the Go constant expression
// 1.1*1.1 would be exactly 1.21.
var up = 1.1
