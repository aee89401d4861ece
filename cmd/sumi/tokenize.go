package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"sumi/tokenizer"
)

func init() {
	register("tokenize", command{
		summary: "show how a prompt is tokenized for SDXL's encoders",
		run:     runTokenize,
	})
}

const tokenizeUsage = `usage: sumi tokenize [--json] PROMPT...

Shows the 77-token chunks ComfyUI builds from PROMPT for SDXL's CLIP-L and
CLIP-G encoders, with the token count of each chunk (75 fit) and the weights.
Several arguments are joined with spaces; "-" reads the prompt from stdin.
  --json   print {"l": {"ids": [...], "weights": [...]}, "g": {...}} as ComfyUI's
           CLIP.tokenize returns it
`

func runTokenize(args []string, stdout, stderr io.Writer) int {
	asJSON, words, err := parseTokenizeArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "sumi tokenize: %v\n%s", err, tokenizeUsage)
		return 2
	}
	if words == nil {
		fmt.Fprint(stderr, tokenizeUsage)
		return 2
	}
	prompt := strings.Join(words, " ")
	if len(words) == 1 && words[0] == "-" {
		data, err := io.ReadAll(os.Stdin)
		if err != nil {
			fmt.Fprintf(stderr, "sumi tokenize: %v\n", err)
			return 1
		}
		prompt = strings.TrimSuffix(string(data), "\n")
	}
	seen := map[string]bool{}
	warn := func(msg string) { // ComfyUI warns once per encoder; once is enough here
		if !seen[msg] {
			seen[msg] = true
			fmt.Fprintf(stderr, "sumi tokenize: %s\n", msg)
		}
	}
	tok := tokenizer.New()
	rows, err := tok.SDXL(prompt, tokenizer.Options{Warn: warn})
	if err != nil {
		fmt.Fprintf(stderr, "sumi tokenize: %v\n", err)
		return 1
	}
	if asJSON {
		// MarshalJSON directly: json.Marshal would refuse NaN weights,
		// which ComfyUI writes as NaN.
		b, _ := rows.Layout().MarshalJSON()
		fmt.Fprintf(stdout, "%s\n", b)
		return 0
	}
	printChunks(stdout, tok, rows)
	return 0
}

// parseTokenizeArgs accepts --json anywhere (so it may follow the prompt)
// and "--" before a prompt that starts with a dash. words is nil when no
// prompt was given.
func parseTokenizeArgs(args []string) (asJSON bool, words []string, err error) {
	for i, a := range args {
		switch {
		case a == "--":
			return asJSON, append(words, args[i+1:]...), nil
		case a == "--json" || a == "-json":
			asJSON = true
		case a == "-h" || a == "--help" || a == "-help":
			return false, nil, nil
		case len(a) > 1 && a[0] == '-':
			return false, nil, fmt.Errorf("unknown flag %s", a)
		default:
			words = append(words, a)
		}
	}
	return asJSON, words, nil
}

func printChunks(w io.Writer, tok *tokenizer.Tokenizer, rows tokenizer.SDXLTokens) {
	// CLIP-G pads with 0, so its closing end token is simply the last
	// non-zero id; CLIP-L pads with the end token, which a typed
	// <|endoftext|> would make ambiguous. Both hold the same count.
	counts := make([]int, len(rows.G))
	total := 0
	for i, row := range rows.G {
		i0 := len(row) - 1
		for i0 > 0 && row[i0].ID == 0 {
			i0--
		}
		counts[i] = i0 - 1
		total += counts[i]
	}
	fmt.Fprintf(w, "%d tokens in %d chunk(s) of up to 75; weights other than 1 shown as (tokens:weight)\n", total, len(rows.G))
	printEncoder(w, tok, "l (CLIP-L, padded with the end token)", rows.L, nil, counts)
	printEncoder(w, tok, "g (CLIP-G, padded with 0)", rows.G, rows.L, counts)
}

// printEncoder lists one encoder's chunks; when they hold the same content
// as the other encoder's (same), it says so instead of repeating them.
func printEncoder(w io.Writer, tok *tokenizer.Tokenizer, title string, rows, same [][]tokenizer.Token, counts []int) {
	if same != nil && sameContent(rows, same, counts) {
		fmt.Fprintf(w, "%s: same tokens as l\n", title)
		return
	}
	fmt.Fprintf(w, "%s:\n", title)
	for i, row := range rows {
		n := counts[i]
		fmt.Fprintf(w, "  chunk %d: %d/75 tokens\n", i+1, n)
		for _, line := range wrap(renderTokens(tok, row[1:1+n]), 96) {
			fmt.Fprintf(w, "    %s\n", line)
		}
	}
}

func sameContent(a, b [][]tokenizer.Token, counts []int) bool {
	for r := range a {
		for j := 1; j <= counts[r]; j++ {
			if a[r][j].ID != b[r][j].ID || a[r][j].Weight != b[r][j].Weight {
				return false
			}
		}
	}
	return true
}

// renderTokens writes tokens as text: pieces of one word joined by "·",
// words separated by spaces, runs of equal weight other than 1 wrapped as
// "(text:weight)".
func renderTokens(tok *tokenizer.Tokenizer, toks []tokenizer.Token) []string {
	var words []string
	var cur strings.Builder
	for i, t := range toks {
		if i == 0 || t.Weight != toks[i-1].Weight {
			if t.Weight != 1 {
				cur.WriteByte('(')
			}
		}
		text, endsWord := tokenText(tok, t)
		cur.WriteString(text)
		closes := i == len(toks)-1 || toks[i+1].Weight != t.Weight
		if closes && t.Weight != 1 {
			cur.WriteString(":" + strconv.FormatFloat(t.Weight, 'g', 4, 64) + ")")
		}
		if endsWord || closes {
			words = append(words, cur.String())
			cur.Reset()
		} else {
			cur.WriteString("·")
		}
	}
	return words
}

func tokenText(tok *tokenizer.Tokenizer, t tokenizer.Token) (string, bool) {
	if t.ID == tokenizer.EmbeddingID {
		return "<embedding>", true
	}
	text, endsWord := tok.Text(t.ID)
	if !utf8.ValidString(text) {
		// A piece holding part of a multi-byte character.
		text = strings.Trim(strconv.QuoteToASCII(text), `"`)
	}
	return text, endsWord
}

// wrap joins words into lines of at most width bytes where possible.
func wrap(words []string, width int) []string {
	var lines []string
	line := ""
	for _, w := range words {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
