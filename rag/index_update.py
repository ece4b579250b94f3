"""Add, remove and refresh documents without re-embedding the rest of the corpus.

``add_documents(settings, paths)`` checks each file (format, size, content, not a
duplicate), copies the good ones into the corpus folder and updates the index;
``remove_document(settings, name)`` takes one out; ``refresh_index(settings)`` (what
``rag index --if-needed`` runs) brings the index in line with the folder.  All three
go through ``_update``: the corpus files are hashed (SHA-256, as the manifest records
per document) and only documents that are new or whose hash changed are read,
cleaned, chunked and embedded; every other document keeps its passages, sentences,
vectors and word-piece vectors from the current index.  The result is assembled in
the order a full build uses (by file name), so it is the index ``rag index`` would
build, and written by ``rag.index_build.write_index``: atomically, so a crash leaves
the old index or the new one.  A failed update puts the corpus folder back as it was.

What is recomputed over all passages on every change is cheap: the FAISS index
(an exact index is a copy of the vectors; HNSW, from 30,000 passages, is rebuilt), and,
when the index is loaded, BM25's statistics (``rag.retrieval``) and the word pieces'
IDF (``rag.late``), since both depend on every passage.  The expensive part, embedding,
happens only for the new passages.

When the index is missing, damaged, or was built with another model or other chunking
parameters, nothing can be reused and ``_update`` does a full build instead.

What this module does not do: read formats (``rag.formats``, ``rag.corpus``), define
the manifest (``rag.manifest``) or serve the index (``rag.index``).  A second index
backend would implement the same three operations on its own store.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from rag.chunking import chunk_documents
from rag.corpus import read_document
from rag.embedding import Embedder, get_embedder, model_identity
from rag.errors import CorpusError, IndexStateError
from rag.index import LoadedIndex, load_index
from rag.index_build import _locked, build_index, write_index
from rag.index_merge import Part, assemble
from rag.intake import check_new, corpus_state
from rag.late import TokenIndex
from rag.manifest import FORMAT_VERSION, _chunking_params
from rag.schema import Chunk, Document, Sentence, TokenVectors
from rag.settings import Settings

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Rejected:
    """A file that was not added, and the one line that says why."""

    name: str
    reason: str


@dataclass(frozen=True)
class AddReport:
    """What an add, remove or refresh did, for ``rag add`` and the page to print."""

    added: tuple[str, ...] = ()  # new documents
    replaced: tuple[str, ...] = ()  # documents whose content changed
    removed: tuple[str, ...] = ()
    rejected: tuple[Rejected, ...] = ()
    n_documents: int = 0
    n_chunks: int = 0
    embedded_chunks: int = 0  # passages embedded by this update
    embedded_sentences: int = 0
    reused_chunks: int = 0  # passages kept with their vectors
    embed_seconds: float = 0.0
    seconds: float = 0.0
    full_rebuild: bool = False  # nothing could be reused (missing, foreign or damaged index)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.replaced or self.removed or self.full_rebuild)


@dataclass(frozen=True)
class Listed:
    """One document of the index, for ``rag list``."""

    source: str
    title: str
    passages: int
    pages: int | None  # PDFs: the last page with a passage
    added_at: str


def add_documents(
    settings: Settings,
    paths: Sequence[Path],
    embedder: Embedder | None = None,
    *,
    progress: Progress | None = None,
) -> AddReport:
    """Check ``paths``, copy the usable ones into the corpus and update the index.

    A rejected file changes nothing; the others are still added.  When every file is
    rejected, the index is not touched at all."""
    started = time.perf_counter()
    corpus = Path(settings.corpus_dir)
    with _update_lock(settings):
        known = corpus_state(corpus)
        accepted: dict[str, tuple[Path, Document]] = {}
        rejected: list[Rejected] = []
        for path in paths:
            path = Path(path)
            reason, document = check_new(path, known, accepted)
            if reason:
                rejected.append(Rejected(path.name, reason))
            else:
                assert document is not None
                accepted[path.name] = (path, document)
        if not accepted:
            return AddReport(rejected=tuple(rejected), seconds=time.perf_counter() - started)
        backups = {name: _read_or_none(corpus / name) for name in accepted}
        try:
            corpus.mkdir(parents=True, exist_ok=True)
            for name, (path, _) in accepted.items():
                _copy_atomically(path, corpus / name)
            fresh = {name: doc for name, (_, doc) in accepted.items()}
            report = _update(settings, embedder, fresh=fresh, progress=progress)
        except BaseException:
            _restore(corpus, backups)
            raise
    return replace(report, rejected=tuple(rejected), seconds=time.perf_counter() - started)


def remove_document(settings: Settings, name: str, embedder: Embedder | None = None) -> AddReport:
    """Take one document (by file name, or its name without the extension) out of the
    corpus and the index.  Raises ``CorpusError`` for an unknown name or the last one."""
    corpus = Path(settings.corpus_dir)
    with _update_lock(settings):
        names = sorted(corpus_state(corpus))
        matches = [n for n in names if name in (n, Path(n).stem)]
        if len(matches) != 1:
            hint = "; `rag list` shows them" if names else ""
            what = "several documents are" if matches else "no document is"
            raise CorpusError(f"{what} named {name!r} in {corpus}{hint}")
        if len(names) == 1:
            raise CorpusError(f"{matches[0]} is the only document; the index needs at least one")
        target = corpus / matches[0]
        backup = {matches[0]: target.read_bytes()}
        try:
            target.unlink()
            return _update(settings, embedder)
        except BaseException:
            _restore(corpus, backup)
            raise


def refresh_index(
    settings: Settings, embedder: Embedder | None = None, *, progress: Progress | None = None
) -> AddReport:
    """Bring the index in line with the corpus folder, embedding only what changed."""
    with _update_lock(settings):
        return _update(settings, embedder, progress=progress)


def list_documents(settings: Settings) -> list[Listed]:
    """The documents of the index (verified on load), with passages and when each came."""
    index = load_index(settings.index_dir)
    added = index.manifest.get("added_at") or {}
    counts: dict[str, int] = {}
    pages: dict[str, int] = {}
    for chunk in index.chunks:
        counts[chunk.source] = counts.get(chunk.source, 0) + 1
        if chunk.page is not None:
            pages[chunk.source] = max(pages.get(chunk.source, 0), chunk.page)
    return [
        Listed(
            d.source,
            d.title,
            counts.get(d.source, 0),
            pages.get(d.source),
            added.get(d.source, "?"),
        )
        for d in sorted(index.documents.values(), key=lambda d: d.source)
    ]


# ---------------------------------------------------------------- the update


def _update(
    settings: Settings,
    embedder: Embedder | None,
    *,
    fresh: dict[str, Document] | None = None,
    progress: Progress | None = None,
) -> AddReport:
    """Make the index match the corpus folder, reusing every unchanged document.

    ``fresh`` holds documents already read (by ``add_documents``) so they are not read
    twice.  The caller holds the update lock."""
    started = time.perf_counter()
    say = progress or (lambda _: None)
    embedder = embedder or get_embedder(
        settings.embed_model, batch_size=settings.embed_batch_size, backend=settings.embed_backend
    )
    old = _reusable(settings, embedder)
    if old is None:
        report = build_index(settings, embedder)
        return AddReport(
            added=tuple(fresh or ()),
            n_documents=report.n_documents,
            n_chunks=report.n_chunks,
            embedded_chunks=report.n_chunks,
            embedded_sentences=report.n_sentences,
            seconds=time.perf_counter() - started,
            full_rebuild=True,
        )
    state = corpus_state(Path(settings.corpus_dir))
    before = old.manifest.get("corpus") or {}
    kept = [n for n in state if before.get(n) == state[n] and n in old.documents]
    todo = [n for n in state if n not in kept]
    new_docs: dict[str, Document] = {}
    for name in todo:
        say(f"reading {name}")
        try:
            doc = (fresh or {}).get(name) or read_document(Path(settings.corpus_dir) / name)
        except (CorpusError, OSError) as exc:
            log.warning("skipping %s: %s", name, exc)
            continue
        if doc.blocks:
            new_docs[name] = doc
    removed = tuple(sorted(n for n in before if n not in kept and n not in new_docs))
    if not new_docs and not removed:
        return AddReport(
            n_documents=len(old.documents),
            n_chunks=len(old.chunks),
            reused_chunks=len(old.chunks),
            seconds=time.perf_counter() - started,
        )
    if not kept and not new_docs:
        raise CorpusError(f"no usable articles left in {settings.corpus_dir}")
    say(f"chunking {len(new_docs)} document(s)")
    sentences, chunks = chunk_documents(
        [new_docs[n] for n in sorted(new_docs)],
        chunk_tokens=settings.chunk_tokens,
        overlap=settings.chunk_overlap_sentences,
        count_wordpieces=embedder.count_wordpieces,
        max_wordpieces=embedder.max_wordpieces,
    )
    embed_started = time.perf_counter()
    say(f"embedding {len(chunks)} passages and {len(sentences)} sentences")
    dim = int(old.chunk_vectors.shape[1])
    chunk_vectors = np.zeros((0, dim), np.float32)
    sentence_vectors = np.zeros((0, dim), np.float32)
    sentence_tokens: list[TokenVectors] = []
    if chunks:  # a removal embeds nothing
        chunk_vectors, sentence_vectors, sentence_tokens = _embed(embedder, chunks, sentences, say)
    embed_seconds = time.perf_counter() - embed_started
    added = Part(
        chunks,
        sentences,
        chunk_vectors.reshape(-1, dim),
        sentence_vectors.reshape(-1, dim),
        TokenIndex.from_sentences(sentence_tokens, dim),
    )
    current = Part(old.chunks, old.sentences, old.chunk_vectors, old.sentence_vectors, old.tokens)
    documents = {**{n: old.documents[n] for n in kept}, **new_docs}
    say("writing the index")
    contents = assemble(
        [documents[n] for n in sorted(documents)],
        {n: current for n in kept} | {n: added for n in new_docs},
    )
    now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    write_index(
        settings,
        contents,
        embedder.max_wordpieces,
        started,
        added_at={n: now for n in new_docs},
        changed=set(new_docs),
    )
    return AddReport(
        added=tuple(sorted(n for n in new_docs if n not in before)),
        replaced=tuple(sorted(n for n in new_docs if n in before)),
        removed=removed,
        n_documents=len(documents),
        n_chunks=len(contents.chunks),
        embedded_chunks=len(chunks),
        embedded_sentences=len(sentences),
        reused_chunks=len(contents.chunks) - len(chunks),
        embed_seconds=embed_seconds,
        seconds=time.perf_counter() - started,
    )


EMBED_STEP = 256  # texts embedded between two progress lines


def _embed(
    embedder: Embedder, chunks: list[Chunk], sentences: list[Sentence], say: Progress
) -> tuple[np.ndarray, np.ndarray, list[TokenVectors]]:
    """Passage vectors, sentence vectors and word pieces, with a progress line per step."""
    total, done = len(chunks) + len(sentences), 0
    parts, texts = [], [c.embed_text for c in chunks]
    for start in range(0, len(texts), EMBED_STEP):
        parts.append(embedder.embed(texts[start : start + EMBED_STEP]))
        done += len(parts[-1])
        say(f"embedded {done} of {total} passages and sentences")
    vectors, tokens = [], []
    texts = [s.text for s in sentences]
    for start in range(0, len(texts), EMBED_STEP):
        step_vectors, step_tokens = embedder.embed_with_tokens(texts[start : start + EMBED_STEP])
        vectors.append(step_vectors)
        tokens.extend(step_tokens)
        done += len(step_tokens)
        say(f"embedded {done} of {total} passages and sentences")
    return np.vstack(parts), np.vstack(vectors), tokens


def _reusable(settings: Settings, embedder: Embedder) -> LoadedIndex | None:
    """The current index, if its vectors can be reused (same format, model, chunking)."""
    if not (settings.index_dir / "manifest.json").is_file():
        return None
    try:
        index = load_index(settings.index_dir)
    except IndexStateError as exc:
        log.warning("the index cannot be updated in place (%s); rebuilding it", exc)
        return None
    manifest = index.manifest
    if manifest.get("format_version") != FORMAT_VERSION:
        log.warning("the index is of an older format; rebuilding it")
        return None
    model = manifest.get("model") or {}
    if model.get("fingerprint") != model_identity(settings.embed_model)["fingerprint"]:
        log.warning("the index was built with another model; rebuilding it")
        return None
    if manifest.get("chunking") != _chunking_params(settings, embedder.max_wordpieces):
        log.warning("the chunking settings changed; rebuilding the index")
        return None
    return index


# ---------------------------------------------------------------- files


def _update_lock(settings: Settings) -> contextlib.AbstractContextManager[None]:
    """One add/remove/refresh at a time per index (a lock file beside the build lock)."""
    index_dir = Path(settings.index_dir)
    return _locked(index_dir.with_name(f"{index_dir.name}.update"))


def _copy_atomically(source: Path, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _restore(corpus: Path, backups: Mapping[str, bytes | None]) -> None:
    """Put the corpus back as it was before a failed update (remove what was copied in)."""
    for name, data in backups.items():
        target = corpus / name
        try:
            if data is None:
                target.unlink(missing_ok=True)
            else:
                target.write_bytes(data)
        except OSError as exc:  # pragma: no cover - the disk failed twice
            log.error("could not restore %s in the corpus: %s", name, exc)
