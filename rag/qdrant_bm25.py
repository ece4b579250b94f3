"""BM25 as Qdrant sparse vectors: the document side computed here, IDF by Qdrant.

Qdrant multiplies the query's term weights by the document's values and, with
``Modifier.IDF``, by ln(1 + (N - df + 0.5) / (df + 0.5)), the IDF ``bm25s`` uses (its
"lucene" method).  The document side, tf / (tf + k1 (1 - b + b dl / avgdl)), is
``Bm25Encoder.document``; terms are ``rag.text.terms`` hashed to 32 bits (``term_index``).

What this module does not do: talk to Qdrant (``rag.qdrant_index``) or rank
(``rag.qdrant_retrieval``).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rag.text import terms

BM25_K1 = 1.5  # bm25s's defaults, so both backends score BM25 alike
BM25_B = 0.75


def term_index(term: str) -> int:
    """A term's sparse-vector index: the first 32 bits of its BLAKE2b digest.

    >>> term_index("anora") == term_index("anora") != term_index("igor")
    True
    """
    return int.from_bytes(hashlib.blake2b(term.encode(), digest_size=4).digest(), "big")


@dataclass(frozen=True)
class Bm25Encoder:
    """BM25's document side as sparse vectors; Qdrant's IDF modifier supplies the rest."""

    avgdl: float
    k1: float = BM25_K1
    b: float = BM25_B

    @classmethod
    def fit(cls, texts: Sequence[str]) -> Bm25Encoder:
        lengths = [len(terms(t)) for t in texts]
        return cls(avgdl=(sum(lengths) / len(lengths)) if lengths and sum(lengths) else 1.0)

    def document(self, text: str) -> tuple[list[int], list[float]]:
        """(indices, values): tf / (tf + k1 (1 - b + b dl / avgdl)) per distinct term."""
        return self.document_terms(terms(text))

    def document_terms(self, document_terms: Sequence[str]) -> tuple[list[int], list[float]]:
        """``document`` for a text already split into terms (``rag.text.terms``)."""
        counts = Counter(document_terms)
        norm = self.k1 * (1 - self.b + self.b * sum(counts.values()) / self.avgdl)
        merged: dict[int, float] = {}
        for term, tf in counts.items():
            index = term_index(term)
            merged[index] = merged.get(index, 0.0) + tf / (tf + norm)
        return list(merged), list(merged.values())

    @staticmethod
    def query(query_terms: Sequence[str]) -> tuple[list[int], list[float]]:
        """(indices, values): each query term once, weighted by how often it was asked."""
        merged: dict[int, float] = {}
        for term in query_terms:
            merged[term_index(term)] = merged.get(term_index(term), 0.0) + 1.0
        return list(merged), list(merged.values())
