#!/usr/bin/env python3
"""Builds tests/fixtures/tokenizer/{vocab.txt,bert_tokenizer.json}: a small WordPiece vocabulary,
a few hundred varied sentences and the ids Hugging Face's slow BertTokenizer (do_lower_case=True)
gives them. Run with a Python that has `transformers` (4.39.3 was used):

    /tmp/hfvenv/bin/python tools/make_tokenizer_fixture.py tests/fixtures/tokenizer

With --tables it prints instead the Unicode tables that datasets/bert_tokenizer.cpp embeds
(from this Python's unicodedata; Unicode 14.0 under Python 3.11).
"""
import json
import os
import random
import sys
import unicodedata

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

WORDS = """the of and to in is was for on that with as by at from it his an were are which this be
has or had not but first one their its new after who they have her she two been other when there
all during into school time may years more most only over city some world would where later up
such used many can state about national out known university united then made game great house
film well team life because also between while year under people part new american through
season series high work album being both early american since several year music about what
day night good bad love like happy sad really very much thank thanks today tomorrow show
sarcasm sarcastic funny joke great awesome amazing terrible never always best worst just get got
going gone go come came see saw look looking looked play played playing run running runs ran
user url num emoji hashtag http https www com org twitter pic credit fan sir will won it
cafe resume naive facade uber strasse sao paulo zurich munchen koln espana nino
hello world token tokenizer word piece pieces unbelievable believe able un re pre post
""".split()

SUFFIXES = "s es ed ing ly er est ness tion able ful less ment al ity ize ous ive y ie ies en".split()
GREEK = "αβγδεζηθικλμνξοπρστυφχψως"
CYRILLIC = "абвгдежзийклмнопрстуфхцчшщъыьэюяё"
KEPT_LATIN = "ßøæœıđłþð"
CJK = "中国人日本語学生你好世界的"  # some CJK left out on purpose (→ [UNK])
OTHER = "😀❤👍한국어ㅎㅏㄴㄱㅜㄱㅇㅓ"


def build_vocab():
    vocab = list(SPECIAL)
    seen = set(vocab)

    def add(tok):
        if tok not in seen:
            seen.add(tok)
            vocab.append(tok)

    for w in WORDS:
        add(w)
    for s in SUFFIXES:
        add("##" + s)
    for cp in range(33, 127):
        c = chr(cp)
        if not c.isupper():
            add(c)
            add("##" + c)
    for c in GREEK + CYRILLIC + KEPT_LATIN + CJK + OTHER:
        add(c)
        add("##" + c)
    for w in ["αλφα", "κοσμος", "привет", "мир", "straße", "##ος", "##ет", "##ир"]:
        add(w)
    return vocab


BASE = [
    "Hello, world!",
    "HELLO WORLD",
    "The quick brown fox jumps over the lazy dog.",
    "Café résumé naïve façade Über Straße São Paulo Zürich München Köln España niño",
    "ÀÁÂÃÄÅ àáâãäå ÈÉÊË èéêë ÌÍÎÏ ìíîï ÒÓÔÕÖ òóôõö ÙÚÛÜ ùúûü Ýý ÿ Ñ ñ Ç ç",
    "Ææ Øø Œœ ß Ðð Þþ ı İstanbul Łódź Đđ ǅ ǈ ǋ Ǳ",
    "Ελληνικά: ΑΛΦΑ άλφα Κόσμος ΚΌΣΜΟΣ ΣΊΣΥΦΟΣ ΐ ΰ",
    "Привет, МИР! Ёлка ёжик Україна Ђорђе",
    "Tiếng Việt có dấu: Hà Nội, Đà Nẵng, Huế",
    "中国人喜欢学习日本語。你好，世界！",
    "日本語のテキストとカタカナ、ひらがな",
    "한국어 텍스트 안녕하세요",
    "emoji 😀😀 ❤️ 👍🏽 🇫🇷 in text",
    "@user thanks for showing up for our appointment today . <url>",
    "only a hardcore fan of sir jonny sins will get it . won 't it ? pic credit - <url>  <url>",
    "Check https://www.example.com/path?query=1&x=2#frag and http://t.co/AbC123",
    "@JohnDoe @jane_doe #hashtag #SarcasmDetected RT @ltsChuckBass : $T$ is everything # MCM",
    "unbelievableunbelievableunbelievable",
    "a" * 100,
    "b" * 101,
    "x" * 150 + " short",
    "tokenizers tokenized tokenizing pieces piecewise worldly",
    "It's   multiple\tspaces\nand\r\nnewlines\u2028line\u2029para",
    "nul\x00byte ctrl\x01\x07\x1f del\x7f repl\ufffdchar",
    "zero\u200bwidth joiner\u200d soft\u00adhyphen bom\ufeffx",
    "non\u00a0breaking\u3000ideographic\u2003em space",
    "combining: e\u0301 a\u0308 n\u0303 o\u0302\u0323 i\u0307",
    "Full-width: ＡＢＣ ａｂｃ １２３ ！？",
    "Punctuation: «quotes» „low“ ‘single’ — dash – en … ¿qué? ¡sí! §5 ¶ •",
    "math + - * / = < > ^ ~ | \\ ` { } [ ] ( ) $ % & # @ ! ? , . ; : ' \"",
    "Kelvin \u212a Ångström \u212b Ohm \u2126 ℃ №5 ™ ©",
    "ǅungla Ǆ ǆ ẞ ſ ﬁ ﬂ",
    "[CLS] hello [SEP] world [MASK] [UNK] [PAD]",
    "foo[UNK]bar and x[SEP]y [cls] [Sep]",
    "I can't believe it's not butter!!!",
    "Lol... sure, that's GREAT. #not #sarcasm",
    "2019-05-13 12:34:56 $100.00 50% 3.14159 1,000,000",
    "email me at someone@example.org or visit www.site.co.uk",
    "मैं हिंदी बोलता हूँ। क़ ज़",
    "العربية النص مع تشكيل: مَرْحَبًا",
    "עברית טקסט",
    "ไทย ภาษา",
    "",
    "   ",
    "\t\n",
    "a",
    "A.B.C.",
    "...!!!???",
    "ΣΣΣ ΑΣ ΌΣ σς",
    "emoji_123 emoji_456 <user> <num>",
    "中a国b人c",
    "Playing PLAYED runs RUNNING looked",
]

FRAGMENTS = WORDS + [
    "Café", "naïve", "RÉSUMÉ", "Straße", "ÆON", "Øre", "Łukasz", "Đuro", "İzmir", "ΑΘΗΝΑ",
    "Ωμέγα", "ΣΟΦΟΣ", "Москва", "ЁЖ", "Việt", "Nguyễn", "中国", "世界", "学生", "漢字", "テスト",
    "한국", "😀", "😂😂", "👍", "🔥", "❤", "@user", "@Some_User", "#hashtag", "#Blessed",
    "<url>", "<user>", "<num>", "http://t.co/x1Y2", "https://example.com/a/b?c=d", "www.test.org",
    "it's", "don't", "won't", "...", "!", "?!", ",", ".", "--", "—", "“quoted”", "(paren)",
    "[bracket]", "{brace}", "x" * 60, "tokenizerization" * 3, "UNBELIEVABLE", "Playing",
    "e\u0301te\u0301", "\u00a0", "\t", "\n", "\u200b", "ｆｕｌｌ", "ǅ", "ﬁne", "№", "™",
    "[SEP]", "[UNK]", "¿", "¡", "«", "»", "·", "°", "±", "½", "²", "µ", "×", "÷",
]


def sentences():
    rng = random.Random(20240613)
    out = list(BASE)
    while len(out) < 320:
        n = rng.randint(1, 14)
        parts = [rng.choice(FRAGMENTS) for _ in range(n)]
        text = ""
        for p in parts:
            text += p if rng.random() < 0.15 else " " + p
        if rng.random() < 0.3:
            text = text.upper()
        elif rng.random() < 0.3:
            text = text.title()
        out.append(text.strip() if rng.random() < 0.8 else text)
    return out


def make_fixture(folder):
    from transformers import BertTokenizer

    os.makedirs(folder, exist_ok=True)
    vocab_path = os.path.join(folder, "vocab.txt")
    with open(vocab_path, "w", encoding="utf-8") as f:
        f.write("\n".join(build_vocab()) + "\n")
    tok = BertTokenizer(vocab_path, do_lower_case=True)
    cases = []
    for text in sentences():
        plain = tok(text, add_special_tokens=False)
        standard = tok(text, add_special_tokens=True, max_length=24, truncation=True,
                       padding="max_length")
        raw16 = tok(text, add_special_tokens=False, max_length=16, truncation=True,
                    padding="max_length")
        cases.append({
            "text": text,
            "ids": plain["input_ids"],
            "standard_24_ids": standard["input_ids"],
            "standard_24_mask": standard["attention_mask"],
            "raw_16_ids": raw16["input_ids"],
            "raw_16_mask": raw16["attention_mask"],
        })
    with open(os.path.join(folder, "bert_tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump({"generator": "transformers " + __import__("transformers").__version__ +
                   " BertTokenizer(vocab.txt, do_lower_case=True), unicodedata " +
                   unicodedata.unidata_version, "cases": cases}, f, ensure_ascii=False,
                  separators=(",", ":"))
        f.write("\n")
    print(len(cases), "cases")


def ranges(pred):
    out, start = [], None
    for cp in range(0x110000):
        if pred(cp):
            if start is None:
                start = cp
        elif start is not None:
            out.append((start, cp - 1))
            start = None
    if start is not None:
        out.append((start, 0x10FFFF))
    return out


# Blocks whose lower-casing and accent stripping the C++ table covers (see the header comment).
def covered(cp):
    return cp < 0x530 or 0x1E00 <= cp <= 0x1FFF or 0x2100 <= cp <= 0x218F or 0xFF21 <= cp <= 0xFF3A


def fold(c):
    nfd = unicodedata.normalize("NFD", c.lower())
    return "".join(x for x in nfd if unicodedata.category(x) != "Mn")


def emit_ranges(name, rs):
    print(f"constexpr CodeRange {name}[] = {{")
    line = "   "
    for a, b in rs:
        item = f" {{0x{a:X}, 0x{b:X}}},"
        if len(line) + len(item) > 98:
            print(line)
            line = "   "
        line += item
    print(line + "\n};")


def emit_tables():
    cat = lambda cp: unicodedata.category(chr(cp))
    print("// clang-format off")
    emit_ranges("kOtherRanges", ranges(lambda cp: cat(cp)[0] == "C"))
    emit_ranges("kPunctuationRanges", ranges(lambda cp: cat(cp)[0] == "P"))
    emit_ranges("kNonspacingMarkRanges", ranges(lambda cp: cat(cp) == "Mn"))
    runs = []
    for cp in range(0x110000):
        if not covered(cp) or cat(cp)[0] == "C" or cat(cp) == "Mn":
            continue
        f = fold(chr(cp))
        if f == chr(cp):
            continue
        assert len(f) == 1, (hex(cp), f)
        delta = ord(f) - cp
        if runs:
            first, last, stride, d = runs[-1]
            if d == delta and ((stride == 0 and cp - last in (1, 2)) or (stride and cp - last == stride)):
                runs[-1] = (first, cp, cp - last, d)
                continue
        runs.append((cp, cp, 0, delta))
    print("constexpr FoldRun kFoldRuns[] = {")
    line = "   "
    for first, last, stride, d in runs:
        item = f" {{0x{first:X}, 0x{last:X}, {max(stride, 1)}, {d}}},"
        if len(line) + len(item) > 98:
            print(line)
            line = "   "
        line += item
    print(line + "\n};")
    print("// clang-format on")


if __name__ == "__main__":
    if sys.argv[1:] == ["--tables"]:
        emit_tables()
    else:
        make_fixture(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/tokenizer")
