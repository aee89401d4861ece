# Reference of HF slow CLIPTokenizer without ftfy + ComfyUI front end (from memory), for differential testing.
import json, os, unicodedata, sys
import regex as re

VOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'clipvocab', '')

def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2**8):
        if b not in bs:
            bs.append(b); cs.append(2**8 + n); n += 1
    return dict(zip(bs, [chr(n) for n in cs]))

def _is_whitespace(c):
    if c in " \t\n\r": return True
    return unicodedata.category(c) == "Zs"
def _is_control(c):
    if c in "\t\n\r": return False
    return unicodedata.category(c).startswith("C")
def _is_cjk(cp):
    return ((0x4E00 <= cp <= 0x9FFF) or (0x3400 <= cp <= 0x4DBF) or (0x20000 <= cp <= 0x2A6DF) or (0x2A700 <= cp <= 0x2B73F)
            or (0x2B740 <= cp <= 0x2B81F) or (0x2B820 <= cp <= 0x2CEAF) or (0xF900 <= cp <= 0xFAFF) or (0x2F800 <= cp <= 0x2FA1F))

def basic(text):
    out = []
    for c in text:
        cp = ord(c)
        if cp == 0 or cp == 0xFFFD or _is_control(c): continue
        out.append(" " if _is_whitespace(c) else c)
    text = "".join(out)
    out = []
    for c in text:
        if _is_cjk(ord(c)): out += [" ", c, " "]
        else: out.append(c)
    text = unicodedata.normalize("NFC", "".join(out))
    toks = [t.lower() for t in text.strip().split()]
    return " ".join(" ".join(toks).strip().split())

class CLIP:
    def __init__(self):
        self.encoder = json.load(open(VOC + 'vocab.json', encoding='utf-8'))
        merges = open(VOC + 'merges.txt', encoding='utf-8').read().strip().split("\n")[1:49152 - 256 - 2 + 1]
        self.ranks = dict(zip([tuple(m.split()) for m in merges], range(len(merges))))
        self.be = bytes_to_unicode()
        self.cache = {"<|startoftext|>": "<|startoftext|>", "<|endoftext|>": "<|endoftext|>"}
        self.pat = re.compile(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""", re.IGNORECASE)
    def bpe(self, token):
        if token in self.cache: return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        while len(word) > 1:
            pairs = set(zip(word, word[1:]))
            bigram = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if bigram not in self.ranks: break
            a, b = bigram; nw = []; i = 0
            while i < len(word):
                if i < len(word) - 1 and word[i] == a and word[i + 1] == b:
                    nw.append(a + b); i += 2
                else:
                    nw.append(word[i]); i += 1
            word = tuple(nw)
        w = " ".join(word); self.cache[token] = w; return w
    def _tokenize(self, text):
        text = basic(text)
        out = []
        for tok in re.findall(self.pat, text):
            tok = "".join(self.be[b] for b in tok.encode("utf-8"))
            out.extend(self.bpe(tok).split(" "))
        return out
    def encode(self, text):
        # split on exact special tokens (added-token trie)
        pieces = re.split(r"(<\|startoftext\|>|<\|endoftext\|>)", text)
        ids = []
        for p in pieces:
            if p in ("<|startoftext|>", "<|endoftext|>"): ids.append(self.encoder[p]); continue
            if not p: continue
            ids += [self.encoder.get(t, 49407) for t in self._tokenize(p)]
        return ids

def escape_important(t): return t.replace("\\)", "\0\1").replace("\\(", "\0\2")
def unescape_important(t): return t.replace("\0\1", ")").replace("\0\2", "(")
def parse_parentheses(string):
    result = []; cur = ""; lvl = 0
    for ch in string:
        if ch == "(":
            if lvl == 0:
                if cur: result.append(cur)
                cur = "("
            else: cur += ch
            lvl += 1
        elif ch == ")":
            lvl -= 1
            if lvl == 0: result.append(cur + ")"); cur = ""
            else: cur += ch
        else: cur += ch
    if cur: result.append(cur)
    return result
def token_weights(string, w):
    out = []
    for x in parse_parentheses(string):
        weight = w
        if len(x) >= 2 and x[-1] == ')' and x[0] == '(':
            x = x[1:-1]; xx = x.rfind(":"); weight *= 1.1
            if xx > 0:
                try: weight = float(x[xx + 1:]); x = x[:xx]
                except: pass
            out += token_weights(x, weight)
        else: out += [(x, w)]
    return out

def try_emb(name):
    s = name.split()
    if not s: return None, ""   # ComfyUI: IndexError
    n = s[0]; left = ' '.join(s[1:])
    st = n.strip(',')
    if len(st) < len(n): return None, "{} {}".format(n[len(st):], left)
    return None, left

def tokenize_with_weights(clip, text, pad):
    text = escape_important(text)
    tokens = []
    for seg, weight in token_weights(text, 1.0):
        t = unescape_important(seg)
        split = re.split(' {0}|\n{0}'.format("embedding:"), t)
        tt = [split[0]] + ["embedding:" + s for s in split[1:]]
        for word in [x for x in tt if x != ""]:
            if word.startswith("embedding:"):
                name = word[len("embedding:"):].strip('\n')
                e, left = try_emb(name)
                if left != "": word = left
                else: continue
            tokens.append([(tk, weight) for tk in clip.encode(word)])
    batched = []; batch = [(49406, 1.0)]; batched.append(batch)
    for g in tokens:
        large = len(g) >= 8
        while len(g) > 0:
            if len(g) + len(batch) > 76:
                rem = 77 - len(batch) - 1
                if large:
                    batch.extend(g[:rem]); batch.append((49407, 1.0)); g = g[rem:]
                else:
                    batch.append((49407, 1.0)); batch.extend([(pad, 1.0)] * rem)
                batch = [(49406, 1.0)]; batched.append(batch)
            else:
                batch.extend(g); g = []
    batch.append((49407, 1.0))
    if len(batch) < 77: batch.extend([(pad, 1.0)] * (77 - len(batch)))
    return batched

if __name__ == "__main__":
    clip = CLIP()
    # stdin: JSON list of prompts; stdout: JSON list of {prompt, encode, l:{ids,weights}, g:{...}}
    prompts = json.load(sys.stdin)
    out = []
    for p in prompts:
        r = {"prompt": p, "encode": clip.encode(p)}
        try:
            for k, pad in (("l", 49407), ("g", 0)):
                b = tokenize_with_weights(clip, p, pad)
                r[k] = {"ids": [[t for t, _ in row] for row in b], "weights": [[w for _, w in row] for row in b]}
        except RecursionError:
            r["error"] = "recursion"
        out.append(r)
    json.dump(out, sys.stdout, ensure_ascii=True, separators=(",", ":"))
