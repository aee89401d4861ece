package tokenizer

import (
	"errors"
	"strings"

	"sumi/pyfmt"
)

// MaxNesting is the deepest parenthesis nesting accepted. ComfyUI parses
// nesting recursively and fails with Python's RecursionError somewhat below
// 1000 levels; sumi fails with [ErrNesting] instead of using unbounded time.
const MaxNesting = 900

// ErrNesting is returned for prompts whose weight parentheses nest deeper
// than [MaxNesting].
var ErrNesting = errors.New("tokenizer: parentheses nested too deeply")

// ComfyUI hides escaped parentheses behind these control sequences while it
// parses weights (so a literal "\x00\x01" in a prompt also comes out as ")").
const (
	escClose = "\x00\x01"
	escOpen  = "\x00\x02"
)

// segment is a piece of prompt text with the weight of all its tokens.
type segment struct {
	text   string
	weight float64
}

func escapeParens(s string) string {
	s = strings.ReplaceAll(s, `\)`, escClose)
	return strings.ReplaceAll(s, `\(`, escOpen)
}

func unescapeParens(s string) string {
	s = strings.ReplaceAll(s, escClose, ")")
	return strings.ReplaceAll(s, escOpen, "(")
}

// weightSegments splits an (escaped) prompt into weighted segments as
// ComfyUI's token_weights does: "(x)" multiplies the weight by 1.1, and
// "(x:w)" sets it to w when the text after the last colon parses as a
// Python float.
func weightSegments(s string) ([]segment, error) {
	return tokenWeights(s, 1.0, 0, nil)
}

func tokenWeights(s string, weight float64, depth int, out []segment) ([]segment, error) {
	if depth > MaxNesting {
		return nil, ErrNesting
	}
	for _, part := range splitParens(s) {
		if len(part) < 2 || part[0] != '(' || part[len(part)-1] != ')' {
			out = append(out, segment{part, weight})
			continue
		}
		inner := part[1 : len(part)-1]
		w := weight * 1.1
		if i := strings.LastIndexByte(inner, ':'); i > 0 {
			if f, ok := pyfmt.ParseFloat(inner[i+1:]); ok {
				w, inner = f, inner[:i]
			}
		}
		var err error
		if out, err = tokenWeights(inner, w, depth+1, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// splitParens is ComfyUI's parse_parentheses: top-level text runs and
// balanced "( ... )" groups, in order. A stray ")" drives the depth negative,
// after which nothing closes a group and the rest stays one run; an
// unclosed "(" leaves the rest as one run starting with "(".
func splitParens(s string) []string {
	var parts []string
	start, depth := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			if depth == 0 && i > start {
				parts = append(parts, s[start:i])
				start = i
			}
			depth++
		case ')':
			depth--
			if depth == 0 {
				parts = append(parts, s[start:i+1])
				start = i + 1
			}
		}
	}
	if start < len(s) {
		parts = append(parts, s[start:])
	}
	return parts
}
