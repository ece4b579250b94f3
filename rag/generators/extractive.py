"""The default answerer: quote the one to three sentences that best answer the question.

No model beyond the embedder, nothing invented: every sentence of the answer is a
verbatim sentence of a retrieved passage, followed by the ``[n]`` of that passage.

Each sentence of the retrieved passages gets a score from four signals:

- ``cos``: cosine between the question and the sentence (vectors from the index);
- ``lex``: the IDF-weighted share of the question's content terms the sentence has;
- ``cue``: 1 when the sentence holds what the question type asks for (a name for
  *who*, a number for *how many*, a date for *when*, a place for *where*), else 0;
- ``rank``: 1 / the passage's retrieval rank.

``score = W_COS*cos + W_LEX*lex + W_CUE*cue + W_RANK*rank``.  The best sentence's
score is the answer's ``confidence``; below ``settings.abstain_threshold`` the
answer abstains ("the articles don't say") and lists the closest passages as
related instead of citing them.  The weights and the threshold are calibrated on
the gold set by ``rag calibrate`` (README, "How abstention is calibrated").

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

W_COS, W_LEX, W_CUE, W_RANK = 0.55, 0.30, 0.10, 0.05
MIN_WORDS = 4  # shorter sentences ("Mikey!," Eydelshteyn exclaims.) are never answers alone
EXTRA_MARGIN = 0.08  # a second sentence joins when it scores within this of the best
REDUNDANT_COS = 0.9  # ... and says something the first one does not
RELATED = 3
ABSTAIN_TEXT = "I couldn't find that in the articles."

_NUMBER = re.compile(
    r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty"
    r"|hundred|thousand|million|dozen|half|several)\b", re.IGNORECASE)
_DATE = re.compile(
    r"\b(1[89]\d\d|20\d\d|\d\d’?s|january|february|march|april|may|june|july|august|september"
    r"|october|november|december|winter|spring|summer|autumn|fall|year|month|week|day)s?\b",
    re.IGNORECASE)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zà-ÿ]+(?:\s+[A-Z][a-zà-ÿ]+)*")
_PLACE = re.compile(r"\b(?:in|at|on|from|near|to)\s+(?:the\s+)?[A-Z][a-z]+")


def question_type(question: str) -> str | None:
    """The kind of thing the question asks for.

    >>> question_type("How many days did they shoot?"), question_type("Who shot it?")
    ('number', 'name')
    """
    q = question.lower()
    if re.search(r"\bhow (many|much|long|old)\b|\bwhat (number|percentage)\b", q):
        return "number"
    if re.search(r"\bwhen\b|\bwhat (year|month|date|decade)\b|\bwhich (year|month|decade)\b", q):
        return "date"
    if re.search(r"\bwho(m|se)?\b|\bwhich (actor|actress|director|person|producer)\b", q):
        return "name"
    if re.search(r"\bwhere\b|\bwhat (city|place|location|restaurant|hotel|venue|neighbou?rhood)\b"
                 r"|\bwhich (city|place|location|restaurant|hotel|venue|neighbou?rhood)\b", q):
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
    cos: float
    lex: float
    cue: float
    score: float


class ExtractiveGenerator:
    name = "extractive"

    def __init__(self, resources: Resources) -> None:
        self.settings = resources.settings
        self.index = resources.index
        self._idf: dict[str, float] | None = None
        self._terms: dict[int, frozenset[str]] = {}

    @property
    def idf(self) -> dict[str, float]:
        """BM25-style IDF of each term over the index's sentences (computed once)."""
        if self._idf is None:
            df: Counter[str] = Counter()
            for sentence in self.index.sentences:
                df.update(self._sentence_terms(sentence))
            n = len(self.index.sentences)
            self._idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        return self._idf

    def _sentence_terms(self, sentence: Sentence) -> frozenset[str]:
        cached = self._terms.get(sentence.id)
        if cached is None:
            cached = self._terms[sentence.id] = frozenset(terms(sentence.text))
        return cached

    def candidates(self, request: GenerationRequest) -> list[Candidate]:
        """Every sentence of the retrieved passages, scored, best first."""
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
                if sid in seen or sentence.is_heading:
                    continue
                seen.add(sid)
                rows.append((sentence, hit))
        if not rows:
            return []
        ids = np.fromiter((s.id for s, _ in rows), dtype=np.int64, count=len(rows))
        cosines = self.index.sentence_vectors[ids] @ request.query_vector
        out = []
        for (sentence, hit), cos in zip(rows, cosines, strict=True):
            lex = sum(weight[t] for t in query_terms & self._sentence_terms(sentence)) / total
            cue = 1.0 if has_cue(kind, sentence.text, request.question) else 0.0
            score = W_COS * float(cos) + W_LEX * lex + W_CUE * cue + W_RANK / hit.rank
            if len(sentence.text.split()) < MIN_WORDS:
                score -= 0.1
            out.append(Candidate(sentence, hit, float(cos), lex, cue, score))
        out.sort(key=lambda c: -c.score)
        return out

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
            if all(float(vectors[candidate.sentence.id] @ vectors[c.sentence.id]) < REDUNDANT_COS
                   for c in chosen):
                chosen.append(candidate)
        return chosen

    def generate(self, request: GenerationRequest) -> Draft:
        candidates = self.candidates(request)
        confidence = candidates[0].score if candidates else 0.0
        if not candidates or confidence < self.settings.abstain_threshold:
            return Draft(text=ABSTAIN_TEXT, citations=(), abstained=True, confidence=confidence,
                         related=tuple(self.related(request, candidates)))
        chosen = self.select(candidates)
        citations = number_citations([(c.hit, c.sentence.start, c.sentence.end, c.sentence.text,
                                       c.score) for c in chosen])
        number = {c.chunk_id: c.n for c in citations}
        text = " ".join(f"{c.sentence.text} [{number[c.hit.chunk.id]}]" for c in chosen)
        return Draft(text=text, citations=tuple(citations), abstained=False, confidence=confidence)

    def related(self, request: GenerationRequest, candidates: list[Candidate]) -> list[Citation]:
        """The closest passages, each with its best sentence, for an abstained answer."""
        best: dict[str, Candidate] = {}
        for c in candidates:
            best.setdefault(c.hit.chunk.id, c)
        picked = [best[h.chunk.id] for h in request.hits if h.chunk.id in best][:RELATED]
        return number_citations([(c.hit, c.sentence.start, c.sentence.end, c.sentence.text,
                                  c.score) for c in picked])

    def stream(self, request: GenerationRequest) -> Iterator[Delta | Draft]:
        return stream_once(self.generate, request)
