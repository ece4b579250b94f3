"""Build the index and write it atomically; clean up after killed builds.

``build_index`` loads and chunks the corpus, embeds passages, sentences and word
pieces, makes the FAISS index (exact, or HNSW for large corpora) and writes the
folder: to a sibling temporary folder (``index.tmp-PID-…``) that then replaces the
old one by rename, under a lock file, the manifest written last.  A failed write
(disk full, read-only folder) removes its temporary folder, leaves the old index as
it was and raises ``IndexWriteError``, one line for the user.  Before writing, a
build puts back a previous index a killed build left between its two renames (if it
verifies) and removes the leftovers of builds whose process is gone
(``index.old-PID``, ``index.tmp-PID-…``).

What this module does not do: define the manifest or check a folder against it
(``rag.manifest``), load an index or decide when to rebuild one (``rag.index``).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import re
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from rag.chunking import chunk_documents
from rag.corpus import Skipped, load_corpus
from rag.embedding import Embedder, get_embedder, model_identity
from rag.errors import CorpusError, IndexStateError, IndexWriteError
from rag.late import TokenIndex
from rag.manifest import (
    FORMAT_VERSION,
    HASHED_FILES,
    _chunking_params,
    _file_digest,
    _folder_problem,
    vector_problem,
)
from rag.schema import Chunk, Document, DroppedLine, Sentence
from rag.settings import Settings

log = logging.getLogger(__name__)

# HNSW for large indexes, chosen by bench/scale.py (docs/benchmarks.md): at 10^6 chunks it
# answers in 0.24 ms p50 at recall@10 0.958, where exact search takes 59 ms; exact search
# passes 2 ms p50 near 30k chunks, hence settings.approx_index_min_chunks.
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 128
HNSW_EF_SEARCH = 64


@dataclass(frozen=True)
class BuildReport:
    """What ``rag index`` prints."""

    n_documents: int
    n_chunks: int
    n_sentences: int
    tokens_min: int
    tokens_median: float
    tokens_max: int
    seconds: float
    index_type: str
    skipped: tuple[Skipped, ...] = ()
    dropped: tuple[DroppedLine, ...] = ()


def build_index(
    settings: Settings, embedder: Embedder | None = None, *, progress: bool = False
) -> BuildReport:
    """Load and chunk the corpus, embed it and write the index folder atomically."""
    started = time.perf_counter()
    if embedder is None:
        embedder = get_embedder(
            settings.embed_model,
            batch_size=settings.embed_batch_size,
            backend=settings.embed_backend,
        )
    documents, skipped = load_corpus(settings.corpus_dir)
    sentences, chunks = chunk_documents(
        documents,
        chunk_tokens=settings.chunk_tokens,
        overlap=settings.chunk_overlap_sentences,
        count_wordpieces=embedder.count_wordpieces,
        max_wordpieces=embedder.max_wordpieces,
    )
    if not chunks:
        raise CorpusError(f"the corpus in {settings.corpus_dir} produced no passages")
    chunk_vectors = embedder.embed([c.embed_text for c in chunks], progress=progress)
    sentence_vectors, sentence_tokens = embedder.embed_with_tokens(
        [s.text for s in sentences], progress=progress
    )
    tokens = TokenIndex.from_sentences(sentence_tokens, int(chunk_vectors.shape[1]))
    contents = IndexContents(documents, chunks, sentences, chunk_vectors, sentence_vectors, tokens)
    index_type = write_index(settings, contents, embedder.max_wordpieces, started)
    counts = [c.n_tokens for c in chunks]
    return BuildReport(
        n_documents=len(documents),
        n_chunks=len(chunks),
        n_sentences=len(sentences),
        tokens_min=min(counts),
        tokens_median=statistics.median(counts),
        tokens_max=max(counts),
        seconds=time.perf_counter() - started,
        index_type=index_type,
        skipped=tuple(skipped),
        dropped=tuple(d for doc in documents for d in doc.dropped),
    )


@dataclass(frozen=True)
class IndexContents:
    """Everything an index folder holds, in memory, in corpus order (by file name)."""

    documents: list[Document]
    chunks: list[Chunk]
    sentences: list[Sentence]
    chunk_vectors: np.ndarray  # (n_chunks, dim) float32
    sentence_vectors: np.ndarray  # (n_sentences, dim) float32
    tokens: TokenIndex


def write_index(
    settings: Settings,
    contents: IndexContents,
    max_wordpieces: int,
    started: float,
    *,
    added_at: dict[str, str] | None = None,
    changed: Collection[str] | None = None,
) -> str:
    """Check the vectors, make the FAISS index and write the folder atomically, under the
    lock; returns the FAISS index type.  ``added_at`` (source -> ISO time) is carried
    into the manifest; a document it does not name is stamped now, unless the index
    being replaced already knew it.  ``changed`` (an incremental update) names the
    documents whose vectors are new, the others' kept: a Qdrant server's collection is
    then updated by document (``rag.qdrant_update``).  Raises ``IndexWriteError`` (the
    old index kept)."""
    c = contents
    problem = vector_problem(
        {
            "chunk_vectors.npy": c.chunk_vectors,
            "sentence_vectors.npy": c.sentence_vectors,
            "token_vectors.npy": c.tokens.vectors,
        }
    )
    if problem:
        raise IndexStateError(f"the embedder produced bad vectors ({problem}); no index written")
    index_type = "hnsw" if len(c.chunks) >= settings.approx_index_min_chunks else "flat"
    faiss_index = make_faiss_index(c.chunk_vectors, index_type)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    known = {**_previous_added(settings.index_dir), **(added_at or {})}
    manifest = {
        "format_version": FORMAT_VERSION,
        "model": {**model_identity(settings.embed_model), "dim": int(c.chunk_vectors.shape[1])},
        "chunking": _chunking_params(settings, max_wordpieces),
        "corpus": {d.source: d.sha256 for d in c.documents},
        "added_at": {d.source: known.get(d.source, now) for d in c.documents},
        "index_type": index_type,
        "hnsw": {"M": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION, "ef_search": HNSW_EF_SEARCH}
        if index_type == "hnsw"
        else None,
        "n_documents": len(c.documents),
        "n_chunks": len(c.chunks),
        "n_sentences": len(c.sentences),
        "n_tokens": len(c.tokens.ids),
        "built_at": now,
        "build_seconds": round(time.perf_counter() - started, 3),
    }
    backend = None
    if settings.index_backend == "qdrant":  # the collection is written into the same build
        from rag.qdrant_update import write_backend

        def backend(folder: Path) -> dict[str, Any]:  # runs under the lock, before the rename
            return write_backend(settings, folder, c, _old_manifest(settings.index_dir), changed)

    try:
        with _locked(settings.index_dir):
            _restore_previous(settings.index_dir)  # so a failed write still leaves one
            before = _old_manifest(settings.index_dir)
            for leftover in _leftovers(settings.index_dir):
                shutil.rmtree(leftover, ignore_errors=True)
            _write_atomically(
                settings.index_dir,
                manifest,
                c.documents,
                c.chunks,
                c.sentences,
                c.chunk_vectors,
                c.sentence_vectors,
                c.tokens,
                faiss_index,
                backend,
            )
            if backend is not None and before:
                from rag.qdrant_update import after_commit

                # a server: delete the points an update retired, or the previous collection
                after_commit(
                    settings, settings.index_dir, before, _old_manifest(settings.index_dir)
                )
    except OSError as exc:
        code = errno.errorcode.get(exc.errno or 0, "")
        previous = (
            "the previous index is unchanged"
            if (settings.index_dir / "manifest.json").is_file()
            else "no index was written"
        )
        raise IndexWriteError(
            f"could not write the index to {settings.index_dir}: {exc.strerror or exc}"
            f"{f' ({code})' if code else ''}; {previous}; free some space (or fix the "
            "folder's permissions) and run `rag index` again"
        ) from None
    return index_type


def _previous_added(index_dir: Path) -> dict[str, str]:
    """When each document of the index being replaced was added ({} if unknown)."""
    try:
        manifest = json.loads((index_dir / "manifest.json").read_text())
        added = manifest.get("added_at") if isinstance(manifest, dict) else None
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in added.items()} if isinstance(added, dict) else {}


def make_faiss_index(vectors: np.ndarray, index_type: str) -> Any:
    """An inner-product FAISS index over ``vectors``: exact, or HNSW for large corpora."""
    dim = int(vectors.shape[1])
    index: Any
    if index_type == "hnsw":
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dim)
    faiss.omp_set_num_threads(os.cpu_count() or 1)  # building uses every core ...
    try:
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    finally:
        faiss.omp_set_num_threads(1)  # ... one query at a time is fastest on one (bench/scale.py)
    return index


@contextlib.contextmanager
def _locked(index_dir: Path) -> Iterator[None]:
    """One builder at a time per index folder (a lock file beside it)."""
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(index_dir.parent / f".{index_dir.name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomically(
    index_dir: Path,
    manifest: dict[str, Any],
    documents: list[Document],
    chunks: list[Chunk],
    sentences: list[Sentence],
    chunk_vectors: np.ndarray,
    sentence_vectors: np.ndarray,
    tokens: TokenIndex,
    faiss_index: Any,
    backend: Callable[[Path], dict[str, Any]] | None = None,
) -> None:
    parent = index_dir.parent
    tmp = Path(tempfile.mkdtemp(prefix=f"{index_dir.name}.tmp-{os.getpid()}-", dir=parent))
    old = parent / f"{index_dir.name}.old-{os.getpid()}"
    try:
        _write_jsonl(tmp / "chunks.jsonl", (asdict(c) for c in chunks))
        _write_jsonl(tmp / "sentences.jsonl", (asdict(s) for s in sentences))
        _write_jsonl(
            tmp / "documents.jsonl",
            (
                {
                    "source": d.source,
                    "title": d.title,
                    "sha256": d.sha256,
                    "text": d.text,
                    "blocks": [asdict(b) for b in d.blocks],
                }
                for d in documents
            ),
        )
        np.save(tmp / "chunk_vectors.npy", chunk_vectors, allow_pickle=False)
        np.save(tmp / "sentence_vectors.npy", sentence_vectors, allow_pickle=False)
        # float16 halves the largest file; scores move by < 1e-3 (tests/test_late.py)
        np.save(tmp / "token_vectors.npy", tokens.vectors.astype(np.float16), allow_pickle=False)
        np.save(tmp / "token_ids.npy", tokens.ids.astype(np.int32), allow_pickle=False)
        np.save(tmp / "token_offsets.npy", tokens.offsets, allow_pickle=False)
        faiss.write_index(faiss_index, str(tmp / "chunks.faiss"))
        if backend is not None:  # e.g. the Qdrant collection (rag/qdrant_index.py)
            manifest = {**manifest, "backend": backend(tmp)}
        (tmp / "README.md").write_text(_readme(manifest))
        manifest = {**manifest, "files": {name: _file_digest(tmp / name) for name in HASHED_FILES}}
        # the manifest goes last: a folder without one is never taken for an index
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        for path in tmp.iterdir():
            if path.is_dir():  # the Qdrant collection's folder (its client syncs it)
                continue
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
        if index_dir.exists():
            os.rename(index_dir, old)
        os.rename(tmp, index_dir)
    except BaseException:
        if old.exists() and not index_dir.exists():
            os.rename(old, index_dir)  # the swap failed half-way: put the old index back
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)  # a kill here leaves old-PID for the next build


def _old_manifest(index_dir: Path) -> dict[str, Any] | None:
    """The manifest of the index a build is about to replace, if it reads."""
    try:
        found = json.loads((index_dir / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def _owner_pid(leftover: Path, index_dir: Path) -> int | None:
    """The PID in ``index.old-PID`` / ``index.tmp-PID-…`` (None for other names).

    >>> _owner_pid(Path("x/index.old-24311"), Path("x/index"))
    24311
    >>> _owner_pid(Path("x/index.tmp-77-k2j4"), Path("x/index"))
    77
    >>> _owner_pid(Path("x/index.tmp-k2j4"), Path("x/index")) is None
    True
    """
    found = re.fullmatch(rf"{re.escape(index_dir.name)}\.(?:old|tmp)-(\d+)(?:-.*)?", leftover.name)
    return int(found.group(1)) if found else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _leftovers(index_dir: Path) -> list[Path]:
    """``index.old-*`` and ``index.tmp-*`` folders whose build is over: its process is gone,
    or is this one (a build of this process is not running while we look), or unnamed."""
    found = []
    for path in (
        *index_dir.parent.glob(f"{index_dir.name}.old-*"),
        *index_dir.parent.glob(f"{index_dir.name}.tmp-*"),
    ):
        pid = _owner_pid(path, index_dir)
        if pid is None or pid == os.getpid() or not _alive(pid):
            found.append(path)
    return sorted(found)


def _restorable(index_dir: Path) -> Path | None:
    """A previous index a killed build left as ``index.old-PID`` that verifies, newest first;
    None if the index folder exists or no leftover verifies.  Reads, never writes."""
    if index_dir.exists():
        return None
    candidates = [p for p in _leftovers(index_dir) if ".old-" in p.name and p.is_dir()]
    for old in sorted(candidates, key=lambda p: p.stat().st_mtime, reverse=True):
        if _folder_problem(old) is None:
            return old
    return None


def _restore_previous(index_dir: Path) -> bool:
    """Put back a previous index that a build killed between its two renames left behind,
    if it verifies.  The caller holds the lock."""
    old = _restorable(index_dir)
    if old is None:
        return False
    os.rename(old, index_dir)
    log.warning("restored the previous index from %s (a build was interrupted)", old.name)
    return True


def _write_jsonl(path: Path, rows: Iterator[dict[str, Any]] | Any) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _readme(manifest: dict[str, Any]) -> str:
    return (
        "# Anora Q&A search index\n\n"
        f"Built {manifest['built_at']} by `rag index` from {manifest['n_documents']} articles: "
        f"{manifest['n_chunks']} passages, {manifest['n_sentences']} sentences, "
        f"model {manifest['model']['name']} ({manifest['model']['dim']} dimensions), "
        f"{manifest['index_type']} FAISS index.\n\n"
        "- `manifest.json`: what was built from what (checked on every load)\n"
        "- `chunks.jsonl`: one passage per line (text shown to users, offsets into the article)\n"
        "- `sentences.jsonl`: every sentence with its offsets; passages list sentence ids\n"
        "- `documents.jsonl`: the original articles\n"
        "- `chunk_vectors.npy`, `sentence_vectors.npy`: normalised float32 embeddings\n"
        "- `token_vectors.npy` (float16), `token_ids.npy`, `token_offsets.npy`: each "
        "sentence's word-piece vectors, for late-interaction scoring\n"
        "- `chunks.faiss`: the FAISS inner-product index over chunk vectors\n\n"
        "Do not edit by hand: `rag index` rebuilds it; `rag index --check` reports its state.\n"
    )
