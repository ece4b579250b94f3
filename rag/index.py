"""Build, save, check and load the search index (``index/``).

The index folder is plain files a person can open:

- ``manifest.json``: format version, embedding model (name, fingerprint,
  dimension), chunking parameters, the SHA-256 of every corpus file, the size and
  SHA-256 of every other file of the index, the FAISS index type, counts, build
  time and duration;
- ``chunks.jsonl``, ``sentences.jsonl``, ``documents.jsonl`` (the original
  articles, so citations can be opened even if the corpus moves);
- ``chunk_vectors.npy``, ``sentence_vectors.npy`` (float32, normalised,
  saved with ``allow_pickle=False``);
- ``token_vectors.npy`` (float16), ``token_ids.npy``, ``token_offsets.npy``:
  every sentence's word-piece vectors for late interaction (``rag.late``),
  sentence ``i`` owning rows ``offsets[i]:offsets[i + 1]``;
- ``chunks.faiss``: inner-product FAISS index over the chunk vectors: exact
  (``IndexFlatIP``) below ``approx_index_min_chunks`` chunks (30,000), HNSW from
  there on (M=32, efConstruction=128, efSearch=64: parameters and the switch size
  come from bench/scale.py, see docs/benchmarks.md);
- ``README.md``: what these files are, for humans.

Writes are atomic: a build goes to a sibling temporary folder
(``index.tmp-PID-…``) which then replaces the old one by rename, under a lock
file, so a crash (even ``kill -9``) leaves the previous index whole.  A failed
write (disk full, read-only folder) removes its temporary folder, leaves the old
index as it was and raises ``IndexWriteError``, one line for the user.  The next
build removes the leftovers of builds whose process is gone (``index.old-PID``,
``index.tmp-PID-…``).

Integrity: ``check_index`` and ``load_index`` hash every file and compare it with
the manifest, and check that the vectors are finite and unit length, so an index
edited, shuffled or damaged after its build is ``corrupt``, never served.  The
hashes guard against accidents and tampering with the files alone; whoever can
rewrite the whole folder (manifest included) or the corpus is trusted
(docs/reliability.md).

``check_index`` tells whether the folder is ``ok``, ``missing``, ``stale`` (corpus
or chunking changed), ``foreign`` (another model or dimension) or ``corrupt``,
and changes nothing on disk.  ``ensure_index`` (what start-up calls) puts back a
previous index left by a build killed mid-swap, if it verifies; rebuilds in every
case but ``ok``; and, when a stale index cannot be rebuilt (disk full, corpus
unreadable), keeps serving it with a warning.

What this module does not do: rank results for a question (``retrieval``).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import io
import json
import logging
import os
import re
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import faiss
import numpy as np

from rag.chunking import CHUNKER_VERSION, TIKTOKEN_ENCODING, chunk_documents
from rag.corpus import Skipped, load_corpus
from rag.embedding import Embedder, get_embedder, model_identity
from rag.errors import CorpusError, IndexStateError, IndexWriteError, RagError
from rag.late import TokenIndex
from rag.schema import CONTEXT_HEADER_STYLE, Chunk, Document, DroppedLine, Sentence
from rag.settings import Settings

log = logging.getLogger(__name__)

FORMAT_VERSION = 3  # 2: word-piece vectors for late interaction; 3: SHA-256 of every file
# HNSW for large indexes, chosen by bench/scale.py (docs/benchmarks.md): at 10^6 chunks it
# answers in 0.24 ms p50 at recall@10 0.958, where exact search takes 59 ms; exact search
# passes 2 ms p50 near 30k chunks, hence settings.approx_index_min_chunks.
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 128
HNSW_EF_SEARCH = 64
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


@dataclass
class LoadedIndex:
    """Everything search and answering need, in memory."""

    manifest: dict[str, Any]
    chunks: list[Chunk]
    sentences: list[Sentence]
    documents: dict[str, Document]
    chunk_vectors: np.ndarray
    sentence_vectors: np.ndarray
    faiss_index: Any
    tokens: TokenIndex
    chunk_by_id: dict[str, Chunk] = field(init=False)
    chunk_position: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.chunk_by_id = {c.id: c for c in self.chunks}
        self.chunk_position = {c.id: i for i, c in enumerate(self.chunks)}

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(chunk position, cosine) of the ``k`` nearest chunks."""
        k = min(k, len(self.chunks))
        scores, ids = self.faiss_index.search(vector.reshape(1, -1).astype(np.float32), k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]


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
    dim = int(chunk_vectors.shape[1])
    tokens = TokenIndex.from_sentences(sentence_tokens, dim)
    problem = vector_problem(
        {
            "chunk_vectors.npy": chunk_vectors,
            "sentence_vectors.npy": sentence_vectors,
            "token_vectors.npy": tokens.vectors,
        }
    )
    if problem:
        raise IndexStateError(f"the embedder produced bad vectors ({problem}); no index written")
    index_type = "hnsw" if len(chunks) >= settings.approx_index_min_chunks else "flat"
    faiss_index = make_faiss_index(chunk_vectors, index_type)
    seconds = time.perf_counter() - started
    manifest = {
        "format_version": FORMAT_VERSION,
        "model": {**model_identity(settings.embed_model), "dim": dim},
        "chunking": _chunking_params(settings, embedder.max_wordpieces),
        "corpus": {d.source: d.sha256 for d in documents},
        "index_type": index_type,
        "hnsw": {"M": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION, "ef_search": HNSW_EF_SEARCH}
        if index_type == "hnsw"
        else None,
        "n_documents": len(documents),
        "n_chunks": len(chunks),
        "n_sentences": len(sentences),
        "n_tokens": len(tokens.ids),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_seconds": round(seconds, 3),
    }
    try:
        with _locked(settings.index_dir):
            _restore_previous(settings.index_dir)  # so a failed write still leaves one
            for leftover in _leftovers(settings.index_dir):
                shutil.rmtree(leftover, ignore_errors=True)
            _write_atomically(
                settings.index_dir,
                manifest,
                documents,
                chunks,
                sentences,
                chunk_vectors,
                sentence_vectors,
                tokens,
                faiss_index,
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
        (tmp / "README.md").write_text(_readme(manifest))
        manifest = {**manifest, "files": {name: _file_digest(tmp / name) for name in HASHED_FILES}}
        # the manifest goes last: a folder without one is never taken for an index
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        for path in tmp.iterdir():
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


def _file_digest(path: Path) -> dict[str, Any]:
    with open(path, "rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    return {"bytes": path.stat().st_size, "sha256": digest}


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


def check_index(settings: Settings) -> IndexStatus:
    """Is the index folder usable for these settings and this corpus?

    Hashes every file (a few milliseconds for this corpus) and reads the vectors through
    mmap; writes nothing, restores nothing, removes nothing.
    """
    index_dir = settings.index_dir
    if not (index_dir / "manifest.json").exists():
        previous = _restorable(index_dir)
        hint = (
            f" ({previous.name} holds a previous index that verifies: the next `rag index` "
            "or start puts it back)"
            if previous
            else ""
        )
        return IndexStatus("missing", f"no index in {index_dir}{hint}")
    try:
        manifest = json.loads((index_dir / "manifest.json").read_text())
        if not isinstance(manifest, dict):
            raise ValueError("manifest is not an object")
    except (OSError, ValueError) as exc:
        return IndexStatus("corrupt", f"manifest.json is unreadable ({exc})")
    # an older format may well lack files this one needs: that is stale, not corrupt
    if manifest.get("format_version") != FORMAT_VERSION:
        return IndexStatus(
            "stale",
            f"format version {manifest.get('format_version')} (this code writes {FORMAT_VERSION})",
        )
    missing = [name for name in REQUIRED_FILES if not (index_dir / name).is_file()]
    if missing:
        return IndexStatus("corrupt", f"missing files: {', '.join(missing)}")
    problem = _hash_problem(index_dir, manifest)
    if problem:
        return IndexStatus("corrupt", problem)
    identity = model_identity(settings.embed_model)
    built_with = manifest.get("model") or {}
    if built_with.get("fingerprint") != identity["fingerprint"]:
        return IndexStatus(
            "foreign",
            f"built with model {built_with.get('name')!r} "
            f"({built_with.get('fingerprint')}), not {identity['name']!r} "
            f"({identity['fingerprint']})",
        )
    chunking = manifest.get("chunking") or {}
    wanted = _chunking_params(settings, chunking.get("max_wordpieces", 0))
    if chunking != wanted:
        return IndexStatus("stale", f"chunking changed: {chunking} -> {wanted}")
    problem = _shape_problem(index_dir, manifest)
    if problem:
        return IndexStatus("corrupt", problem)
    try:
        current = corpus_hashes(settings)
    except CorpusError as exc:
        return IndexStatus("stale", str(exc))
    if current != manifest.get("corpus"):
        before = manifest.get("corpus") or {}
        changed = sorted(
            set(current) ^ set(before) | {k for k in current if before.get(k) != current[k]}
        )
        return IndexStatus("stale", f"corpus changed: {', '.join(changed)}")
    return IndexStatus(
        "ok",
        f"{manifest.get('n_chunks')} passages from "
        f"{manifest.get('n_documents')} articles, built {manifest.get('built_at')}",
    )


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


def load_index(index_dir: Path) -> LoadedIndex:
    """Read an index folder; any unreadable, edited or inconsistent file raises
    ``IndexStateError``.  Each file is read once: hashed, compared with the manifest, then
    parsed from the same bytes.  Changes nothing on disk."""
    try:
        manifest = json.loads((index_dir / "manifest.json").read_text())
        if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
            raise IndexStateError(
                f"index in {index_dir} lists no file hashes (format "
                f"{manifest.get('format_version') if isinstance(manifest, dict) else '?'}, "
                f"this code writes {FORMAT_VERSION}); run `rag index` to rebuild it"
            )
        read = _VerifiedReader(index_dir, manifest["files"])
        chunks = [_chunk(row) for row in read.jsonl("chunks.jsonl")]
        sentences = [Sentence(**row) for row in read.jsonl("sentences.jsonl")]
        documents = {}
        for row in read.jsonl("documents.jsonl"):
            documents[row["source"]] = Document(
                source=row["source"],
                title=row["title"],
                text=row["text"],
                sha256=row["sha256"],
                blocks=(),
            )
        chunk_vectors = read.npy("chunk_vectors.npy")
        sentence_vectors = read.npy("sentence_vectors.npy")
        token_vectors = read.npy("token_vectors.npy")
        token_ids = read.npy("token_ids.npy")
        token_offsets = read.npy("token_offsets.npy")
        faiss_index: Any = faiss.deserialize_index(
            np.frombuffer(read.raw("chunks.faiss"), dtype=np.uint8)
        )
        read.raw("README.md")  # hashed like the others: nothing in the folder was edited
    except IndexStateError:
        raise
    except FileNotFoundError as exc:
        raise IndexStateError(
            f"index in {index_dir} is incomplete: {exc.filename} is missing; "
            "run `rag index` to rebuild it"
        ) from None
    except (OSError, ValueError, TypeError, KeyError, RuntimeError) as exc:
        raise IndexStateError(
            f"index in {index_dir} is corrupted ({type(exc).__name__}: "
            f"{str(exc)[:200]}); run `rag index` to rebuild it"
        ) from None
    dim = manifest.get("model", {}).get("dim")
    problems = []
    if chunk_vectors.shape != (len(chunks), dim) or faiss_index.ntotal != len(chunks):
        problems.append(
            f"{len(chunks)} passages but vectors {chunk_vectors.shape}, FAISS {faiss_index.ntotal}"
        )
    if sentence_vectors.shape != (len(sentences), dim):
        problems.append(f"{len(sentences)} sentences but vectors {sentence_vectors.shape}")
    if any(s.id != i for i, s in enumerate(sentences)):
        problems.append("sentence ids out of order")
    n_tokens = len(token_ids)
    if (
        token_vectors.shape != (n_tokens, dim)
        or token_offsets.shape != (len(sentences) + 1,)
        or (len(token_offsets) and (token_offsets[0] != 0 or token_offsets[-1] != n_tokens))
        or bool(np.any(np.diff(token_offsets) < 0))
    ):
        problems.append(
            f"word-piece vectors {token_vectors.shape}, ids {token_ids.shape} and offsets "
            f"{token_offsets.shape} do not fit {len(sentences)} sentences"
        )
    problem = vector_problem(
        {
            "chunk_vectors.npy": chunk_vectors,
            "sentence_vectors.npy": sentence_vectors,
            "token_vectors.npy": token_vectors,
        }
    )
    if problem:
        problems.append(problem)
    if problems:
        raise IndexStateError(
            f"index in {index_dir} is inconsistent ({'; '.join(problems)}); "
            "run `rag index` to rebuild it"
        )
    if manifest.get("index_type") == "hnsw":
        faiss_index.hnsw.efSearch = HNSW_EF_SEARCH
    faiss.omp_set_num_threads(1)  # single queries are fastest on one thread (bench/scale.py)
    return LoadedIndex(
        manifest,
        chunks,
        sentences,
        documents,
        chunk_vectors,
        sentence_vectors,
        faiss_index,
        TokenIndex(token_vectors, token_ids, token_offsets),
    )


def _chunk(row: dict[str, Any]) -> Chunk:
    row["sentence_ids"] = tuple(row["sentence_ids"])
    return Chunk(**row)


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


def ensure_index(
    settings: Settings, embedder: Embedder | None = None, *, progress: bool = False
) -> LoadedIndex:
    """Load the index, rebuilding it first (with one log line) if it is not ``ok``.

    A previous index a killed build left behind is put back first, if it verifies.  When
    a ``stale`` index cannot be rebuilt (disk full, corpus unreadable) but still verifies,
    it is served, with a warning: an old answer beats no app.
    """
    index_dir = settings.index_dir
    if not index_dir.exists() and _restorable(index_dir):
        with _locked(index_dir):
            _restore_previous(index_dir)
    status = check_index(settings)
    if status.ok:
        try:
            return load_index(index_dir)
        except IndexStateError as exc:
            status = IndexStatus("corrupt", str(exc))
    log.warning("index %s: %s; rebuilding it", status.state, status.reason)
    try:
        build_index(settings, embedder, progress=progress)
    except RagError as exc:
        if status.state != "stale":
            raise
        try:
            previous = load_index(index_dir)
        except IndexStateError:
            raise exc from None
        log.warning("could not rebuild the index (%s); serving the stale index as it is", exc)
        return previous
    return load_index(index_dir)
