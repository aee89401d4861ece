package tokenizer

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"sumi/pyfmt"
)

// basicClean does what CLIPTokenizer does to text when ftfy is missing (the
// usual ComfyUI install): Hugging Face's BasicTokenizer with accents kept and
// no punctuation split, whose words are then joined by single spaces.
// Steps: drop NUL, U+FFFD and control/format/private/unassigned characters;
// turn whitespace into spaces; put spaces around CJK ideographs; NFC; split
// on whitespace; lower-case each word as Python's str.lower does.
func basicClean(text string) string {
	if isASCII(text) {
		return asciiClean(text)
	}
	var b strings.Builder
	b.Grow(len(text))
	// An invalid UTF-8 byte ranges as U+FFFD and is dropped like it.
	for _, r := range text {
		switch {
		case r == 0 || r == 0xFFFD || isControl(r):
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || unicode.Is(unicode.Zs, r):
			b.WriteByte(' ')
		case isCJK(r):
			b.WriteByte(' ')
			b.WriteRune(r)
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	words := strings.FieldsFunc(norm.NFC.String(b.String()), pyfmt.IsSpace)
	for i, w := range words {
		words[i] = pyLower(w)
	}
	return strings.Join(words, " ")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// asciiClean is basicClean for ASCII text, where NFC changes nothing, the
// only controls are C0 and DEL, and lower-casing is A-Z.
func asciiClean(text string) string {
	out := make([]byte, 0, len(text))
	space := false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			space = len(out) > 0
			continue
		case c < 0x20 || c == 0x7F:
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		if space {
			out = append(out, ' ')
			space = false
		}
		out = append(out, c)
	}
	return string(out)
}

// isControl is BasicTokenizer's _is_control: any "C*" general category
// (Cc, Cf, Co, Cs and unassigned Cn) except tab, newline and carriage return.
func isControl(r rune) bool {
	if r == '\t' || r == '\n' || r == '\r' {
		return false
	}
	return unicode.Is(unicode.C, r) || !isAssigned(r)
}

var assignedTables = []*unicode.RangeTable{unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.C}

func isAssigned(r rune) bool { return unicode.In(r, assignedTables...) }

// isCJK reports the code point blocks BasicTokenizer treats as CJK ideographs.
func isCJK(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) ||
		(r >= 0x3400 && r <= 0x4DBF) ||
		(r >= 0x20000 && r <= 0x2A6DF) ||
		(r >= 0x2A700 && r <= 0x2B73F) ||
		(r >= 0x2B740 && r <= 0x2B81F) ||
		(r >= 0x2B820 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) ||
		(r >= 0x2F800 && r <= 0x2FA1F)
}

// pyLower lower-cases like Python's str.lower: the simple mapping plus the
// two rules that differ from it, U+0130 to "i̇" and the final sigma.
func pyLower(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	rs := []rune(s)
	for i, r := range rs {
		switch r {
		case 0x130:
			b.WriteString("i\u0307")
		case 0x3A3:
			if finalSigma(rs, i) {
				b.WriteRune(0x3C2)
			} else {
				b.WriteRune(0x3C3)
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// finalSigma is Unicode's Final_Sigma context as CPython tests it: a cased
// letter before (skipping case-ignorables) and none after.
func finalSigma(rs []rune, i int) bool {
	j := i - 1
	for j >= 0 && isCaseIgnorable(rs[j]) {
		j--
	}
	if j < 0 || !isCased(rs[j]) {
		return false
	}
	j = i + 1
	for j < len(rs) && isCaseIgnorable(rs[j]) {
		j++
	}
	return j == len(rs) || !isCased(rs[j])
}

func isCased(r rune) bool {
	return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) ||
		unicode.In(r, unicode.Other_Lowercase, unicode.Other_Uppercase)
}

func isCaseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', 0xB7, 0x387, 0x55F, 0x5F4, 0x2018, 0x2019, 0x2024, 0x2027, 0xFE13, 0xFE52, 0xFE55, 0xFF07, 0xFF0E, 0xFF1A:
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}
