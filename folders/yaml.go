package folders

import (
	"fmt"
	"strings"
)

// yamlParser reads the two-level mapping of extra_model_paths.yaml line by
// line. It knows just enough YAML for the files ComfyUI documents.
type yamlParser struct {
	lines []string
	i     int
}

func (p *yamlParser) parse() ([]ExtraSection, error) {
	var out []ExtraSection
	var cur *ExtraSection
	sectionIndent := -1
	for ; p.i < len(p.lines); p.i++ {
		line := p.lines[p.i]
		if isBlank(line) || strings.TrimSpace(line) == "---" {
			continue
		}
		indent := indentOf(line)
		if strings.Contains(line[:indent], "\t") {
			return nil, p.errorf("tab in indentation")
		}
		key, val, err := p.keyValue(line[indent:])
		if err != nil {
			return nil, err
		}
		if indent == 0 {
			if val != "" {
				return nil, p.errorf("section %q must hold key: value pairs", key)
			}
			out = append(out, ExtraSection{Name: key})
			cur, sectionIndent = &out[len(out)-1], -1
			continue
		}
		if cur == nil {
			return nil, p.errorf("indented line outside a section")
		}
		if sectionIndent < 0 {
			sectionIndent = indent
		} else if indent != sectionIndent {
			return nil, p.errorf("inconsistent indentation")
		}
		if err := p.addEntry(cur, key, val, indent); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (p *yamlParser) addEntry(s *ExtraSection, key, val string, indent int) error {
	text, err := p.scalar(val, indent)
	if err != nil {
		return err
	}
	switch key {
	case "base_path":
		s.BasePath = text
	case "is_default":
		b, ok := yamlBool(text)
		if !ok {
			return p.errorf("is_default: want true or false, got %q", text)
		}
		s.IsDefault = b
	default:
		var paths []string
		for _, l := range strings.Split(text, "\n") {
			if l != "" {
				paths = append(paths, l)
			}
		}
		s.Entries = append(s.Entries, ExtraEntry{Kind: key, Paths: paths})
	}
	return nil
}

// keyValue splits "key: value # comment" (value may be empty).
func (p *yamlParser) keyValue(s string) (string, string, error) {
	if strings.HasPrefix(s, "- ") || s == "-" {
		return "", "", p.errorf("lists are not supported")
	}
	key, val, ok := strings.Cut(s, ":")
	if !ok || (val != "" && val[0] != ' ' && val[0] != '\t') {
		return "", "", p.errorf("want key: value")
	}
	key = strings.TrimSpace(key)
	if unq, ok := unquote(key); ok {
		key = unq
	}
	if key == "" {
		return "", "", p.errorf("empty key")
	}
	return key, stripComment(strings.TrimSpace(val)), nil
}

// scalar turns a value into text, reading the following lines for a block
// scalar.
func (p *yamlParser) scalar(val string, indent int) (string, error) {
	switch {
	case val == "" || val == "~" || val == "null":
		return "", nil
	case val[0] == '|' || val[0] == '>':
		return p.block(val, indent)
	case val[0] == '"' || val[0] == '\'':
		s, ok := unquote(val)
		if !ok {
			return "", p.errorf("unterminated or multi-line quoted string")
		}
		return s, nil
	case strings.ContainsAny(val[:1], "[{&*!"):
		return "", p.errorf("unsupported YAML value %q", val)
	}
	return val, nil
}

// block reads a "|" (literal) or ">" (folded) block scalar whose lines are
// indented deeper than the key. Chomping follows YAML: "-" strips the final
// newline, the default keeps one, "+" keeps all.
func (p *yamlParser) block(header string, keyIndent int) (string, error) {
	folded, chomp := header[0] == '>', header[1:]
	if chomp != "" && chomp != "-" && chomp != "+" {
		return "", p.errorf("unsupported block header %q", header)
	}
	var lines []string
	blockIndent := -1
	for p.i+1 < len(p.lines) {
		next := p.lines[p.i+1]
		if strings.TrimSpace(next) == "" { // "#" lines are content here
			lines = append(lines, "")
			p.i++
			continue
		}
		ind := indentOf(next)
		if ind <= keyIndent {
			break
		}
		if blockIndent < 0 {
			blockIndent = ind
		}
		if ind < blockIndent {
			return "", p.errorf("block scalar line less indented than its first line")
		}
		lines = append(lines, next[blockIndent:])
		p.i++
	}
	return chompBlock(lines, folded, chomp), nil
}

func chompBlock(lines []string, folded bool, chomp string) string {
	trailing := 0
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
		trailing++
	}
	sep := "\n"
	if folded {
		sep = " "
	}
	s := strings.Join(lines, sep)
	switch {
	case s == "":
		return ""
	case chomp == "-":
		return s
	case chomp == "+":
		return s + strings.Repeat("\n", trailing+1)
	}
	return s + "\n"
}

func (p *yamlParser) errorf(format string, args ...any) error {
	return fmt.Errorf("line %d: "+format, append([]any{p.i + 1}, args...)...)
}

func isBlank(line string) bool {
	t := strings.TrimSpace(line)
	return t == "" || t[0] == '#'
}

func indentOf(line string) int { return len(line) - len(strings.TrimLeft(line, " \t")) }

// stripComment removes a " #" comment from a plain value; quoted values
// keep a "#" inside the quotes.
func stripComment(v string) string {
	if v != "" && (v[0] == '"' || v[0] == '\'') {
		if end := closingQuote(v); end > 0 {
			return v[:end+1]
		}
		return v
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = v[:i]
	}
	if strings.HasPrefix(v, "#") {
		return ""
	}
	return strings.TrimSpace(v)
}

func closingQuote(v string) int {
	q := v[0]
	for i := 1; i < len(v); i++ {
		switch {
		case q == '"' && v[i] == '\\':
			i++
		case q == '\'' && v[i] == '\'' && i+1 < len(v) && v[i+1] == '\'':
			i++
		case v[i] == q:
			return i
		}
	}
	return -1
}

// unquote handles '...' (with ” escapes) and "..." (with the common
// backslash escapes); ok is false when v is not one quoted string.
func unquote(v string) (string, bool) {
	if len(v) < 2 || (v[0] != '"' && v[0] != '\'') || closingQuote(v) != len(v)-1 {
		return v, false
	}
	body := v[1 : len(v)-1]
	if v[0] == '\'' {
		return strings.ReplaceAll(body, "''", "'"), true
	}
	r := strings.NewReplacer(`\\`, `\`, `\"`, `"`, `\n`, "\n", `\t`, "\t", `\/`, "/")
	return r.Replace(body), true
}

// yamlBool reads YAML 1.1 booleans as PyYAML does.
func yamlBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "yes", "on":
		return true, true
	case "false", "no", "off", "":
		return false, true
	}
	return false, false
}
