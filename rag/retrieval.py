"""Find the passages that answer a question: dense, BM25, or both fused.

Three backends behind one ``Retriever`` protocol, chosen by name from
``RETRIEVERS``:

- ``dense``: FAISS finds the chunks nearest the question's vector; the top ``CANDIDATES``
  are re-ranked by the chunk's cosine plus its best sentence's cosine (from the stored
  sentence vectors), so one sentence that answers exactly counts as well as a passage
  that is on topic throughout;
- ``bm25``: Okapi BM25 over stemmed, stop-word-free terms (``bm25s`` with Snowball),
  the question's terms joined by their film-making synonyms (``rag.thesaurus``: a
  question about the "cinematographer" also searches "director of photography", "DP");
- ``hybrid``: reciprocal rank fusion (score = sum of 1 / (60 + rank)), which needs
  no score calibration between scales, of five rankings: dense; BM25 over
  passages; passages by their best sentence's BM25 over sentences (the lexical
  twin of the dense re-rank: a sentence that holds the question's rare words
  counts even when the rest of its passage is about something else); and, when
  the query carries its word-piece vectors, late interaction (``rag.late``) over
  the passages the first three found, scoring each passage as a whole and by its
  best sentence; and, when the query says which passages the conversation points
  to (``Query.follows``: for "How did he describe her?" after "Which actor plays
  Igor?", the passage after the one that answered), a sixth list of those; and when
  the question names a year, the BM25 passages that say it (``year_ranking``).

Every backend returns ``Hit``s with its raw scores kept in ``Hit.scores`` (the
answerer and the abstention rule read ``dense``), and near-duplicate passages
(the overlap between neighbouring chunks, or the same text twice) are returned
once.  What this module does not do: embed the question (the pipeline does, once,
and passes the vector) or decide whether the passages answer it (``generators``).
"""

from __future__ import annotations

import importlib
import logging
import re
from collections.abc import Sequence
from typing import Protocol

import bm25s
import numpy as np

from rag.errors import ConfigError
from rag.index import LoadedIndex
from rag.schema import Chunk, Hit, Query, TokenVectors
from rag.text import terms
from rag.thesaurus import expand

_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs each index build at DEBUG

RRF_K = 60
CANDIDATES = 30  # each list fused by ``hybrid`` is this deep
DUPLICATE_OVERLAP = 0.5  # share of a passage's sentences already returned that makes it a duplicate


class Retriever(Protocol):
    name: str

    def retrieve(self, query: Query, k: int) -> list[Hit]: ...


class DenseRetriever:
    name = "dense"

    def __init__(self, index: LoadedIndex) -> None:
        self.index = index

    def scored(self, query: Query, depth: int) -> list[tuple[int, float, float]]:
        """(chunk position, chunk cosine + best sentence cosine, chunk cosine), best first."""
        found = self.index.search(query.vector, max(depth, CANDIDATES))
        if not found:
            return []
        chunks = self.index.chunks
        ids = [sid for position, _ in found for sid in chunks[position].sentence_ids]
        cosine = dict(
            zip(ids, (self.index.sentence_vectors[ids] @ query.vector).tolist(), strict=True)
        )
        scored = [
            (position, score + max(cosine[s] for s in chunks[position].sentence_ids), score)
            for position, score in found
        ]
        scored.sort(key=lambda item: (-item[1], item[0]))
        return scored[:depth]

    def retrieve(self, query: Query, k: int) -> list[Hit]:
        ranked = self.scored(query, max(k * 3, CANDIDATES))
        return dedupe(
            self.index.chunks,
            [(p, s, {"dense": cos, "dense_rerank": s}) for p, s, cos in ranked],
            k,
        )


class BM25Retriever:
    name = "bm25"

    def __init__(self, index: LoadedIndex) -> None:
        self.index = index
        self.bm25 = bm25s.BM25()
        corpus = [terms(chunk.embed_text) or ["<empty>"] for chunk in index.chunks]
        self.bm25.index(corpus, show_progress=False)
        self.sentences = bm25s.BM25()
        self.sentences.index(
            [terms(s.text) or ["<empty>"] for s in index.sentences], show_progress=False
        )
        self.owners: dict[int, list[int]] = {}  # sentence id -> chunk positions holding it
        for position, chunk in enumerate(index.chunks):
            for sid in chunk.sentence_ids:
                self.owners.setdefault(sid, []).append(position)

    def ranked(self, query: Query, depth: int) -> list[tuple[int, float]]:
        """(chunk position, BM25 score), best first, at most ``depth``, scores above 0."""
        return _top(self.bm25, expand(terms(query.text)), depth)

    def by_best_sentence(self, query: Query, depth: int) -> list[tuple[int, float]]:
        """(chunk position, BM25 score of its best sentence), best first, at most ``depth``."""
        best: dict[int, float] = {}
        # the best sentences bunch up in a few passages: read four per passage wanted
        for sid, score in _top(self.sentences, expand(terms(query.text)), depth * 4):
            for position in self.owners.get(sid, ()):
                best.setdefault(position, score)
        return sorted(best.items(), key=lambda item: (-item[1], item[0]))[:depth]

    def retrieve(self, query: Query, k: int) -> list[Hit]:
        ranked = self.ranked(query, max(k * 3, CANDIDATES))
        return dedupe(self.index.chunks, [(p, s, {"bm25": s}) for p, s in ranked], k)


class HybridRetriever:
    """Reciprocal rank fusion of the dense ranking, two BM25 ones (passages; best sentences),
    two late-interaction ones over the passages those found (the same two views), and the
    passages the conversation points to, in the order given (``Query.follows``)."""

    name = "hybrid"

    def __init__(self, dense: DenseRetriever, bm25: BM25Retriever) -> None:
        self.dense = dense
        self.bm25 = bm25
        self.index = dense.index

    def retrieve(self, query: Query, k: int) -> list[Hit]:
        dense = self.dense.scored(query, CANDIDATES)
        lexical = self.bm25.ranked(query, CANDIDATES)
        sentences = self.bm25.by_best_sentence(query, CANDIDATES)
        fused: dict[int, float] = {}
        raw: dict[int, dict[str, float]] = {}
        for rank, (position, _, cos) in enumerate(dense, start=1):
            fused[position] = 1.0 / (RRF_K + rank)
            raw[position] = {"dense": cos}
        rankings = [("bm25", lexical), ("bm25_sentence", sentences)]
        if query.tokens is not None and len(query.tokens):
            pool = sorted(
                {p for p, *_ in dense} | {p for p, _ in lexical} | {p for p, _ in sentences}
            )
            rankings += self.late(query.tokens, pool)
        rankings += year_ranking(query.text, sentences, self.index.chunks)
        if query.follows:
            rankings.append(("conversation", [(p, 1.0) for p in query.follows]))
        add_rankings(fused, raw, rankings)
        # passages only one list found still need a dense score for the answerer
        for position, scores in raw.items():
            if "dense" not in scores:
                scores["dense"] = float(self.index.chunk_vectors[position] @ query.vector)
        order = sorted(fused, key=lambda p: (-fused[p], p))
        return dedupe(self.index.chunks, [(p, fused[p], raw[p]) for p in order], k)

    def late(
        self, tokens: TokenVectors, pool: Sequence[int]
    ) -> list[tuple[str, list[tuple[int, float]]]]:
        """The pool's passages ranked by late interaction: as a whole, and by best sentence."""
        chunks = self.index.chunks
        whole, best = self.index.tokens.passage_scores(
            tokens, [chunks[p].sentence_ids for p in pool]
        )
        out = []
        for name, scores in (("late", whole), ("late_sentence", best)):
            ranked = sorted(zip(pool, scores.tolist(), strict=True), key=lambda i: (-i[1], i[0]))
            out.append((name, ranked))
        return out


def _top(model: bm25s.BM25, query_terms: list[str], depth: int) -> list[tuple[int, float]]:
    """(document position, score) of the ``depth`` best-scoring documents, scores above 0."""
    if not query_terms:
        return []
    scores = np.asarray(model.get_scores(query_terms), dtype=np.float32)
    depth = min(depth, len(scores))
    top = np.argpartition(-scores, depth - 1)[:depth]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


def year_ranking(
    text: str, ranking: Sequence[tuple[int, float]], chunks: Sequence[Chunk]
) -> list[tuple[str, list[tuple[int, float]]]]:
    """When the question names a year ("what movie did baker make in 2004"), the passages
    of ``ranking`` (a lexical one) that say it, in its order, as one more list to fuse: a
    year is an exact fact BM25 weighs like any rare word, and the embedder hardly at all."""
    years = _YEAR.findall(text)
    if not years:
        return []
    return [("year", [(p, v) for p, v in ranking if all(y in chunks[p].text for y in years)])]


def add_rankings(
    fused: dict[int, float],
    raw: dict[int, dict[str, float]],
    rankings: Sequence[tuple[str, Sequence[tuple[int, float]]]],
) -> None:
    """Add each named ranking's reciprocal-rank terms to ``fused`` (position -> score) and
    its own scores to ``raw`` (position -> ranking name -> score): RRF is a sum, so lists
    fused elsewhere (by Qdrant) and here add up to one fusion."""
    for name, ranking in rankings:
        for rank, (position, score) in enumerate(ranking, start=1):
            fused[position] = fused.get(position, 0.0) + 1.0 / (RRF_K + rank)
            raw.setdefault(position, {})[name] = score


def dedupe(
    chunks: Sequence[Chunk], ranked: Sequence[tuple[int, float, dict[str, float]]], k: int
) -> list[Hit]:
    """The first ``k`` passages, skipping any mostly made of sentences already returned."""
    hits: list[Hit] = []
    seen_sentences: set[int] = set()
    seen_texts: set[str] = set()
    for position, score, scores in ranked:
        chunk = chunks[position]
        ids = set(chunk.sentence_ids)
        text_key = " ".join(chunk.text.lower().split())
        if text_key in seen_texts or len(ids & seen_sentences) > DUPLICATE_OVERLAP * len(ids):
            continue
        seen_sentences |= ids
        seen_texts.add(text_key)
        hits.append(Hit(chunk=chunk, score=float(score), rank=len(hits) + 1, scores=scores))
        if len(hits) == k:
            break
    return hits


def make_retriever(name: str, index: LoadedIndex, cache: dict[str, Retriever]) -> Retriever:
    """The named retriever over ``index``, built once and kept in ``cache``."""
    if name not in RETRIEVERS:
        raise ConfigError(f"unknown retriever {name!r}; choose one of: {', '.join(RETRIEVERS)}")
    if index.store is not None and name not in cache:  # the same three, searched in Qdrant
        module, _, attribute = QDRANT_RETRIEVERS.partition(":")
        cache[name] = getattr(importlib.import_module(module), attribute)(name, index)
    if name not in cache:
        dense = cache.setdefault("dense", DenseRetriever(index))
        if name in ("bm25", "hybrid") and "bm25" not in cache:
            cache["bm25"] = BM25Retriever(index)
        if name == "hybrid":
            cache["hybrid"] = HybridRetriever(dense, cache["bm25"])  # type: ignore[arg-type]
    return cache[name]


RETRIEVERS = ("dense", "bm25", "hybrid")
# named, not imported: rag.qdrant_retrieval builds on this module's fusion and dedupe
QDRANT_RETRIEVERS = "rag.qdrant_retrieval:make_qdrant_retriever"
