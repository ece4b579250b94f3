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

import functools
import re
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from rag.schema import TokenVectors
from rag.verify_facts import _find, same_term, unstated, wordpieces
from rag.verify_names import _names, _terms, _words
from rag.verify_slots import (
    displaces,
    interchangeable,
    question_predicates,
    substitutions,
)

if TYPE_CHECKING:
    from rag.index import LoadedIndex
    from rag.schema import Chunk, Sentence

# Two words are forms of one verb when their static piece vectors (out of context) have at
# least this cosine: came/come 0.74, sent/send 0.75, saw/see 0.48, began/begin 0.58, against
# came/began 0.30 (12 irregular verbs measured by hand, not on the claim set).
FORM_MIN = 0.45


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

    >>> static_vector(np.array([[3.0, 4.0], [0.0, 1.0]]), {"he": 0, "##y": 1}, "hey").round(3)
    array([0.514, 0.857])
    """
    run = wordpieces(word, vocab)
    return _unit(matrix[run].sum(axis=0)) if run else None


class WordJudge:
    """The verifier's word-level judgments that need the embedder or the whole index:
    substituted words (one extra forward pass for the sentences with the claim's word put
    in), verbs echoed from the question, and the articles' names (for aliases)."""

    def __init__(self, embedder: Any, index: LoadedIndex, vocab: dict[str, int]) -> None:
        self.embedder = embedder
        self.index = index
        self._vocab = vocab
        self._forms: dict[str, np.ndarray | None] = {}

    def paraphrased(self, word: str, pieces: TokenVectors, sentence_ids: Sequence[int]) -> float:
        """How well the passage states ``word`` of the claim in other words: the mean, over
        the word's pieces (their states in the claim), of the best cosine with a piece of
        the passage's sentences.  0 when the word's pieces cannot be found."""
        run = wordpieces(word, self._vocab)
        at = _find(pieces.ids, run) if run else -1
        if at < 0:
            return 0.0
        piece = TokenVectors(pieces.ids[at : at + len(run)], pieces.vectors[at : at + len(run)])
        best = self.index.tokens.best_matches(piece, sentence_ids)  # (sentences, pieces)
        return float(best.max(axis=0).mean()) if best.size else 0.0

    def form(self, word: str) -> np.ndarray | None:
        if self._static is None:
            return None
        if word not in self._forms:
            self._forms[word] = static_vector(self._static, self._vocab, word)
        return self._forms[word]

    def presumed(self, claim: str, texts: Sequence[str], question: str) -> tuple[str, ...]:
        """Claim words the passage lacks that repeat (in any form: "came" for "come") a verb
        the question asks with and the passage does not state in any form either."""
        lacking = unstated(claim, texts)
        asked = question_predicates(question)
        if not lacking or not asked:
            return ()

        def forms(a: str, b: str) -> bool:
            if same_term(_terms(a)[0], _terms(b)[0]):
                return True
            va, vb = self.form(a), self.form(b)
            return va is not None and vb is not None and float(va @ vb) >= FORM_MIN

        echoed = [w for w in lacking if any(forms(w, p) for p in asked)]
        if not echoed:
            return ()
        said = {w for t in texts for w in _words(t) if _terms(w)}
        open_ = [p for p in asked if not any(forms(p, w) for w in said)]
        # and it stands where the passage has another verb ("Anora came out" / "Anora began")
        return tuple(
            w for w in echoed if any(forms(w, p) for p in open_) and displaces(claim, texts, w)
        )

    def aliases(self, chunks: Sequence[Chunk]) -> list[tuple[str, ...]]:
        """The cited articles' multi-word names ("sean baker"): one referent for the slots."""
        return [n for c in chunks for n in self._article_names.get(c.source, ())]

    @functools.cached_property
    def _article_names(self) -> dict[str, tuple[tuple[str, ...], ...]]:
        parts: dict[str, set[tuple[str, ...]]] = {}
        for sentence in self.index.sentences:
            found = {_words(n) for n in _names(sentence.text) if len(_words(n)) > 1}
            parts.setdefault(sentence.source, set()).update(found)
        return {source: tuple(sorted(names)) for source, names in parts.items()}

    @functools.cached_property
    def _static(self) -> np.ndarray | None:
        return static_matrix(self.embedder)

    def substituted(
        self,
        claim: str,
        sentences: Sequence[Sentence],
        asked: Collection[str] = (),
    ) -> tuple[str, ...]:
        """Claim words standing where the passage has another word, that context does not
        pull together with it (``verify_slots.interchangeable``); the asker's words are given."""
        subs = [
            s for s in substitutions(claim, [t.text for t in sentences]) if s.claimed not in asked
        ]
        if self._static is None or not subs:
            return ()
        texts = [put_in(sentences[s.sentence].text, s.stated, s.claimed) for s in subs]
        _, variants = self.embedder.embed_with_tokens(texts)
        out = []
        stored = self.index.tokens
        for sub, variant in zip(subs, variants, strict=True):
            sid = sentences[sub.sentence].id
            lo, hi = int(stored.offsets[sid]), int(stored.offsets[sid + 1])
            cosines = pair_cosines(
                sub.claimed,
                (variant.ids, variant.vectors),
                sub.stated,
                (stored.ids[lo:hi], stored.vectors[lo:hi]),
                self._vocab,
                self._static,
            )
            if cosines is not None and not interchangeable(*cosines):
                out.append(f"{sub.claimed} / {sub.stated}")
        return tuple(dict.fromkeys(out))
