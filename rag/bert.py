"""A BERT sentence encoder in plain NumPy: the question-time embedder without torch.

Why it exists: importing sentence-transformers (torch, transformers, scikit-learn)
takes about 4.5 of the 5 seconds from a new process to its first answer, while the
forward pass of all-MiniLM-L6-v2 for one question is a few small matrix products.
This module runs that forward pass with NumPy on the weights in the model folder's
``model.safetensors``, tokenised by the folder's ``tokenizer.json`` (Hugging Face
``tokenizers``, the same Rust tokenizer sentence-transformers uses). It loads in
about 0.2 s, embeds a question in about 6 ms (torch: 11 ms), embeds the corpus as
fast as torch does, and matches sentence-transformers to within 1e-6 per
coordinate (``tests/test_embedding.py`` checks every corpus sentence against it).

What it supports: a sentence-transformers folder whose modules are Transformer
(a BERT with absolute positions and GELU), mean Pooling, and optionally Normalize;
``supported(path)`` says whether a folder qualifies and why not.
``encode_with_tokens`` and ``encode_many_with_tokens`` also return each text's
last-layer word-piece states (what mean pooling averages), for late interaction
(``rag.late``).
What it does not do: other architectures or pooling modes (``embedding`` falls back
to sentence-transformers for those), training, or GPUs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MASKED = np.float32(-1e9)  # added to attention scores of padding positions
# word pieces per batch in bulk encoding: 256-1024 measured within 25% of each other on
# the corpus; from 2048 up the attention and GELU temporaries fall out of cache (+25-60%)
TOKEN_BUDGET = 512
# one text's word-piece ids ([CLS] and [SEP] included) and its last-layer states (n, d)
TokenStates = tuple[list[int], np.ndarray]


def supported(path: Path) -> str | None:
    """None if ``path`` is a folder this encoder runs exactly; otherwise the reason it is not.

    >>> supported(Path("/nonexistent"))
    'no modules.json'
    """
    try:
        modules = json.loads((path / "modules.json").read_text())
    except (OSError, ValueError):
        return "no modules.json"
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        return f"modules {kinds} (needs Transformer, Pooling[, Normalize])"
    try:
        pooling = json.loads((path / modules[1]["path"] / "config.json").read_text())
        config = json.loads((path / "config.json").read_text())
    except (OSError, ValueError, KeyError):
        return "no pooling or model config"
    modes = sorted(k for k, v in pooling.items() if k.startswith("pooling_mode") and v)
    if modes != ["pooling_mode_mean_tokens"]:
        return f"pooling {modes} (needs mean pooling)"
    if config.get("model_type") != "bert":
        return f"model_type {config.get('model_type')!r} (needs bert)"
    if config.get("hidden_act") != "gelu":
        return f"hidden_act {config.get('hidden_act')!r} (needs gelu)"
    if config.get("position_embedding_type", "absolute") != "absolute":
        return "relative position embeddings"
    for name in ("model.safetensors", "tokenizer.json"):
        if not (path / name).is_file():
            return f"no {name}"
    return None


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x · Φ(x), with erf within 1.5e-7 (Abramowitz and Stegun 7.1.26).

    Written in place on two buffers: this is the costliest elementwise step of the
    encoder, and SciPy's erf would cost 0.3 s to import.

    >>> round(float(_gelu(np.array([1.0], dtype=np.float32))[0]), 6)  # 1 · Φ(1)
    0.841345
    """
    z = x * np.float32(1 / math.sqrt(2))
    t = np.abs(z)
    decay = np.square(t)  # |z|², then exp(-z²)
    np.negative(decay, out=decay)
    np.exp(decay, out=decay)
    t *= np.float32(0.3275911)
    t += np.float32(1.0)
    np.reciprocal(t, out=t)
    poly = t * np.float32(1.061405429)
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += np.float32(c)
        poly *= t
    poly *= decay  # 1 - erf(|z|)
    np.subtract(np.float32(1.0), poly, out=poly)  # erf(|z|)
    np.copysign(poly, z, out=poly)  # erf(z)
    poly += np.float32(1.0)
    poly *= x
    poly *= np.float32(0.5)
    return poly


def _layer_norm(x: np.ndarray, gain: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    centred = x - x.mean(-1, keepdims=True)
    variance = (centred * centred).mean(-1, keepdims=True)
    return centred / np.sqrt(variance + np.float32(eps)) * gain + bias


@dataclass(frozen=True)
class _Layer:
    """One transformer block; matrices are stored (in, out), ready for ``x @ w``."""

    qkv: tuple[np.ndarray, np.ndarray]  # (d, 3d), (3d,)  query, key and value side by side
    attention_out: tuple[np.ndarray, np.ndarray]  # (d, d), (d,)
    norm1: tuple[np.ndarray, np.ndarray]
    intermediate: tuple[np.ndarray, np.ndarray]  # (d, 4d), (4d,)
    output: tuple[np.ndarray, np.ndarray]  # (4d, d), (d,)
    norm2: tuple[np.ndarray, np.ndarray]


class BertEncoder:
    """Mean-pooled, L2-normalised BERT sentence vectors from a sentence-transformers folder."""

    def __init__(self, path: Path, *, max_wordpieces: int) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((path / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.max_wordpieces = max_wordpieces
        st_config = path / "sentence_bert_config.json"
        self.lowercase = st_config.is_file() and bool(
            json.loads(st_config.read_text()).get("do_lower_case", False)
        )
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        weights = load_file(str(path / "model.safetensors"))
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""

        def w(name: str) -> np.ndarray:
            return np.asarray(weights[prefix + name], dtype=np.float32)

        def linear(name: str) -> tuple[np.ndarray, np.ndarray]:
            return np.ascontiguousarray(w(f"{name}.weight").T), w(f"{name}.bias")

        def norm(name: str) -> tuple[np.ndarray, np.ndarray]:
            return w(f"{name}.weight"), w(f"{name}.bias")

        self.words = w("embeddings.word_embeddings.weight")
        self.positions = w("embeddings.position_embeddings.weight")
        self.token_type = w("embeddings.token_type_embeddings.weight")[0]
        self.embed_norm = norm("embeddings.LayerNorm")
        self.dim = int(self.words.shape[1])
        self.layers = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}"
            parts = [linear(f"{p}.attention.self.{n}") for n in ("query", "key", "value")]
            self.layers.append(
                _Layer(
                    qkv=(
                        np.ascontiguousarray(np.concatenate([m for m, _ in parts], axis=1)),
                        np.concatenate([b for _, b in parts]),
                    ),
                    attention_out=linear(f"{p}.attention.output.dense"),
                    norm1=norm(f"{p}.attention.output.LayerNorm"),
                    intermediate=linear(f"{p}.intermediate.dense"),
                    output=linear(f"{p}.output.dense"),
                    norm2=norm(f"{p}.output.LayerNorm"),
                )
            )

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Word-piece ids with [CLS] and [SEP], cut to ``max_wordpieces`` as the model reads them."""
        encodings = self.tokenizer.encode_batch(
            [t.lower() if self.lowercase else t for t in texts], add_special_tokens=True
        )
        limit = self.max_wordpieces
        return [
            e.ids if len(e.ids) <= limit else e.ids[: limit - 1] + e.ids[-1:] for e in encodings
        ]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32 unit vectors; one padded batch, so pass similar lengths."""
        x, mask = self._hidden(self.token_ids(texts))
        return _mean_pool(x, mask)

    def encode_with_tokens(self, texts: Sequence[str]) -> tuple[np.ndarray, list[TokenStates]]:
        """``encode``, plus each text's word-piece ids and last-layer states (one batch)."""
        ids_list = self.token_ids(texts)
        x, mask = self._hidden(ids_list)
        return _mean_pool(x, mask), [(ids, x[row, : len(ids)]) for row, ids in enumerate(ids_list)]

    def _hidden(self, ids_list: Sequence[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """The last layer's states (B, T, d) of one batch padded to its longest, and the mask."""
        batch, length = len(ids_list), max(len(ids) for ids in ids_list)
        ids = np.zeros((batch, length), dtype=np.int64)
        mask = np.zeros((batch, length), dtype=np.float32)
        for row, seq in enumerate(ids_list):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1.0
        x = self.words[ids] + self.positions[:length] + self.token_type  # (B, T, d)
        x = _layer_norm(x, *self.embed_norm, self.eps)
        padding = ((1.0 - mask) * MASKED)[:, None, None, :]  # (B, 1, 1, T)
        head_dim = self.dim // self.heads
        scale = np.float32(1 / math.sqrt(head_dim))
        for layer in self.layers:
            qkv = x @ layer.qkv[0] + layer.qkv[1]  # (B, T, 3d)
            q, k, v = (
                part.reshape(batch, length, self.heads, head_dim).transpose(0, 2, 1, 3)
                for part in np.split(qkv, 3, axis=-1)
            )  # each (B, H, T, d/H)
            scores = q @ k.transpose(0, 1, 3, 2) * scale + padding  # (B, H, T, T)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, self.dim)
            x = _layer_norm(
                context @ layer.attention_out[0] + layer.attention_out[1] + x,
                *layer.norm1,
                self.eps,
            )
            hidden = _gelu(x @ layer.intermediate[0] + layer.intermediate[1])
            x = _layer_norm(hidden @ layer.output[0] + layer.output[1] + x, *layer.norm2, self.eps)
        return x, mask

    def encode_many(
        self,
        texts: Sequence[str],
        *,
        batch_size: int,
        token_budget: int = TOKEN_BUDGET,
        progress: Any = None,
    ) -> np.ndarray:
        """Like ``encode`` for any number of texts: batches of similar length, original order.

        A batch holds at most ``batch_size`` texts and about ``token_budget`` word
        pieces, which keeps the attention and GELU temporaries in cache.
        """
        vectors, _ = self._encode_many(texts, batch_size, token_budget, progress, tokens=False)
        return vectors

    def encode_many_with_tokens(
        self,
        texts: Sequence[str],
        *,
        batch_size: int,
        token_budget: int = TOKEN_BUDGET,
        progress: Any = None,
    ) -> tuple[np.ndarray, list[TokenStates]]:
        """``encode_many``, plus each text's word-piece ids and last-layer states."""
        vectors, states = self._encode_many(texts, batch_size, token_budget, progress, tokens=True)
        return vectors, [s for s in states if s is not None]

    def _encode_many(
        self,
        texts: Sequence[str],
        batch_size: int,
        token_budget: int,
        progress: Any,
        *,
        tokens: bool,
    ) -> tuple[np.ndarray, list[TokenStates | None]]:
        ids_list = self.token_ids(texts)
        order = sorted(range(len(texts)), key=lambda i: len(ids_list[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        states: list[TokenStates | None] = [None] * len(texts)
        start = 0
        while start < len(order):
            # sorted by length, so a batch's last row is its longest
            size = 1
            while (
                size < batch_size
                and start + size < len(order)
                and (size + 1) * len(ids_list[order[start + size]]) <= token_budget
            ):
                size += 1
            rows = order[start : start + size]
            x, mask = self._hidden([ids_list[i] for i in rows])
            out[rows] = _mean_pool(x, mask)
            if tokens:
                for position, i in enumerate(rows):
                    states[i] = (ids_list[i], x[position, : len(ids_list[i])].copy())
            if progress is not None:
                progress.update(len(rows))
            start += size
        return out, states


def _mean_pool(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the unmasked token states, L2-normalised: the sentence vector."""
    pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return np.ascontiguousarray(pooled / np.maximum(norms, 1e-12), dtype=np.float32)
