"""The default answerer: quote the one to three sentences that best answer the question.

No model beyond the embedder, nothing invented: every sentence of the answer is a
verbatim sentence of a retrieved passage, followed by the ``[n]`` of that passage.

Each sentence of the retrieved passages is described by a few features
(``SENTENCE_FEATURES``): its cosine to the question, the IDF-weighted share of
the question's terms it holds, whether it holds what the question type asks for
(a name for *who*, a number for *how many*, a date for *when*, a place for
*where*), the same two signals over its neighbours (answers often sit next to
the sentence that matches the question), the passage's rank and cosine, how much
it adds beyond the question's own words, whether it is a short caption, its
late-interaction score (``rag.late``: each word piece of the question matched to
its closest piece in the sentence, so paraphrases count as overlap), how much of
the question the *next* sentence holds (an answer often follows the sentence that
restates the question), and how rare the proper nouns it adds are (an answer to
"who" or "what is the name" names someone the question does not).  A
linear model (``SENTENCE_WEIGHTS``) turns them into a score; the best one to
``max_answer_sentences`` sentences are quoted.

Whether to answer at all is a second linear model over the question's evidence
(``ANSWER_FEATURES``: the best sentence score, the best cosines, the question
terms the corpus never uses, and how much of the question the best sentence
and its neighbours cover), squashed to a 0-1 ``confidence``; below
``settings.abstain_threshold`` the answer abstains ("the articles don't say")
and lists the closest passages as related instead.  Both models are fitted, and
the threshold chosen, with cross-validation on the gold set by ``rag
calibrate`` (see ``rag.calibration`` and the README).

What this module does not do: retrieve (the pipeline passes the hits) or write
new prose (the LLM generators do, and fall back to this one).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from rag.generators.base import (
    Delta,
    Draft,
    GenerationRequest,
    Resources,
    number_citations,
    stream_once,
)
from rag.schema import Citation, Hit, Sentence
from rag.text import terms

# Fitted by `rag calibrate` on eval/gold.jsonl (logistic regression, 5-fold CV); see README.
SENTENCE_FEATURES = (
    "cos",
    "lex",
    "cue",
    "ctx_cos",
    "ctx_lex",
    "rank",
    "chunk_cos",
    "novel",
    "short",
    "late",
    "next_lex",
    "name",
)
SENTENCE_WEIGHTS = (  # in SENTENCE_FEATURES order
    -1.574,  # cos
    1.978,  # lex
    1.029,  # cue
    0.091,  # ctx_cos
    1.992,  # ctx_lex
    1.251,  # rank
    2.240,  # chunk_cos
    1.921,  # novel
    -0.026,  # short
    7.918,  # late
    -2.655,  # next_lex
    1.089,  # name
)
SENTENCE_BIAS = -7.888
ANSWER_FEATURES = ("best", "cos", "lex", "chunk_cos", "oov", "best_ctx_lex")
ANSWER_WEIGHTS = (0.525, 1.586, 1.071, 0.027, -1.191, 1.673)
ANSWER_BIAS = -1.862  # fitted -2.252 at threshold 0.23, re-centred on the 0.30 setting
SHORT_WORDS = 8  # fewer words: a caption or an exclamation, rarely an answer alone
EXTRA_MARGIN = 1.0  # a further sentence joins when its score is within this of the best (logit)
REDUNDANT_COS = 0.9  # ... and says something the ones before it do not
RELATED = 3
ABSTAIN_TEXT = "I couldn't find that in the articles."

_NUMBER = re.compile(
    r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty"
    r"|hundred|thousand|million|dozen|half|several)\b",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b(1[89]\d\d|20\d\d|\d\d’?s|january|february|march|april|may|june|july|august|september"
    r"|october|november|december|winter|spring|summer|autumn|fall|year|month|week|day)s?\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zà-ÿ]+(?:\s+[A-Z][a-zà-ÿ]+)*")
# a capitalised word that is not the first of its sentence or quotation: a proper noun
_CAPITAL = re.compile(r"(?<![.!?“\"]\s)(?<!^)(?<!“)\b[A-Z][\w’'-]+")
_PLACE = re.compile(r"\b(?:in|at|on|from|near|to)\s+(?:the\s+)?[A-Z][a-z]+")


def question_type(question: str) -> str | None:
    """The kind of thing the question asks for.

    >>> question_type("How many days did they shoot?"), question_type("Who shot it?")
    ('number', 'name')
    >>> question_type("What is Ivan's surname?"), question_type("What's the title of her book?")
    ('name', 'name')
    """
    q = question.lower()
    if re.search(r"\bhow (many|much|long|old)\b|\bwhat (number|percentage)\b", q):
        return "number"
    if re.search(r"\bwhen\b|\bwhat (year|month|date|decade)\b|\bwhich (year|month|decade)\b", q):
        return "date"
    if re.search(
        r"\bwho(m|se)?\b|\bwhich (actor|actress|director|person|producer)\b"
        r"|\bwhat(’s|'s| is| was)? (the )?(name|title|surname)\b|\bsurname\b|\b(called|named)\b",
        q,
    ):
        return "name"
    if re.search(
        r"\bwhere\b|\bwhat (city|place|location|restaurant|hotel|venue|neighbou?rhood)\b"
        r"|\bwhich (city|place|location|restaurant|hotel|venue|neighbou?rhood)\b",
        q,
    ):
        return "place"
    return None


def has_cue(kind: str | None, sentence: str, question: str) -> bool:
    if kind == "number":
        return bool(_NUMBER.search(sentence))
    if kind == "date":
        return bool(_DATE.search(sentence))
    if kind == "name":
        asked = set(question.lower().split())
        return any(m.group(0).lower() not in asked for m in _NAME.finditer(sentence))
    if kind == "place":
        return bool(_PLACE.search(sentence))
    return False


@dataclass(frozen=True)
class Candidate:
    sentence: Sentence
    hit: Hit
    features: tuple[float, ...]  # in SENTENCE_FEATURES order
    score: float  # SENTENCE_WEIGHTS · features + SENTENCE_BIAS

    @property
    def cos(self) -> float:
        return self.features[0]


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, x))))


class ExtractiveGenerator:
    name = "extractive"

    def __init__(self, resources: Resources) -> None:
        self.settings = resources.settings
        self.index = resources.index
        self.embedder = resources.embedder
        self._idf: dict[str, float] | None = None
        self._terms: dict[int, frozenset[str]] = {}
        self._names: dict[int, frozenset[str]] = {}
        self._weights = np.asarray(SENTENCE_WEIGHTS, dtype=np.float64)

    @property
    def idf(self) -> dict[str, float]:
        """BM25-style IDF of each term over the index's sentences (computed once)."""
        if self._idf is None:
            df: Counter[str] = Counter()
            for sentence in self.index.sentences:
                df.update(self._sentence_terms(sentence.id))
            n = len(self.index.sentences)
            self._idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        return self._idf

    def _sentence_terms(self, sid: int) -> frozenset[str]:
        cached = self._terms.get(sid)
        if cached is None:
            cached = self._terms[sid] = frozenset(terms(self.index.sentences[sid].text))
        return cached

    def _name_terms(self, sid: int) -> frozenset[str]:
        """The terms of the sentence's proper nouns (capitalised words inside it)."""
        cached = self._names.get(sid)
        if cached is None:
            text = self.index.sentences[sid].text
            cached = frozenset(t for m in _CAPITAL.finditer(text) for t in terms(m.group(0)))
            self._names[sid] = cached
        return cached

    def _next(self, sid: int) -> int | None:
        """The sentence that follows in the same article, if any."""
        return next((n for n in self._neighbours(sid) if n == sid + 1), None)

    def _neighbours(self, sid: int) -> list[int]:
        sentences = self.index.sentences
        source = sentences[sid].source
        return [
            n
            for n in (sid - 1, sid + 1)
            if 0 <= n < len(sentences) and sentences[n].source == source
        ]

    def candidates(self, request: GenerationRequest) -> list[Candidate]:
        """Every non-heading sentence of the retrieved passages, scored, best first."""
        query_terms = set(terms(request.retrieval_query or request.question))
        idf = self.idf
        default_idf = max(idf.values(), default=1.0)  # a term the corpus never uses is rare
        weight = {t: idf.get(t, default_idf) for t in query_terms}
        total = sum(weight.values()) or 1.0
        kind = question_type(request.question)
        seen: set[int] = set()
        rows: list[tuple[Sentence, Hit]] = []
        for hit in request.hits:
            for sid in hit.chunk.sentence_ids:
                sentence = self.index.sentences[sid]
                if sid not in seen and not sentence.is_heading:
                    seen.add(sid)
                    rows.append((sentence, hit))
        if not rows:
            return []
        question_tokens = request.question_tokens
        if question_tokens is None:  # a request built by hand, not by the pipeline
            question_tokens = self.embedder.embed_query_with_tokens(request.question)[1]
        late = dict(
            zip(
                (s.id for s, _ in rows),
                self.index.tokens.sentence_scores(
                    question_tokens, [s.id for s, _ in rows]
                ).tolist(),
                strict=True,
            )
        )
        vectors = self.index.sentence_vectors
        neighbour_ids = sorted(
            {n for s, _ in rows for n in self._neighbours(s.id)} | {s.id for s, _ in rows}
        )
        cosine = dict(
            zip(
                neighbour_ids, (vectors[neighbour_ids] @ request.query_vector).tolist(), strict=True
            )
        )

        def coverage(found: set[str] | frozenset[str]) -> float:
            return sum(weight[t] for t in query_terms & found) / total

        def name_rarity(sid: int) -> float:
            new = self._name_terms(sid) - query_terms
            return max((idf.get(t, default_idf) for t in new), default=0.0) / default_idf

        out = []
        for sentence, hit in rows:
            own = self._sentence_terms(sentence.id)
            neighbours = self._neighbours(sentence.id)
            following = self._next(sentence.id)
            context_terms = set(own).union(*(self._sentence_terms(n) for n in neighbours))
            features = (
                cosine[sentence.id],
                coverage(own),
                1.0 if has_cue(kind, sentence.text, request.question) else 0.0,
                max((cosine[n] for n in neighbours), default=0.0),
                coverage(context_terms),
                1.0 / hit.rank,
                hit.scores.get("dense", 0.0),
                len(own - query_terms) / len(own) if own else 0.0,
                1.0 if len(sentence.text.split()) < SHORT_WORDS else 0.0,
                late[sentence.id],
                coverage(self._sentence_terms(following)) if following is not None else 0.0,
                name_rarity(sentence.id),
            )
            score = float(self._weights @ np.asarray(features)) + SENTENCE_BIAS
            out.append(Candidate(sentence, hit, features, score))
        out.sort(key=lambda c: -c.score)
        return out

    def answer_features(
        self, request: GenerationRequest, candidates: list[Candidate]
    ) -> tuple[float, ...]:
        """The evidence for answering at all, in ANSWER_FEATURES order."""
        query_terms = set(terms(request.retrieval_query or request.question))
        idf = self.idf
        default_idf = max(idf.values(), default=1.0)
        weight = {t: idf.get(t, default_idf) for t in query_terms}
        total = sum(weight.values()) or 1.0
        unknown = sum(w for t, w in weight.items() if t not in idf) / total
        if not candidates:
            return (0.0, 0.0, 0.0, 0.0, unknown, 0.0)
        return (
            _sigmoid(candidates[0].score),
            max(c.features[0] for c in candidates),
            max(c.features[1] for c in candidates),
            max(h.scores.get("dense", 0.0) for h in request.hits),
            unknown,
            candidates[0].features[SENTENCE_FEATURES.index("ctx_lex")],
        )

    def confidence(self, request: GenerationRequest, candidates: list[Candidate]) -> float:
        features = self.answer_features(request, candidates)
        return _sigmoid(
            sum(w * f for w, f in zip(ANSWER_WEIGHTS, features, strict=True)) + ANSWER_BIAS
        )

    def select(self, candidates: list[Candidate]) -> list[Candidate]:
        """The best sentence, plus up to ``max_answer_sentences - 1`` close, non-redundant ones."""
        best = candidates[0]
        chosen = [best]
        vectors = self.index.sentence_vectors
        for candidate in candidates[1:]:
            if len(chosen) >= self.settings.max_answer_sentences:
                break
            if candidate.score < best.score - EXTRA_MARGIN:
                break
            if all(
                float(vectors[candidate.sentence.id] @ vectors[c.sentence.id]) < REDUNDANT_COS
                for c in chosen
            ):
                chosen.append(candidate)
        return chosen

    def generate(self, request: GenerationRequest) -> Draft:
        candidates = self.candidates(request)
        confidence = self.confidence(request, candidates)
        if not candidates or confidence < self.settings.abstain_threshold:
            return Draft(
                text=ABSTAIN_TEXT,
                citations=(),
                abstained=True,
                confidence=confidence,
                related=tuple(self.related(request, candidates)),
            )
        chosen = self.select(candidates)
        citations = number_citations(
            [
                (c.hit, c.sentence.start, c.sentence.end, c.sentence.text, _sigmoid(c.score))
                for c in chosen
            ]
        )
        number = {c.chunk_id: c.n for c in citations}
        text = " ".join(f"{c.sentence.text} [{number[c.hit.chunk.id]}]" for c in chosen)
        return Draft(text=text, citations=tuple(citations), abstained=False, confidence=confidence)

    def related(self, request: GenerationRequest, candidates: list[Candidate]) -> list[Citation]:
        """The closest passages, each with its best sentence, for an abstained answer."""
        best: dict[str, Candidate] = {}
        for c in candidates:
            best.setdefault(c.hit.chunk.id, c)
        picked = [best[h.chunk.id] for h in request.hits if h.chunk.id in best][:RELATED]
        return number_citations(
            [
                (c.hit, c.sentence.start, c.sentence.end, c.sentence.text, _sigmoid(c.score))
                for c in picked
            ]
        )

    def stream(self, request: GenerationRequest) -> Iterator[Delta | Draft]:
        return stream_once(self.generate, request)
