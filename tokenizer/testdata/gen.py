import json, random, sys
seed, n, maxparts = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
pool = ["1girl", "masterpiece", "best quality", "Hair", "it's", "'S", "'LL", "don't", "we're", "''s", "score_9", "1.5", "x2",
 "#tag", "@user", "!!!", "...", "<lora:foo:0.8>", "café", "e\u0301", "İstanbul", "ΣΑΣ", "ΟΔΥΣΣΕΥΣ", "ſ", "'ſ", "<|ſtartoftext|>",
 "<|ENDOFTEXT|>", "<|endoftext|>", "<|startoftext|>", "a<|endoftext|>b", "!<|endoftext|>", "\u2028", "\u2029", "\u00a0", "\u3000", "\u200b",
 "\u00ad", "\x00", "\x01", "\x00\x01", "\x00\x02", "\x7f", "\x85", "\x1c", "\ufffd", "\ue000", "\U0010ffff", "\ufffe", "مرحبا", "שָׁלוֹם", "नमस्ते", "ภาษาไทย",
 "\u1100\u1161\u11a8", "한국어", "𠀀", "\uf900", "日本語", "少女", "👩\u200d👩\u200d👧", "🇯🇵", "😀🎉", "①", "²", "Ⅻ", "٣", "ＡＢＣ１２３", "ﬁ", "ß", "ẞ",
 "\u212a", "\u2126", "\u212b", "Ünïcödé", "naïve", "(", ")", "((", "))", "(x:1.5)", "(y)", "((z))", ":", "\\(", "\\)", "\\", "[", "]", "(a:1_0)",
 "(b:١٢)", "(c: 0.7)", "(d:abc)", "(e:1.2:1.3)", "(:2)", "embedding:foo", " embedding:,bar", "\nembedding:x", "embedding:ok,", "embedding:",
 "BREAK", "MASTERPIECE", "supercalifragilisticexpialidocious", "antidisestablishmentarianism", "thighhighs", "\t", "\n", "  ",
 "a" * 30, "ab" * 20, "xyz" * 12, "日本" * 10, "!?" * 10, "0123456789", "Ⅰⅱ", "𝟘𝟙", "\u0301", "a\u0308\u0301", "ǅ", "ΐ", "İi̇",
 "Σ", "aΣ", "aΣb", "aΣ.", "aΣ'b", "\u03a3\u0301", "(((deep)))", "(unclosed", "stray)", "blue eyes", "long hair", "looking at viewer",]
seps = [" ", ", ", "", "\n", "\t", ",", " , "]
prompts = []
for i in range(n):
    k = rng.randint(0, maxparts)
    parts = []
    for _ in range(k):
        parts.append(rng.choice(pool)); parts.append(rng.choice(seps))
    prompts.append("".join(parts))
json.dump(prompts, sys.stdout)
