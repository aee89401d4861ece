package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// contractions are the English suffixes the CLIP pattern keeps as one
// pre-token, in the pattern's order.
var contractions = [...]string{"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"}

// scanPreTokens splits cleaned text the way CLIP's pattern
//
//	<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
//
// does under re.IGNORECASE, calling emit for each match. Go's regexp could
// express it too, but a scanner states the alternation order plainly and
// handles the case-insensitive literals (e.g. "ſ" matching "s").
func scanPreTokens(text string, emit func(string)) {
	for i := 0; i < len(text); {
		n := matchAt(text[i:])
		if n > 0 {
			emit(text[i : i+n])
			i += n
			continue
		}
		_, size := utf8.DecodeRuneInString(text[i:])
		i += size // whitespace: no alternative matches here
	}
}

// matchAt returns the length of the pattern's match at the start of s, or 0.
func matchAt(s string) int {
	switch s[0] {
	case '<':
		for _, lit := range [...]string{startText, endText} {
			if n := foldPrefix(s, lit); n > 0 {
				return n
			}
		}
	case '\'':
		for _, lit := range contractions {
			if n := foldPrefix(s, lit); n > 0 {
				return n
			}
		}
	}
	r, size := utf8.DecodeRuneInString(s)
	switch {
	case r == unmatchable:
		return 0
	case unicode.IsLetter(r):
		return size + runLen(s[size:], unicode.IsLetter)
	case unicode.IsNumber(r):
		return size
	case unicode.IsSpace(r):
		return 0
	}
	return size + runLen(s[size:], isSymbol)
}

// unmatchable is the one character no alternative matches: U+0345
// (combining ypogegrammeni, Mn) case-folds to the letter ι, and under
// IGNORECASE the regex module then keeps it out of both the letter class and
// the negated class. Verified over every code point with the regex module.
const unmatchable = 0x345

// isSymbol is [^\s\p{L}\p{N}] as matched under IGNORECASE.
func isSymbol(r rune) bool {
	return r != unmatchable && !unicode.IsSpace(r) && !unicode.IsLetter(r) && !unicode.IsNumber(r)
}

// runLen is the byte length of the leading run of s whose runes satisfy ok.
func runLen(s string, ok func(rune) bool) int {
	n := 0
	for n < len(s) {
		r, size := utf8.DecodeRuneInString(s[n:])
		if !ok(r) {
			break
		}
		n += size
	}
	return n
}

// foldPrefix matches the ASCII literal lit at the start of s ignoring case
// (simple case folding, as the regex engine's IGNORECASE) and returns the
// matched byte length, or 0.
func foldPrefix(s, lit string) int {
	n := 0
	for k := 0; k < len(lit); k++ {
		if n >= len(s) {
			return 0
		}
		r, size := utf8.DecodeRuneInString(s[n:])
		if !foldEq(r, rune(lit[k])) {
			return 0
		}
		n += size
	}
	return n
}

// foldEq reports whether r and c are equal under simple case folding.
func foldEq(r, c rune) bool {
	if r == c {
		return true
	}
	for f := unicode.SimpleFold(c); f != c; f = unicode.SimpleFold(f) {
		if f == r {
			return true
		}
	}
	return false
}
