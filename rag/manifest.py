"""The index folder's format: its manifest, its files and the checks on them.

What ``manifest.json`` records (format version, model, chunking parameters, the
SHA-256 of every corpus file and, under ``added_at``, when each was added, the size and
SHA-256 of every other file of the index), which files an index must hold, and the checks that read a folder and say
what is wrong with it: a file's size or SHA-256 differs from the manifest
(``_hash_problem``, ``_VerifiedReader``), the vectors do not have the shapes the
manifest says or are not finite unit vectors (``_shape_problem``,
``vector_problem``), a folder is not a whole index of this format
(``_folder_problem``).  ``IndexStatus`` is the verdict ``check_index``
(``rag.index``) returns: ``ok``, ``missing``, ``stale``, ``foreign`` or ``corrupt``.

What this module does not do: build or write an index (``rag.index_build``),
load one into memory or decide what to do with a bad one (``rag.index``).  It
writes nothing on disk.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import faiss
import numpy as np

from rag.chunking import CHUNKER_VERSION, TIKTOKEN_ENCODING
from rag.corpus import load_corpus
from rag.errors import IndexStateError
from rag.schema import CONTEXT_HEADER_STYLE
from rag.settings import Settings

FORMAT_VERSION = 3  # 2: word-piece vectors for late interaction; 3: SHA-256 of every file
REQUIRED_FILES = (
    "manifest.json",
    "chunks.jsonl",
    "sentences.jsonl",
    "documents.jsonl",
    "chunk_vectors.npy",
    "sentence_vectors.npy",
    "token_vectors.npy",
    "token_ids.npy",
    "token_offsets.npy",
    "chunks.faiss",
)
# every file but the manifest has its size and SHA-256 in the manifest
HASHED_FILES = (*REQUIRED_FILES[1:], "README.md")
# |norm - 1| allowed for a stored vector: float32 rows are normalised to ~1e-7,
# float16 word-piece rows to ~1e-4 (measured on the real index)
UNIT_NORM_TOLERANCE = {"chunk_vectors.npy": 1e-3, "sentence_vectors.npy": 1e-3}
UNIT_NORM_TOLERANCE_FLOAT16 = 5e-3

State = Literal["ok", "missing", "stale", "foreign", "corrupt"]


@dataclass(frozen=True)
class IndexStatus:
    state: State
    reason: str

    @property
    def ok(self) -> bool:
        return self.state == "ok"


def _chunking_params(settings: Settings, embedder_max: int) -> dict[str, Any]:
    return {
        "chunk_tokens": settings.chunk_tokens,
        "overlap_sentences": settings.chunk_overlap_sentences,
        "tokenizer": TIKTOKEN_ENCODING,
        "max_wordpieces": embedder_max,
        "splitter": "pysbd",
        "chunker_version": CHUNKER_VERSION,
        "context_header": CONTEXT_HEADER_STYLE,
    }


def corpus_hashes(settings: Settings) -> dict[str, str]:
    """SHA-256 of every corpus file that would be indexed (same rules as loading)."""
    documents, _ = load_corpus(settings.corpus_dir)
    return {d.source: d.sha256 for d in documents}


def _file_digest(path: Path) -> dict[str, Any]:
    with open(path, "rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    return {"bytes": path.stat().st_size, "sha256": digest}


def _folder_problem(folder: Path) -> str | None:
    """Why ``folder`` is not a whole index of this format, or None (every file hashed)."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        return f"manifest.json is unreadable ({exc})"
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        return "not an index of this format"
    return _hash_problem(folder, manifest)


def _hash_problem(folder: Path, manifest: dict[str, Any]) -> str | None:
    """Does every file match the size and SHA-256 the manifest recorded at build time?"""
    files = manifest.get("files")
    if not isinstance(files, dict):
        return "the manifest lists no file hashes"
    for name in HASHED_FILES:
        expected = files.get(name) or {}
        try:
            found = _file_digest(folder / name)
        except OSError as exc:
            return f"{name} is unreadable ({exc.strerror or exc})"
        if found != expected:
            return _mismatch(name, found["bytes"], expected)
    return None


def _mismatch(name: str, size: int, expected: dict[str, Any]) -> str:
    if size != expected.get("bytes"):
        return f"{name} holds {size} bytes, the manifest says {expected.get('bytes')}"
    return f"{name} does not match its SHA-256 in the manifest (changed since the build)"


def vector_problem(arrays: dict[str, np.ndarray]) -> str | None:
    """Are these stored vectors (file name -> rows) finite and unit length?

    >>> vector_problem({"chunk_vectors.npy": np.array([[0.6, 0.8]], dtype=np.float32)})
    >>> vector_problem({"chunk_vectors.npy": np.array([[0.0, 2.0]], dtype=np.float32)})
    'chunk_vectors.npy holds vectors that are not unit length (norms 2.000 to 2.000)'
    """
    for name, rows in arrays.items():
        if not len(rows):
            continue
        tolerance = UNIT_NORM_TOLERANCE.get(name, UNIT_NORM_TOLERANCE_FLOAT16)
        worst_low, worst_high = np.inf, -np.inf
        for start in range(0, len(rows), 65_536):  # bounded memory for large indexes
            block = np.asarray(rows[start : start + 65_536], dtype=np.float32)
            if not np.isfinite(block).all():
                return f"{name} holds non-finite values (NaN or infinity)"
            norms = np.linalg.norm(block, axis=1)
            worst_low, worst_high = min(worst_low, norms.min()), max(worst_high, norms.max())
        if worst_low < 1 - tolerance or worst_high > 1 + tolerance:
            return (
                f"{name} holds vectors that are not unit length "
                f"(norms {worst_low:.3f} to {worst_high:.3f})"
            )
    return None


_UNIT_VECTOR_FILES = ("chunk_vectors.npy", "sentence_vectors.npy", "token_vectors.npy")


def _shape_problem(index_dir: Path, manifest: dict[str, Any]) -> str | None:
    """Do the vector files and the FAISS index hold what the manifest says, finite unit
    vectors?  Memory-mapped, so a truncated file is caught without loading it whole."""
    dim = (manifest.get("model") or {}).get("dim")
    expected = {
        "chunk_vectors.npy": (manifest.get("n_chunks"), dim),
        "sentence_vectors.npy": (manifest.get("n_sentences"), dim),
        "token_vectors.npy": (manifest.get("n_tokens"), dim),
        "token_ids.npy": (manifest.get("n_tokens"),),
        "token_offsets.npy": ((manifest.get("n_sentences") or 0) + 1,),
    }
    try:
        arrays = {}
        for name, shape in expected.items():
            arrays[name] = np.load(index_dir / name, mmap_mode="r", allow_pickle=False)
            if arrays[name].shape != shape:
                return f"{name} holds {arrays[name].shape}, the manifest says {shape}"
        problem = vector_problem({name: arrays[name] for name in _UNIT_VECTOR_FILES})
        if problem:
            return problem
        ntotal = faiss.read_index(str(index_dir / "chunks.faiss"), faiss.IO_FLAG_MMAP).ntotal
    except (OSError, ValueError, RuntimeError) as exc:
        return f"unreadable vectors ({type(exc).__name__}: {str(exc)[:120]})"
    if ntotal != manifest.get("n_chunks"):
        return f"chunks.faiss holds {ntotal} vectors, the manifest says {manifest.get('n_chunks')}"
    return None


class _VerifiedReader:
    """Reads index files whole, each checked against its size and SHA-256 in the manifest."""

    def __init__(self, folder: Path, files: dict[str, Any]) -> None:
        self.folder = folder
        self.files = files

    def raw(self, name: str) -> bytes:
        data = (self.folder / name).read_bytes()
        expected = self.files.get(name) or {}
        if len(data) != expected.get("bytes") or hashlib.sha256(data).hexdigest() != expected.get(
            "sha256"
        ):
            raise IndexStateError(
                f"index in {self.folder} is corrupted ({_mismatch(name, len(data), expected)}); "
                "run `rag index` to rebuild it"
            )
        return data

    def npy(self, name: str) -> np.ndarray:
        return np.load(io.BytesIO(self.raw(name)), allow_pickle=False)

    def jsonl(self, name: str) -> list[dict[str, Any]]:
        text = self.raw(name).decode("utf-8")
        return [json.loads(line) for line in text.split("\n") if line.strip()]
