"""Dense, BM25 and hybrid retrieval searched in Qdrant (``RAG_INDEX_BACKEND=qdrant``).

The same three retrievers as ``rag.retrieval``, the same rankings, asked of the
collection ``rag.qdrant_index`` writes:

- ``dense``: the ``CANDIDATES`` nearest passages by ``dense``, re-scored inside Qdrant
  by a formula query: the chunk's cosine plus its best sentence's (``sentences``, a
  MAX_SIM multivector searched with the one question vector);
- ``bm25``: the ``bm25`` sparse vector (IDF modifier) with the question's
  thesaurus-expanded terms;
- ``hybrid``: **one query** whose RRF (``RrfQuery``, k = 61: Qdrant counts ranks from
  0, ``rag.retrieval`` from 1 with k = 60, the same 1/61 for a first place) fuses three
  prefetches: dense (as above), BM25 over passages, and late interaction (``late``,
  MAX_SIM with the question's word pieces each scaled by its IDF weight, which a dot
  product keeps) over the passages the others found.

What Qdrant's query API cannot express, and is done here, plainly:

- a passage ranked by its **best sentence** (BM25 over sentences; late interaction by
  sentence) is a grouped search (``query_points_groups`` on sentence points, grouped by
  the ``chunks`` that hold them), and a grouped search cannot be a prefetch of a fused
  one.  Those two rankings, and the conversation's passages (``Query.follows``), are
  added to Qdrant's RRF scores here.  RRF is a sum, so the total equals one fusion of
  all six lists, as ``HybridRetriever`` computes it;
- the question pieces' IDF weights come from the index's ``TokenIndex`` (document
  frequencies over sentences), as in ``rag.late``;
- the ``dense`` cosine every hit carries for the answerer is read from the index
  folder's chunk vectors.

``qdrant_only=True`` skips the grouped searches: the hybrid is then Qdrant's fusion of
three lists alone (measured beside the full one in docs/benchmarks.md).

What this module does not do: write the collection (``rag.qdrant_index``) or fuse the
FAISS backend's rankings (``rag.retrieval``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from rag.errors import ConfigError, IndexStateError
from rag.index import LoadedIndex
from rag.qdrant_bm25 import Bm25Encoder
from rag.qdrant_index import point_id
from rag.retrieval import CANDIDATES, RRF_K, Retriever, add_rankings, dedupe, year_ranking
from rag.schema import Hit, Query
from rag.text import terms
from rag.thesaurus import expand


class QdrantSearch:
    """The queries, over one collection; ids come back as chunk positions of ``index``."""

    def __init__(self, index: LoadedIndex) -> None:
        self.index = index
        self.store = index.store

    def run(self, call: str, **kwargs: Any) -> Any:
        visible = self.store.visible()  # the manifest's generation (rag.qdrant_update)
        if visible is not None:
            kwargs = _within(kwargs, visible)
        try:
            return getattr(self.store.client, call)(self.store.collection, **kwargs)
        except Exception as exc:  # one line for the user; the client's errors hold no key
            raise IndexStateError(
                f"the Qdrant search failed ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})"
            ) from None

    def positions(self, points: Sequence[Any]) -> list[tuple[int, float]]:
        """(chunk position, score) of passage points the loaded index knows, in order."""
        out = []
        for point in points:
            position = self.index.chunk_position.get((point.payload or {}).get("chunk_id", ""))
            if position is not None:
                out.append((position, float(point.score)))
        return out

    @staticmethod
    def sparse(query: Query) -> Any:
        from qdrant_client import models as m

        query_terms = expand(terms(query.text))
        if not query_terms:
            return None
        indices, values = Bm25Encoder.query(query_terms)
        return m.SparseVector(indices=indices, values=values)

    def weighted_pieces(self, query: Query) -> list[list[float]] | None:
        """The question's word pieces, each scaled by its IDF weight (``rag.late``)."""
        if query.tokens is None or not len(query.tokens):
            return None
        weights = self.index.tokens.weights(query.tokens).astype(np.float32)
        return (query.tokens.vectors * weights[:, None]).tolist()

    @staticmethod
    def dense_prefetch(vector: list[float], depth: int) -> Any:
        """The dense ranking: chunk cosine + best sentence cosine, over the ``depth`` nearest."""
        from qdrant_client import models as m

        nearest = m.Prefetch(query=vector, using="dense", limit=depth)
        best_sentence = m.Prefetch(
            prefetch=[nearest], query=[vector], using="sentences", limit=depth
        )
        return m.Prefetch(
            prefetch=[nearest, best_sentence],
            query=m.FormulaQuery(formula=m.SumExpression(sum=["$score[0]", "$score[1]"])),
            limit=depth,
        )

    def by_best_sentence(
        self, using: str, query: Any, depth: int, pool: Sequence[str] | None = None
    ) -> list[tuple[int, float]]:
        """Passages by the score of their best sentence point (``using`` its vector)."""
        from qdrant_client import models as m

        condition = (
            m.Filter(must=[m.FieldCondition(key="chunks", match=m.MatchAny(any=list(pool)))])
            if pool is not None
            else None
        )
        # a sentence shared by a pooled passage and another one groups under both: ask for more
        result = self.run(
            "query_points_groups",
            query=query,
            using=using,
            group_by="chunks",
            group_size=1,
            limit=2 * depth if pool is not None else depth,
            query_filter=condition,
            with_payload=False,
        )
        wanted = set(pool) if pool is not None else None
        out = []
        for group in result.groups:
            position = self.index.chunk_position.get(str(group.id))
            if position is not None and (wanted is None or group.id in wanted) and group.hits:
                out.append((position, float(group.hits[0].score)))
        return out[:depth]


class QdrantDenseRetriever:
    name = "dense"

    def __init__(self, index: LoadedIndex) -> None:
        self.search = QdrantSearch(index)

    def retrieve(self, query: Query, k: int) -> list[Hit]:
        from qdrant_client import models as m

        depth = max(k * 3, CANDIDATES)
        rerank = self.search.dense_prefetch(query.vector.tolist(), depth)
        result = self.search.run(
            "query_points",
            prefetch=rerank.prefetch,
            query=rerank.query,
            limit=depth,
            with_payload=m.PayloadSelectorInclude(include=["chunk_id"]),
        )
        index = self.search.index
        ranked = [
            (p, s, {"dense": float(index.chunk_vectors[p] @ query.vector), "dense_rerank": s})
            for p, s in self.search.positions(result.points)
        ]
        return dedupe(index.chunks, ranked, k)


class QdrantBM25Retriever:
    name = "bm25"

    def __init__(self, index: LoadedIndex) -> None:
        self.search = QdrantSearch(index)

    def retrieve(self, query: Query, k: int) -> list[Hit]:
        from qdrant_client import models as m

        sparse = self.search.sparse(query)
        if sparse is None:
            return []
        result = self.search.run(
            "query_points",
            query=sparse,
            using="bm25",
            limit=max(k * 3, CANDIDATES),
            with_payload=m.PayloadSelectorInclude(include=["chunk_id"]),
        )
        ranked = [(p, s, {"bm25": s}) for p, s in self.search.positions(result.points)]
        return dedupe(self.search.index.chunks, ranked, k)


class QdrantHybridRetriever:
    """Qdrant's RRF of dense, BM25 and late interaction, plus (unless ``qdrant_only``) the
    best-sentence rankings and the conversation's passages added to its scores."""

    name = "hybrid"

    def __init__(self, index: LoadedIndex, *, qdrant_only: bool = False) -> None:
        self.search = QdrantSearch(index)
        self.qdrant_only = qdrant_only

    def retrieve(self, query: Query, k: int) -> list[Hit]:
        from qdrant_client import models as m

        search, index = self.search, self.search.index
        vector = query.vector.tolist()
        sparse = search.sparse(query)
        pieces = search.weighted_pieces(query)
        sentences: list[tuple[int, float]] = []
        if sparse is not None and not self.qdrant_only:
            sentences = search.by_best_sentence("bm25_sentence", sparse, CANDIDATES)
        nearest = m.Prefetch(query=vector, using="dense", limit=CANDIDATES)
        lexical = m.Prefetch(query=sparse, using="bm25", limit=CANDIDATES) if sparse else None
        prefetch = [search.dense_prefetch(vector, CANDIDATES), *([lexical] if lexical else [])]
        if pieces is not None:
            pool = [nearest, *([lexical] if lexical else [])]
            if sentences:  # the passages the best-sentence BM25 found join the pool by id
                ids = [index.chunks[p].id for p, _ in sentences]
                pool.append(
                    m.Prefetch(
                        filter=m.Filter(must=[_chunk_ids(ids)]),
                        query=vector,
                        using="dense",
                        limit=len(ids),
                    )
                )
            prefetch.append(
                m.Prefetch(prefetch=pool, query=pieces, using="late", limit=3 * CANDIDATES)
            )
        result = search.run(
            "query_points",
            prefetch=prefetch,
            query=m.RrfQuery(rrf=m.Rrf(k=RRF_K + 1)),
            limit=3 * CANDIDATES,
            with_payload=m.PayloadSelectorInclude(include=["chunk_id"]),
        )
        fused = dict(search.positions(result.points))
        raw: dict[int, dict[str, float]] = {p: {"qdrant_rrf": s} for p, s in fused.items()}
        rankings: list[tuple[str, list[tuple[int, float]]]] = [("bm25_sentence", sentences)]
        if pieces is not None and not self.qdrant_only:
            pool_ids = sorted(
                {index.chunks[p].id for p in fused} | {index.chunks[p].id for p, _ in sentences}
            )
            rankings.append(
                (
                    "late_sentence",
                    search.by_best_sentence("late_sentence", pieces, len(pool_ids), pool_ids),
                )
            )
        if not self.qdrant_only:
            rankings += year_ranking(query.text, sentences, index.chunks)
        if query.follows and not self.qdrant_only:
            rankings.append(("conversation", [(p, 1.0) for p in query.follows]))
        add_rankings(fused, raw, rankings)
        for position, scores in raw.items():
            scores["dense"] = float(index.chunk_vectors[position] @ query.vector)
        order = sorted(fused, key=lambda p: (-fused[p], p))
        return dedupe(index.chunks, [(p, fused[p], raw[p]) for p in order], k)


def _chunk_ids(ids: Sequence[str]) -> Any:
    from qdrant_client import models as m

    return m.HasIdCondition(has_id=[point_id("passage", chunk_id) for chunk_id in ids])


QDRANT_RETRIEVERS: dict[str, Any] = {
    "dense": QdrantDenseRetriever,
    "bm25": QdrantBM25Retriever,
    "hybrid": QdrantHybridRetriever,
}


def make_qdrant_retriever(name: str, index: LoadedIndex) -> Retriever:
    """The named retriever over the index's Qdrant collection (``rag.retrieval`` checks names)."""
    if name not in QDRANT_RETRIEVERS:
        raise ConfigError(
            f"unknown retriever {name!r}; choose one of: {', '.join(QDRANT_RETRIEVERS)}"
        )
    retriever: Retriever = QDRANT_RETRIEVERS[name](index)
    return retriever


def _within(kwargs: dict[str, Any], visible: Any) -> dict[str, Any]:
    """A query's arguments with ``visible`` added to its filter and to every prefetch's,
    nested ones too, so no stage of a fused query sees a hidden point."""
    from qdrant_client import models as m

    def both(current: Any) -> Any:
        return visible if current is None else m.Filter(must=[current, visible])

    def restrict(prefetch: Any) -> Any:
        nested = prefetch.prefetch
        if nested is not None:
            nested = [restrict(p) for p in (nested if isinstance(nested, list) else [nested])]
        return prefetch.model_copy(update={"filter": both(prefetch.filter), "prefetch": nested})

    out = {**kwargs, "query_filter": both(kwargs.get("query_filter"))}
    if kwargs.get("prefetch") is not None:
        found = kwargs["prefetch"]
        out["prefetch"] = [restrict(p) for p in (found if isinstance(found, list) else [found])]
    return out
