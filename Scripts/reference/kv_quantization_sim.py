#!/usr/bin/env python3
"""What each way of storing the KV cache costs in next-token accuracy, simulated (issue 2).

It runs SmolLM2's forward pass in float32 numpy (the weights dequantized by the `gguf`
package, through llama_reference.py's model and tokenizer) over the same public-domain text
and the same 128-token chunks as KVCacheAccuracyTests, once with K and V rounded to fp16 (the
reference) and once per variant with K and V rounded after RoPE as PagedKVCache stores them:
Walsh–Hadamard rotation, keys relative to their 16-token block's fp16 anchor (the block's
first key), one scale per (token, KV head). It prints, per variant, top-1 agreement and mean
KL divergence of the next-token distribution against the reference. The Swift test measures
the runtime itself; this script tries storage ideas before anyone writes a kernel for them.

Variants (names for --variants):
    int8          what the runtime stores for `--kv int8`
    fp8           what the runtime stores for `--kv fp8` (e4m3, scale absmax/448)
    fp8-search    fp8 with the scale of each row chosen among absmax/448 · 2^(j/8), j < 8,
                  for the smallest squared rounding error
    fp8-weighted  fp8 rounded GPTQ-style (one element at a time, each rounding error pushed onto
                  the elements not yet rounded) to minimise the error that matters: for keys
                  e·C·e with C the covariance of the group's queries (measured in-sample over the
                  same text, so an upper bound for any calibration), for values the error seen
                  through the head's slice of the output projection

Usage:
    python Scripts/reference/kv_quantization_sim.py [--variants int8,fp8,...]
It takes a few minutes per variant on one core.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np
from gguf import GGUFReader

sys.path.insert(0, str(Path(__file__).resolve().parent))
import llama_reference as reference  # noqa: E402

TEXT_FILE = reference.REPO_ROOT / "Tests/ModelRuntimeTests/PublicDomainText.swift"
CHUNK = 128
BLOCK = 16


def public_domain_texts() -> list[str]:
    """The test's texts, read from its Swift source so there is one copy of them."""
    source = TEXT_FILE.read_text(encoding="utf-8")
    texts = []
    for match in re.finditer(r'static let \w+ = """\n(.*?)\n( *)"""', source, re.S):
        indent = " " * len(match.group(2))
        lines = [line.removeprefix(indent) for line in match.group(1).split("\n")]
        texts.append("\n".join(lines))
    return texts


def hadamard(n: int) -> np.ndarray:
    h = np.array([[1.0]])
    while h.shape[0] < n:
        h = np.block([[h, h], [h, -h]])
    return (h / np.sqrt(n)).astype(np.float32)


def round_fp8(x: np.ndarray) -> np.ndarray:
    """e4m3, round to nearest even, for values already scaled into [-448, 448]."""
    exponent = np.maximum(np.floor(np.log2(np.maximum(np.abs(x), 1e-30))), -6)
    step = 2.0 ** (exponent - 3)
    return np.clip(np.round(x / step) * step, -448, 448)


def round_int8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), -127, 127)


class Quantizer:
    """Rounds rows (..., head_dim) with one scale per row, as one variant does."""

    def __init__(self, fmt: str, search: bool = False):
        self.top = 448.0 if fmt == "fp8" else 127.0
        self.round = round_fp8 if fmt == "fp8" else round_int8
        self.search = search

    def __call__(self, x: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
        absmax = np.max(np.abs(x), axis=-1, keepdims=True)
        scale = np.where(absmax == 0, 1, absmax) / self.top
        if weight is not None:
            return self.weighted(x / scale, weight) * scale
        if not self.search:
            return self.round(x / scale) * scale
        best, best_error = None, None
        for j in range(8):
            candidate = scale * 2 ** (j / 8)
            y = self.round(x / candidate) * candidate
            error = np.sum((y - x) ** 2, axis=-1, keepdims=True)
            if best is None:
                best, best_error = y, error
            else:
                best = np.where(error < best_error, y, best)
                best_error = np.minimum(error, best_error)
        return best

    def weighted(self, w: np.ndarray, h: np.ndarray) -> np.ndarray:
        """GPTQ's rounding of rows w against the quadratic form h."""
        d = h.shape[0]
        damped = h + np.eye(d) * 1e-4 * np.trace(h) / d
        upper = np.linalg.cholesky(np.linalg.inv(damped)).T
        w = w.copy()
        out = np.empty_like(w)
        for i in range(d):
            out[..., i] = self.round(w[..., i])
            error = (w[..., i] - out[..., i]) / upper[i, i]
            w[..., i + 1:] -= error[..., None] * upper[i, i + 1:]
        return out


class Simulation:
    def __init__(self, model_path: Path):
        reader = GGUFReader(model_path)
        self.tokenizer = reference.BPETokenizer(reader)
        model = reference.LlamaModel(reader)
        for layer in model.layers:
            for name in layer:
                layer[name] = layer[name].astype(np.float32)
        for name in ("tok_embd", "output", "output_norm"):
            setattr(model, name, getattr(model, name).astype(np.float32))
        self.model = model
        self.head_dim = model.head_dim
        self.group = model.n_head // model.n_head_kv
        self.rotation = hadamard(self.head_dim)

    def forward(self, ids: list[int], cache: "Cache", queries: list[list[np.ndarray]] | None = None) -> np.ndarray:
        """Every position's logits for `ids` after what `cache` holds (float32, as the test's float forward)."""
        m, d = self.model, self.head_dim
        start, count = cache.length, len(ids)
        positions = np.arange(start, start + count, dtype=np.float64)
        x = m.tok_embd[np.asarray(ids)]
        visible = np.arange(start + count)[None, :] <= (start + np.arange(count))[:, None]
        mask = np.where(visible, 0.0, -np.inf).astype(np.float32)
        for index, layer in enumerate(m.layers):
            h = m.rms_norm(x, layer["attn_norm"]).astype(np.float32)
            q = m.rope((h @ layer["attn_q"].T).reshape(count, m.n_head, d), positions).astype(np.float32)
            k = m.rope((h @ layer["attn_k"].T).reshape(count, m.n_head_kv, d), positions).astype(np.float32)
            v = (h @ layer["attn_v"].T).reshape(count, m.n_head_kv, d)
            if queries is not None:
                queries[index].append(q)
            keys, values = cache.store(index, k, v, start)
            attention = np.empty((count, m.n_head, d), np.float32)
            for head in range(m.n_head):
                kv = head // self.group
                scores = q[:, head] @ keys[:, kv].T / np.float32(np.sqrt(d)) + mask
                p = np.exp(scores - scores.max(axis=1, keepdims=True))
                attention[:, head] = (p / p.sum(axis=1, keepdims=True)) @ values[:, kv]
            x = x + attention.reshape(count, m.n_embd) @ layer["attn_output"].T
            h = m.rms_norm(x, layer["ffn_norm"]).astype(np.float32)
            gate, up = h @ layer["ffn_gate"].T, h @ layer["ffn_up"].T
            x = x + (gate / (1.0 + np.exp(-gate)) * up) @ layer["ffn_down"].T
        cache.length += count
        return m.rms_norm(x, m.output_norm).astype(np.float32) @ m.output.T

    def weights(self, texts: list[str]) -> tuple[list, list]:
        """Per (layer, KV head): the quadratic forms the weighted variant rounds against, in the
        rotated basis — the group's query covariance for keys, W_oᵀW_o of its output slices for values."""
        queries: list[list[np.ndarray]] = [[] for _ in self.model.layers]
        for ids in self.token_lists(texts):
            cache = Cache(self, None)
            for first in range(0, len(ids), CHUNK):
                self.forward(ids[first:first + CHUNK], cache, queries)
        r = self.rotation.astype(np.float64)
        d, key_forms, value_forms = self.head_dim, [], []
        for index, layer in enumerate(self.model.layers):
            rotated = np.concatenate(queries[index]).astype(np.float64) @ r.T
            out = layer["attn_output"].astype(np.float64)
            heads = [range(kv * self.group, (kv + 1) * self.group) for kv in range(self.model.n_head_kv)]
            key_forms.append([sum(rotated[:, j].T @ rotated[:, j] for j in group) for group in heads])
            value_forms.append([r @ sum(out[:, j * d:(j + 1) * d].T @ out[:, j * d:(j + 1) * d] for j in group) @ r.T
                                for group in heads])
        return key_forms, value_forms

    def token_lists(self, texts: list[str]) -> list[list[int]]:
        return [self.tokenizer.encode(text, parse_special=False) for text in texts]


class Cache:
    """One sequence's K and V as attention reads them: fp16 (quantizer None) or a variant's rounding."""

    def __init__(self, sim: Simulation, quantizer: Quantizer | None, forms: tuple[list, list] | None = None):
        self.sim, self.quantizer, self.forms = sim, quantizer, forms
        layers, shape = len(sim.model.layers), (0, sim.model.n_head_kv, sim.head_dim)
        self.keys = [np.zeros(shape, np.float32) for _ in range(layers)]
        self.values = [np.zeros(shape, np.float32) for _ in range(layers)]
        self.anchors: list[np.ndarray | None] = [None] * layers
        self.length = 0

    def store(self, layer: int, k: np.ndarray, v: np.ndarray, start: int) -> tuple[np.ndarray, np.ndarray]:
        if self.quantizer is None:
            k, v = k.astype(np.float16).astype(np.float32), v.astype(np.float16).astype(np.float32)
        else:
            k, v = self.rounded(layer, k, v, start)
        self.keys[layer] = np.concatenate([self.keys[layer], k])
        self.values[layer] = np.concatenate([self.values[layer], v])
        return self.keys[layer], self.values[layer]

    def rounded(self, layer: int, k: np.ndarray, v: np.ndarray, start: int) -> tuple[np.ndarray, np.ndarray]:
        r = self.sim.rotation
        k, v = k @ r.T, v @ r.T
        anchors = np.empty_like(k)
        for t in range(k.shape[0]):
            if (start + t) % BLOCK == 0 or self.anchors[layer] is None:
                self.anchors[layer] = k[t].astype(np.float16).astype(np.float32)
            anchors[t] = self.anchors[layer]
        residual, out_k, out_v = k - anchors, np.empty_like(k), np.empty_like(v)
        for head in range(k.shape[1]):
            key_form = self.forms[0][layer][head] if self.forms else None
            value_form = self.forms[1][layer][head] if self.forms else None
            out_k[:, head] = self.quantizer(residual[:, head], key_form)
            out_v[:, head] = self.quantizer(v[:, head], value_form)
        return ((out_k + anchors) @ r).astype(np.float32), (out_v @ r).astype(np.float32)


def log_softmax(z: np.ndarray) -> np.ndarray:
    z = z.astype(np.float64)
    top = z.max(axis=-1, keepdims=True)
    return z - top - np.log(np.exp(z - top).sum(axis=-1, keepdims=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--model", type=Path, default=reference.REPO_ROOT / reference.MODEL_RELATIVE)
    parser.add_argument("--variants", default="int8,fp8", help="comma-separated: int8, fp8, fp8-search, fp8-weighted")
    args = parser.parse_args()
    if not args.model.is_file():
        print(f"error: model file {args.model} not found (run `make model` first)", file=sys.stderr)
        return 1
    known = {"int8", "fp8", "fp8-search", "fp8-weighted"}
    variants = [name for name in args.variants.split(",") if name]
    if not variants or any(name not in known for name in variants):
        print(f"error: --variants takes a comma-separated list of {', '.join(sorted(known))}", file=sys.stderr)
        return 1
    sim = Simulation(args.model)
    texts = public_domain_texts()
    forms = sim.weights(texts) if "fp8-weighted" in variants else None
    quantizers = {"int8": (Quantizer("int8"), None), "fp8": (Quantizer("fp8"), None),
                  "fp8-search": (Quantizer("fp8", search=True), None), "fp8-weighted": (Quantizer("fp8"), forms)}
    totals = {name: [0, 0, 0.0] for name in variants}
    for ids in sim.token_lists(texts):
        reference_cache = Cache(sim, None)
        caches = {name: Cache(sim, *quantizers[name]) for name in variants}
        for first in range(0, len(ids), CHUNK):
            piece = ids[first:first + CHUNK]
            expected = sim.forward(piece, reference_cache)
            p = log_softmax(expected)
            for name, cache in caches.items():
                logits = sim.forward(piece, cache)
                q = log_softmax(logits)
                total = totals[name]
                total[0] += len(piece)
                total[1] += int((logits.argmax(-1) == expected.argmax(-1)).sum())
                total[2] += float((np.exp(p) * (p - q)).sum())
    for name, (positions, agreements, kl) in totals.items():
        print(f"{name:13s} {positions} positions: top-1 agreement {agreements / positions:.4f} "
              f"({positions - agreements} differ), mean KL {kl / positions:.5f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
