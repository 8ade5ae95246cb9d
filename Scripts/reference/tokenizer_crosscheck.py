#!/usr/bin/env python3
"""Cross-checks llama_reference.py's tokenizer against a second implementation.

The second one is the PyPI `tokenizers` package (Hugging Face, Rust) given the same vocabulary
and merges from the GGUF, with SmolLM2's pre-tokenizer (individual digits, then byte-level with
the GPT-2 regex, no prefix space) and the GGUF's control tokens as special tokens. It prints each
string whose ids differ and exits non-zero if any does.

Usage: python Scripts/reference/tokenizer_crosscheck.py [--model PATH]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gguf import GGUFReader
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

sys.path.insert(0, str(Path(__file__).resolve().parent))
from llama_reference import MODEL_RELATIVE, REPO_ROOT, BPETokenizer  # noqa: E402

SAMPLES = [
    "",
    "Hello world!",
    "The capital of France is",
    "In 1969, Neil Armstrong became the first person to walk on the Moon.",
    "I'm sure you'll see they've done it; we'd know. DON'T SHOUT, it's 'quoted'.",
    "Prices rose 12.5% to $1,234,567.89 in Q3 2024 (up from 3/4).",
    "def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n",
    "tabs\tand\t\tmore\ttabs, trailing spaces   ",
    "   leading spaces and\n\n\nblank lines\r\nwith CRLF",
    "Café, naïve, résumé, Ångström, Straße, Œuvre",
    "日本語のテキストと中文文本，还有한국어。",
    "Emoji: 👍🏽 🚀✨ and a family 👨‍👩‍👧 with zero-width joiners",
    "Arabic مرحبا بالعالم and Hebrew שלום עולם and Greek Ελληνικά",
    "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
    "Specials inside text: a<|endoftext|>b<file_sep>c <|im_end|>",
    "Non-breaking\u00a0space, thin\u2009space, ideographic\u3000space",
    "Roman numerals Ⅻ, superscripts x² and fractions ½ ¾, Arabic-Indic ٣٤٥",
    "URL https://example.com/path?q=1&r=two#frag and email a.b@c.org",
    "{\"json\": [1, 2, 3], \"nested\": {\"key\": null}}",
    "!!!???...---___***",
    "mixedCASEWords and snake_case_names and kebab-case-names",
    "\u0007 control \u001b[31m escape \u0000 nul",
]


def build_hf(ref: BPETokenizer) -> Tokenizer:
    vocab = {tok: i for i, tok in enumerate(ref.tokens)}
    merges = [pair for pair, _ in sorted(ref.ranks.items(), key=lambda item: item[1])]
    tk = Tokenizer(models.BPE(vocab=vocab, merges=merges, byte_fallback=False, fuse_unk=False))
    tk.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tk.decoder = decoders.ByteLevel()
    tk.add_special_tokens([AddedToken(ref.tokens[i], special=True, normalized=False)
                           for i in ref.specials])
    return tk


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--model", type=Path, default=REPO_ROOT / MODEL_RELATIVE)
    args = parser.parse_args()
    ref = BPETokenizer(GGUFReader(args.model))
    hf = build_hf(ref)
    agree = 0
    for text in SAMPLES:
        ours = ref.encode(text, parse_special=True)
        theirs = hf.encode(text, add_special_tokens=False).ids
        round_trip = ref.decode(ours) == text
        if ours == theirs and round_trip:
            agree += 1
        else:
            print(f"DIFFER {text!r}\n  reference  {ours}\n  tokenizers {theirs}\n  round trip {round_trip}")
    print(f"tokenizer cross-check: {agree} of {len(SAMPLES)} strings give identical ids and round-trip")
    return 0 if agree == len(SAMPLES) else 1


if __name__ == "__main__":
    sys.exit(main())
