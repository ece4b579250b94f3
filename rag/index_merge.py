"""Put one index's contents together from the passages and vectors of several sources.

``assemble`` takes the documents of the new index, in order, and for each the ``Part``
it comes from (the current index, or the newly embedded documents) and copies that
document's passages, sentences, vectors and word-piece vectors across, renumbering
sentence ids to positions in the new sentence table.  Nothing is embedded here.

What this module does not do: decide what changed (``rag.index_update``) or write the
folder (``rag.index_build``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from rag.index_build import IndexContents
from rag.late import TokenIndex
from rag.schema import Chunk, Document, Sentence


@dataclass(frozen=True)
class Part:
    """Passages, sentences and vectors some documents come from (old index or new)."""

    chunks: Sequence[Chunk]
    sentences: Sequence[Sentence]
    chunk_vectors: np.ndarray
    sentence_vectors: np.ndarray
    tokens: TokenIndex


def assemble(documents: list[Document], origin: dict[str, Part]) -> IndexContents:
    """Each document's passages and vectors, taken from where they are, in ``documents``'
    order, sentence ids renumbered to positions in the new sentence table."""
    by_source: dict[int, dict[str, list[int]]] = {}
    sentence_rows: dict[int, dict[str, list[int]]] = {}
    for part in {id(p): p for p in origin.values()}.values():
        rows = by_source.setdefault(id(part), {})
        for position, chunk in enumerate(part.chunks):
            rows.setdefault(chunk.source, []).append(position)
        srows = sentence_rows.setdefault(id(part), {})
        for sentence in part.sentences:
            srows.setdefault(sentence.source, []).append(sentence.id)
    chunks: list[Chunk] = []
    sentences: list[Sentence] = []
    chunk_rows: list[np.ndarray] = []
    sentence_vec_rows: list[np.ndarray] = []
    piece_rows: list[np.ndarray] = []
    piece_ids: list[np.ndarray] = []
    lengths: list[int] = []
    for doc in documents:
        part = origin[doc.source]
        renumber: dict[int, int] = {}
        for sid in sentence_rows[id(part)].get(doc.source, []):
            renumber[sid] = len(sentences)
            sentences.append(replace(part.sentences[sid], id=len(sentences)))
            a, b = int(part.tokens.offsets[sid]), int(part.tokens.offsets[sid + 1])
            piece_rows.append(part.tokens.vectors[a:b])
            piece_ids.append(part.tokens.ids[a:b])
            lengths.append(b - a)
            sentence_vec_rows.append(part.sentence_vectors[sid : sid + 1])
        for position in by_source[id(part)].get(doc.source, []):
            chunk = part.chunks[position]
            ids = tuple(renumber[s] for s in chunk.sentence_ids)
            chunks.append(replace(chunk, sentence_ids=ids))
            chunk_rows.append(part.chunk_vectors[position : position + 1])
    dim = int(next(iter(origin.values())).chunk_vectors.shape[1])
    tokens = TokenIndex(
        np.vstack(piece_rows) if piece_rows else np.zeros((0, dim), np.float32),
        np.concatenate(piece_ids) if piece_ids else np.zeros(0, np.int64),
        np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]),
    )
    return IndexContents(
        documents,
        chunks,
        sentences,
        np.vstack(chunk_rows).astype(np.float32),
        np.vstack(sentence_vec_rows).astype(np.float32),
        tokens,
    )
