package tokenizer

import (
	"strings"
	"testing"
)

// benchPrompt is an anime-style tag list with weights and escapes of
// about 300 tokens.
func benchPrompt(b *testing.B) (string, int) {
	tags := []string{"(masterpiece:1.2)", "best quality", "((very aesthetic))", `hoshimachi suisei \(1st costume\)`,
		"1girl", "solo", "long hair", "looking at viewer", "smile", "open mouth", "blue eyes", "blonde hair",
		"(detailed background:0.8)", "cherry blossoms", "night sky", "lantern", "absurdres", "thighhighs"}
	var parts []string
	tok := New()
	n := 0
	for i := 0; n < 300; i++ {
		parts = append(parts, tags[i%len(tags)])
		n = len(tok.Encode(strings.Join(parts, ", ")))
	}
	return strings.Join(parts, ", "), n
}

// BenchmarkSDXL measures both encoders' rows for a 300-token prompt with
// a warm BPE cache (the steady state of a server).
func BenchmarkSDXL(b *testing.B) {
	prompt, n := benchPrompt(b)
	tok := New()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tok.SDXL(prompt, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkSDXLCold is BenchmarkSDXL with an empty BPE cache every time.
func BenchmarkSDXLCold(b *testing.B) {
	prompt, n := benchPrompt(b)
	v := New().v
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := newTokenizer(v).SDXL(prompt, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkNew measures parsing the embedded vocabulary.
func BenchmarkNew(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := parseVocab(strings.NewReader(string(vocabJSON)), strings.NewReader(string(mergesTXT))); err != nil {
			b.Fatal(err)
		}
	}
}
