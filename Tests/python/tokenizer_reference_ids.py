"""Expected token ids for TokenizerGGUFTests, from an implementation independent of ours.

Builds a byte-level BPE with Hugging Face `tokenizers` from the vocabulary and merges stored
in the GGUF, with SmolLM2's pre-tokenizer (individual digits, then GPT-2's byte-level split)
and its control tokens as special tokens, and prints the ids of each test string as Swift.
Needs `pip install tokenizers gguf` (a one-off: the ids are committed in the test).

    python Tests/python/tokenizer_reference_ids.py Models/smollm2/1/SmolLM2-135M-Instruct.Q4_1.gguf
"""

import json
import sys

import gguf
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

STRINGS = [
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "I'm sure they'll say it's fine; we've done what you'd want.",
    "CAPS'S DON'T contract, but 're and 'VE differ",
    "In 2024, 1,234,567 people paid $3.50 each (x² ½ ٣ Ⅻ).",
    "Tabs\tand\nnewlines\n\n  indented   spaces   ",
    "naïve café résumé — Zürich, Ελληνικά, русский текст",
    "日本語のテキストと中文、한국어",
    "Emoji 😀🚀 and flags 🇫🇷 👩‍💻!",
    "def add(a, b):\n    return a + b  # sum\n",
    "!!!??? ... --- *** <<>> ///",
    "Supercalifragilisticexpialidocious antidisestablishmentarianism",
    "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
]


def main(path: str) -> None:
    reader = gguf.GGUFReader(path)
    tokens = reader.fields["tokenizer.ggml.tokens"].contents()
    types = reader.fields["tokenizer.ggml.token_type"].contents()
    merges = [tuple(m.split(" ", 1)) for m in reader.fields["tokenizer.ggml.merges"].contents()]
    vocab = {text: i for i, text in reversed(list(enumerate(tokens)))}

    tokenizer = Tokenizer(models.BPE(vocab, merges))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]
    )
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.add_special_tokens(
        [AddedToken(text, special=True, normalized=False) for text, kind in zip(tokens, types) if kind == 3]
    )

    for text in STRINGS:
        ids = tokenizer.encode(text, add_special_tokens=False).ids
        assert tokenizer.decode(ids, skip_special_tokens=False) == text, text
        print(f"        ({json.dumps(text, ensure_ascii=False)}, {ids}),")


if __name__ == "__main__":
    main(sys.argv[1])
