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

The code is in three modules: ``rag.manifest`` (the manifest format, per-file
SHA-256, the stale/foreign/corrupt checks), ``rag.index_build`` (building, the
atomic write, leftover cleanup, disk-full handling) and this one (``LoadedIndex``,
``check_index``, ``load_index``, ``ensure_index``, and the names the rest of the
project imports from ``rag.index``).

What this module does not do: rank results for a question (``retrieval``); build or
write an index (``rag.index_build``); define the manifest's checks (``rag.manifest``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from rag.embedding import Embedder, model_identity
from rag.errors import CorpusError, IndexStateError, RagError
from rag.index_build import (
    HNSW_EF_SEARCH,
    BuildReport,
    _locked,
    _restorable,
    _restore_previous,
    build_index,
    make_faiss_index,
)
from rag.late import TokenIndex
from rag.manifest import (
    FORMAT_VERSION,
    REQUIRED_FILES,
    IndexStatus,
    State,
    _chunking_params,
    _hash_problem,
    _shape_problem,
    _VerifiedReader,
    corpus_hashes,
    vector_problem,
)
from rag.schema import Block, Chunk, Document, Sentence
from rag.settings import Settings
from rag.text import inner_sentences

__all__ = [
    "FORMAT_VERSION",
    "REQUIRED_FILES",
    "BuildReport",
    "IndexStatus",
    "LoadedIndex",
    "State",
    "build_index",
    "check_index",
    "corpus_hashes",
    "ensure_index",
    "load_index",
    "make_faiss_index",
    "vector_problem",
]

log = logging.getLogger(__name__)


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
    # the Qdrant collection retrieval searches, with that backend (rag.qdrant_index)
    store: Any = None
    chunk_by_id: dict[str, Chunk] = field(init=False)
    chunk_position: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.chunk_by_id = {c.id: c for c in self.chunks}
        self.chunk_position = {c.id: i for i, c in enumerate(self.chunks)}

    def quoted(self, chunk_ids: Iterable[str], text: str) -> list[str]:
        """The sentences of these passages that ``text`` (an answer) quotes, whole or by
        one of their inner sentences: a citation names one sentence of its passage, and an
        answer may quote two."""
        said = " ".join(text.split())
        return [
            self.sentences[i].text
            for chunk_id in dict.fromkeys(chunk_ids)
            if chunk_id in self.chunk_by_id
            for i in self.chunk_by_id[chunk_id].sentence_ids
            if any(part in said for part in inner_sentences(self.sentences[i].text))
        ]

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(chunk position, cosine) of the ``k`` nearest chunks."""
        k = min(k, len(self.chunks))
        scores, ids = self.faiss_index.search(vector.reshape(1, -1).astype(np.float32), k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]


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
    from rag.qdrant_index import backend_problem

    verdict = backend_problem(settings, index_dir, manifest)
    if verdict:
        return IndexStatus(*verdict)  # type: ignore[arg-type]
    return IndexStatus(
        "ok",
        f"{manifest.get('n_chunks')} passages from "
        f"{manifest.get('n_documents')} articles, built {manifest.get('built_at')}",
    )


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
                blocks=tuple(Block(**b) for b in row.get("blocks") or ()),
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
            loaded = load_index(index_dir)
        except IndexStateError as exc:
            status = IndexStatus("corrupt", str(exc))
        else:  # a backend that cannot open its collection says why; no rebuild would help
            return _with_backend(settings, loaded)
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
        return _with_backend(settings, previous)
    return _with_backend(settings, load_index(index_dir))


def _with_backend(settings: Settings, index: LoadedIndex) -> LoadedIndex:
    """The index with its Qdrant collection opened, when it was built with one."""
    if (index.manifest.get("backend") or {}).get("name") == "qdrant":
        from rag.qdrant_index import open_store

        index.store = open_store(settings, settings.index_dir, index.manifest)
    return index
