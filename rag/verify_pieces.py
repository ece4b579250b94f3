"""Word-level vectors for the verifier: a word's state in its sentence, and out of context.

``rag.verify_slots.substitutions`` finds a claim word standing where the passage has
another word; whether the two are a paraphrase is judged here from two cosines the
embedder has: their last-layer states in one context (the passage sentence, from
the index's stored piece vectors, and the same sentence with the claim's word put
in, ``put_in``, embedded once) and their static input vectors (the embedding matrix
of the encoder's word pieces).

What this module does not do: find slots or decide thresholds (``rag.verify_slots``),
or call the embedder (``rag.verify`` does, for the ``put_in`` sentences).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from rag.verify_facts import _find, wordpieces


def static_matrix(embedder: Any) -> np.ndarray | None:
    """The encoder's input word-piece vectors (vocab, dim), or None if it exposes none."""
    words = getattr(getattr(embedder, "encoder", None), "words", None)
    if words is not None:
        return np.asarray(words, dtype=np.float32)
    model = getattr(embedder, "model", None)
    try:  # sentence-transformers: the first module's BERT
        weight = model[0].auto_model.embeddings.word_embeddings.weight  # type: ignore[index]
        return np.asarray(weight.detach().cpu().numpy(), dtype=np.float32)
    except (AttributeError, IndexError, KeyError, TypeError):
        return None


def put_in(sentence: str, stated: str, claimed: str) -> str:
    """The sentence with its first ``stated`` word (folded, any case) replaced by ``claimed``.

    >>> put_in("She played Adlon’s eldest daughter.", "eldest", "youngest")
    'She played Adlon’s youngest daughter.'
    """
    return re.sub(rf"\b{re.escape(stated)}\b", claimed, sentence, count=1, flags=re.IGNORECASE)


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def word_state(ids: np.ndarray, vectors: np.ndarray, run: Sequence[int]) -> np.ndarray | None:
    """The unit mean of a word's piece states where its piece ids ``run`` first occur.

    >>> word_state(np.array([5, 7, 9]), np.eye(3, dtype=np.float32), [7, 9]).round(3)
    array([0.   , 0.707, 0.707], dtype=float32)
    """
    at = _find(ids, run) if run else -1
    if at < 0:
        return None
    return _unit(vectors[at : at + len(run)].mean(axis=0))


def static_cosine(matrix: np.ndarray, a: Sequence[int], b: Sequence[int]) -> float:
    """Cosine of two words out of context: their pieces' input vectors, summed.

    >>> static_cosine(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), [0], [2])
    0.7071
    """
    va, vb = _unit(matrix[list(a)].sum(axis=0)), _unit(matrix[list(b)].sum(axis=0))
    return round(float(va @ vb), 4)


def pair_cosines(
    claimed: str,
    claim_pieces: tuple[np.ndarray, np.ndarray],
    stated: str,
    passage_pieces: tuple[np.ndarray, np.ndarray],
    vocab: dict[str, int],
    matrix: np.ndarray,
) -> tuple[float, float] | None:
    """(in context, out of context) cosines of a claim word and a passage word, each
    given its text's (ids, unit piece vectors); None when a word's pieces are not found."""
    run_a, run_b = wordpieces(claimed, vocab), wordpieces(stated, vocab)
    state_a = word_state(*claim_pieces, run_a)
    state_b = word_state(*passage_pieces, run_b)
    if state_a is None or state_b is None:
        return None
    return float(state_a @ state_b), static_cosine(matrix, run_a, run_b)


def static_vector(matrix: np.ndarray, vocab: dict[str, int], word: str) -> np.ndarray | None:
    """A word's unit vector out of context (its pieces' input vectors summed), or None.

    >>> static_vector(np.array([[3.0, 4.0], [0.0, 1.0]]), {"he": 0, "##y": 1}, "hey")
    array([0.5144958, 0.8574929])
    """
    run = wordpieces(word, vocab)
    return _unit(matrix[run].sum(axis=0)) if run else None
