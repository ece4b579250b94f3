"""What the answerer knows about each candidate sentence, and about the question's evidence.

``Features.candidates`` describes every sentence of the retrieved passages (but headings
and ``echoes``, sentences repeating the end of the one before) by the
named fields of ``SentenceFeatures``: its cosine to the question, the IDF-weighted
share of the question's terms it holds (a term is held through a film-making
synonym too, ``rag.thesaurus``: "DP" for "cinematographer"; the words of a title it
names count only for a question naming that title, ``said_terms``), whether it holds what
the question asks for (``cues.has_cue``), the cosine and coverage of its
neighbours (answers often sit next to the sentence that matches the question), the
passage's rank and cosine, how much it adds beyond the question's words, whether it
is a short caption, its late-interaction score (``rag.late``), how much of the
question the *next* sentence holds, how rare the proper nouns it adds are, and how well
it matches the question's rarest word pieces alone (``TokenIndex.rare_scores``).
``Features.answer`` describes the question's evidence as a whole
(``AnswerFeatures``): what the answerability model reads.

What this module does not do: weigh the features (``model``) or choose sentences
(``generator``).  The IDF and per-sentence caches are built once per index.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rag.answerer.cues import has_cue
from rag.answerer.patterns import CAPITAL
from rag.answerer.question import Question
from rag.answerer.titles import titles
from rag.schema import GenerationRequest, Hit, Sentence
from rag.text import terms
from rag.thesaurus import alternatives, covered

if TYPE_CHECKING:
    from rag.index import LoadedIndex

RARE_PIECES = 3  # the question's rarest word pieces, matched on their own (``rare``)
SHORT_WORDS = 8  # fewer words: a caption or an exclamation, rarely an answer alone


class _Named:
    """Named float fields read as a vector in field order (the models file's order)."""

    @classmethod
    @functools.cache
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]

    def vector(self) -> np.ndarray:
        # the fields are floats: read directly (``dataclasses.astuple`` deep-copies each)
        return np.fromiter((getattr(self, n) for n in self.names()), np.float64)


@dataclass(frozen=True)
class SentenceFeatures(_Named):
    """One candidate sentence, as the sentence ranker sees it (field order = model order)."""

    cos: float  # cosine of the sentence to the search query
    lex: float  # IDF-weighted share of the query's terms the sentence holds
    cue: float  # 1 when it holds the kind of thing asked for (``cues.has_cue``)
    ctx_cos: float  # best cosine of its neighbours
    ctx_lex: float  # coverage of the sentence with its neighbours
    rank: float  # 1 / rank of its passage
    chunk_cos: float  # the passage's dense cosine
    novel: float  # share of its terms the query does not hold
    short: float  # 1 for a caption-length sentence
    late: float  # late-interaction (MaxSim) score against the question alone
    next_lex: float  # coverage of the next sentence of the article
    name: float  # rarity of the rarest proper noun it adds to the query
    rare: float  # late-interaction match of the question's three rarest word pieces


@dataclass(frozen=True)
class AnswerFeatures(_Named):
    """The question's evidence as a whole, as the answerability model sees it."""

    best: float  # the best sentence's probability under the sentence ranker
    cos: float  # the best sentence cosine
    lex: float  # the best sentence coverage
    chunk_cos: float  # the best passage cosine
    oov: float  # IDF-weighted share of query terms the corpus never uses
    best_ctx_lex: float  # coverage of the best sentence with its neighbours


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage, its features and the ranker's score (a logit)."""

    sentence: Sentence
    hit: Hit
    features: SentenceFeatures
    score: float


class Features:
    """Computes features over one loaded index (its IDF and per-sentence terms cached)."""

    def __init__(self, index: LoadedIndex) -> None:
        self.index = index
        self._idf: dict[str, float] | None = None
        self._terms: dict[int, frozenset[str]] = {}
        self._names: dict[int, frozenset[str]] = {}
        self._titles: dict[int, tuple[frozenset[str], tuple[frozenset[str], ...]]] = {}

    @property
    def idf(self) -> dict[str, float]:
        """BM25-style IDF of each term over the index's sentences (computed once)."""
        if self._idf is None:
            df: Counter[str] = Counter()
            for sentence in self.index.sentences:
                df.update(self.sentence_terms(sentence.id))
            n = len(self.index.sentences)
            self._idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        return self._idf

    @functools.cached_property
    def postings(self) -> dict[str, frozenset[int]]:
        """Each term's sentences (built once): where a rule looks corpus-wide for a job, a
        name or a description without reading every sentence on every question."""
        found: dict[str, set[int]] = {}
        for sentence in self.index.sentences:
            for term in self.sentence_terms(sentence.id):
                found.setdefault(term, set()).add(sentence.id)
        return {t: frozenset(ids) for t, ids in found.items()}

    def containing(
        self, wanted: Iterable[str], alts: Mapping[str, Sequence[frozenset[str]]] | None = None
    ) -> set[int]:
        """The sentences holding every term of ``wanted``, each as itself or through one of
        its ``alts`` (``thesaurus.covered`` over the whole index, read off ``postings``)."""
        out: set[int] | None = None
        for term in wanted:
            ids = set(self.postings.get(term, ()))
            for alt in (alts or {}).get(term, ()):
                ids |= self.containing(alt)
            out = ids if out is None else out & ids
        return out or set()

    @functools.cached_property
    def echoes(self) -> frozenset[int]:
        """The sentences that only repeat the words ending the sentence before them in the
        same article ("… hatched by Vanya's relatives. Vanya's relatives."): an artefact of
        the source, never worth quoting."""
        sentences = self.index.sentences
        out = set()
        for before, sentence in itertools.pairwise(sentences):
            said = sentence.text.rstrip(" .!?").strip()
            prior = before.text.rstrip(" .!?")
            if (
                before.source == sentence.source
                and said
                and prior.endswith(said)
                and not prior[: -len(said)][-1:].isalnum()  # whole words: "uncut. Cut." is none
            ):
                out.add(sentence.id)
        return frozenset(out)

    def sentence_terms(self, sid: int) -> frozenset[str]:
        cached = self._terms.get(sid)
        if cached is None:
            cached = self._terms[sid] = frozenset(terms(self.index.sentences[sid].text))
        return cached

    def said_terms(self, sid: int, query_terms: frozenset[str] | set[str]) -> frozenset[str]:
        """The sentence's terms that it says, for coverage: a title's words are its name,
        not what the sentence says ("making “Die Hard”" for "what was hard about making
        it"), unless the question names the title."""
        untitled, named = self.untitled_terms(sid)
        if not named:
            return untitled
        return untitled.union(*(t for t in named if t <= query_terms))

    def untitled_terms(self, sid: int) -> tuple[frozenset[str], tuple[frozenset[str], ...]]:
        """The sentence's terms outside the titles it marks (``titles.titles``), and each
        title's terms."""
        cached = self._titles.get(sid)
        if cached is None:
            text = self.index.sentences[sid].text
            found = titles(text)
            for title in found:
                text = text.replace(title, " ")
            cached = (frozenset(terms(text)), tuple(frozenset(terms(t)) for t in found))
            self._titles[sid] = cached
        return cached

    def name_terms(self, sid: int) -> frozenset[str]:
        """The terms of the sentence's proper nouns (capitalised words inside it)."""
        cached = self._names.get(sid)
        if cached is None:
            text = self.index.sentences[sid].text
            cached = frozenset(t for m in CAPITAL.finditer(text) for t in terms(m.group(0)))
            self._names[sid] = cached
        return cached

    def neighbours(self, sid: int) -> list[int]:
        """The sentences before and after, in the same article."""
        sentences = self.index.sentences
        source = sentences[sid].source
        return [
            n
            for n in (sid - 1, sid + 1)
            if 0 <= n < len(sentences) and sentences[n].source == source
        ]

    def next(self, sid: int) -> int | None:
        """The sentence that follows in the same article, if any."""
        return next((n for n in self.neighbours(sid) if n == sid + 1), None)

    def query_weights(
        self, request: GenerationRequest, text: str | None = None
    ) -> tuple[dict[str, float], float]:
        """Each search-query term's IDF (the corpus's rarest for unknown terms), and their sum;
        of ``text``'s terms instead when given."""
        query_terms = set(terms(text or request.retrieval_query or request.question))
        idf = self.idf
        default_idf = max(idf.values(), default=1.0)  # a term the corpus never uses is rare
        weight = {t: idf.get(t, default_idf) for t in query_terms}
        return weight, sum(weight.values()) or 1.0

    def candidates(
        self,
        request: GenerationRequest,
        question: Question,
        hits: tuple[Hit, ...] | None = None,
    ) -> list[tuple[Sentence, Hit, SentenceFeatures]]:
        """Every non-heading sentence of ``hits`` (default: the request's), with its features."""
        weight, total = self.query_weights(request)
        query_terms = set(weight)
        alts = alternatives(query_terms)  # "DP" for "cinematographer" (``rag.thesaurus``)
        idf = self.idf
        default_idf = max(idf.values(), default=1.0)
        seen: set[int] = set()
        rows: list[tuple[Sentence, Hit]] = []
        for hit in request.hits if hits is None else hits:
            for sid in hit.chunk.sentence_ids:
                sentence = self.index.sentences[sid]
                if sid not in seen and not sentence.is_heading and sid not in self.echoes:
                    seen.add(sid)
                    rows.append((sentence, hit))
        if not rows:
            return []
        question_tokens = request.question_tokens
        if question_tokens is None:
            raise ValueError("a GenerationRequest needs question_tokens (the pipeline embeds them)")
        ids = [s.id for s, _ in rows]
        tokens = self.index.tokens
        matches = tokens.best_matches(question_tokens, ids)  # once, for both scores
        late = dict(zip(ids, (matches @ tokens.weights(question_tokens)).tolist(), strict=True))
        rare = dict(
            zip(
                ids,
                tokens.rare_scores(question_tokens, ids, RARE_PIECES, matches).tolist(),
                strict=True,
            )
        )
        vectors = self.index.sentence_vectors
        neighbour_ids = sorted({n for sid in ids for n in self.neighbours(sid)} | set(ids))
        cosine = dict(
            zip(
                neighbour_ids, (vectors[neighbour_ids] @ request.query_vector).tolist(), strict=True
            )
        )

        def coverage(found: set[str] | frozenset[str]) -> float:
            return sum(weight[t] for t in query_terms if covered(t, found, alts)) / total

        def name_rarity(sid: int) -> float:
            new = self.name_terms(sid) - query_terms
            return max((idf.get(t, default_idf) for t in new), default=0.0) / default_idf

        out = []
        for sentence, hit in rows:
            own = self.sentence_terms(sentence.id)
            neighbours = self.neighbours(sentence.id)
            following = self.next(sentence.id)
            context_terms = set(own).union(*(self.sentence_terms(n) for n in neighbours))
            features = SentenceFeatures(
                cos=cosine[sentence.id],
                lex=coverage(self.said_terms(sentence.id, query_terms)),
                cue=1.0 if has_cue(question, sentence.text) else 0.0,
                ctx_cos=max((cosine[n] for n in neighbours), default=0.0),
                ctx_lex=coverage(context_terms),
                rank=1.0 / hit.rank,
                chunk_cos=hit.scores.get("dense", 0.0),
                novel=len(own - query_terms) / len(own) if own else 0.0,
                short=1.0 if len(sentence.text.split()) < SHORT_WORDS else 0.0,
                late=late[sentence.id],
                next_lex=(
                    coverage(self.said_terms(following, query_terms))
                    if following is not None
                    else 0.0
                ),
                name=name_rarity(sentence.id),
                rare=rare[sentence.id],
            )
            out.append((sentence, hit, features))
        return out

    def unknown(self, request: GenerationRequest, text: str | None = None) -> float:
        """The IDF-weighted share of the query's terms (or ``text``'s) the corpus never uses
        ("sushi")."""
        weight, total = self.query_weights(request, text)
        alts = alternatives(set(weight))
        return sum(w for t, w in weight.items() if not covered(t, self.idf.keys(), alts)) / total

    def answer(
        self, request: GenerationRequest, ranked: list[Candidate], best_probability: float
    ) -> AnswerFeatures:
        """The evidence for answering at all; ``ranked`` best first."""
        unknown = self.unknown(request)
        if not ranked:
            return AnswerFeatures(0.0, 0.0, 0.0, 0.0, unknown, 0.0)
        return AnswerFeatures(
            best=best_probability,
            cos=max(c.features.cos for c in ranked),
            lex=max(c.features.lex for c in ranked),
            chunk_cos=max(h.scores.get("dense", 0.0) for h in request.hits),
            oov=unknown,
            best_ctx_lex=ranked[0].features.ctx_lex,
        )
