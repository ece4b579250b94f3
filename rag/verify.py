"""Check a model-written answer, sentence by sentence, against the passages it cites.

An LLM answer is a few sentences with ``[n]`` markers.  ``split_answer`` cuts it
into ``Claim``s (the sentence without markers, and the numbers it cites), and
``Verifier.check`` scores every claim against each passage it cites:

- ``semantic``: the best cosine between the claim and the passage's sentences
  (claim embedded once with the project's embedder; passage sentences come from
  ``index.sentence_vectors``, already normalised);
- ``lexical``: content-word recall, the share of the claim's stemmed content words
  (``rag.text.terms``) that the passage (with its "title › heading") contains;
- ``score = SEMANTIC_WEIGHT * semantic + (1 - SEMANTIC_WEIGHT) * lexical``.

A claim is *supported* by a passage when ``score >= SUPPORT_THRESHOLD`` and two
hard rules hold, both aimed at the way small models hallucinate: every number in
the claim occurs in the passage, and every capitalised name ("Sean Daniels")
occurs in the passage's article with at least one of its words in the passage.
A claim citing several passages that none supports alone may be supported by
their union (multi-hop answers).

Worked example (shapes): answer "Drew Daniels shot it. [2] It rained. [7]" with
3 sources -> claims [("Drew Daniels shot it.", (2,)), ("It rained.", (7,))];
marker 7 points to no source, so the second claim is uncited.

What this module does not do: decide what to do with unsupported sentences or
build citations (``rag.generators.llm`` does both).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from rag.schema import Chunk, Hit, Sentence
from rag.text import STOPWORDS, fold, terms, words

if TYPE_CHECKING:
    from rag.embedding import Embedder
    from rag.index import LoadedIndex

# Calibrated on eval/gold.jsonl with eval-free code in tests/test_verify.py's docstring recipe
# (see ``calibration_pairs``): for every answerable gold question, a faithful claim (the question
# turned into a statement with the gold answer) scored against the passage holding the evidence
# (positives), against the other retrieved passages (wrong citation) and a claim of another
# question against this passage (unsupported claim) (negatives).  0.55 maximised balanced accuracy
# (positives 0.91 kept, negatives 0.94 rejected, before the name and number rules); see README.
SUPPORT_THRESHOLD = 0.55
SEMANTIC_WEIGHT = 0.5

_MARKER_GROUP = r"\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]"
_MARKER = re.compile(_MARKER_GROUP)
_NUMBER = re.compile(r"\d+")
# a sentence ends at . ! or ? (plus closing quotes), then markers written after it, then space
_END = re.compile(rf"[.!?][\"”’')]*((?:\s*{_MARKER_GROUP})*)(?=\s|$)")
_ABBREVIATIONS = frozenset(
    ["mr", "mrs", "ms", "dr", "st", "jr", "sr", "vs", "etc", "no", "vol", "ca", "approx"]
)
_NAME_RUN = re.compile(r"[A-Z][\w’'\-]*(?:\s+[A-Z][\w’'\-]*)*")


@dataclass(frozen=True)
class Claim:
    """One answer sentence: its text without markers and the source numbers it cites."""

    text: str
    markers: tuple[int, ...]  # as written, in order, without repeats


@dataclass(frozen=True)
class Support:
    """How well one passage (or a union of passages) supports one claim."""

    score: float
    semantic: float
    lexical: float
    sentence: Sentence  # the passage sentence that best matches the claim
    missing: tuple[str, ...] = ()  # names and numbers of the claim the passage lacks

    @property
    def supported(self) -> bool:
        return self.score >= SUPPORT_THRESHOLD and not self.missing


@dataclass(frozen=True)
class CheckedClaim:
    claim: Claim
    valid: tuple[int, ...]  # cited numbers that point to a source
    supporting: tuple[int, ...]  # the subset whose passages support the claim
    supports: dict[int, Support] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """'supported', 'uncited' (no marker pointing to a source) or 'unsupported'."""
        if self.supporting:
            return "supported"
        return "unsupported" if self.valid else "uncited"


def _marker_numbers(text: str) -> list[int]:
    return [int(n) for group in _MARKER.findall(text) for n in _NUMBER.findall(group)]


def split_answer(text: str) -> list[Claim]:
    """Cut an answer into sentences; markers after a sentence's full stop belong to it.

    >>> [(c.text, c.markers) for c in split_answer("Drew Daniels shot it [2]. Dr. Who? [1, 3]")]
    [('Drew Daniels shot it.', (2,)), ('Dr. Who?', (1, 3))]
    """
    pieces: list[str] = []
    for line in text.splitlines():
        start = 0
        for match in _END.finditer(line):
            before = line[start : match.start()].split()
            last = fold(before[-1]) if before else ""
            if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()) or "." in last:
                continue  # "Dr.", an initial ("D.") or "U.S." does not end a sentence
            pieces.append(line[start : match.end()])
            start = match.end()
        pieces.append(line[start:])
    claims = []
    for piece in pieces:
        markers = tuple(dict.fromkeys(_marker_numbers(piece)))
        clean = re.sub(r"\s+([.,;:!?])", r"\1", _MARKER.sub(" ", piece))
        clean = " ".join(clean.split()).lstrip("-*• ").strip()
        if clean.strip(".!?\"”’' "):
            claims.append(Claim(clean, markers))
        elif markers and claims:  # markers alone on a line cite the sentence before them
            previous = claims[-1]
            claims[-1] = Claim(previous.text, tuple(dict.fromkeys(previous.markers + markers)))
    return claims


def names_in(text: str) -> list[str]:
    """Capitalised word runs, without leading function words or a lone sentence opener.

    >>> names_in("The director was Sean Daniels, not Drew.")
    ['Sean Daniels', 'Drew']
    """
    out = []
    for match in _NAME_RUN.finditer(text):
        tokens = match.group(0).split()
        while tokens and words(tokens[0]) and words(tokens[0])[0] in STOPWORDS:
            tokens.pop(0)
        if not tokens:
            continue
        at_start = not text[: match.start()].strip(" \"“‘'(")
        if at_start and len(match.group(0).split()) == 1:
            continue  # "Baker directed it": a lone capitalised first word may be any word
        out.append(" ".join(tokens))
    return out


def _phrase(text: str) -> str:
    return " " + " ".join(words(text)) + " "


class Verifier:
    """Scores claims against passages with the index's sentence vectors and the embedder."""

    def __init__(self, embedder: Embedder, index: LoadedIndex) -> None:
        self.embedder = embedder
        self.index = index

    @functools.cached_property
    def _articles(self) -> dict[str, str]:
        """Each source's sentences as one folded phrase string (for the name rule)."""
        parts: dict[str, list[str]] = {}
        for sentence in self.index.sentences:
            parts.setdefault(sentence.source, []).append(sentence.text)
        return {source: _phrase(" ".join(texts)) for source, texts in parts.items()}

    def support(self, claim: str, vector: np.ndarray, chunks: Sequence[Chunk]) -> Support:
        """Support of one claim (with its (dim,) vector) by one passage or a union of them.

        Headings ("SEAN BAKER, Director, Writer") are not evidence: a claim that only echoes
        a source's title or heading must not pass, so they are left out of both scores.
        """
        ids = [sid for chunk in chunks for sid in chunk.sentence_ids]
        body = [i for i in ids if not self.index.sentences[i].is_heading] or ids
        sentences = [self.index.sentences[i] for i in body]
        cosines = self.index.sentence_vectors[np.asarray(body, dtype=np.int64)] @ vector
        passage_text = " ".join(s.text for s in sentences)
        claim_terms = set(terms(claim))
        passage_terms = set(terms(passage_text))
        lexical = len(claim_terms & passage_terms) / len(claim_terms) if claim_terms else 0.0
        semantic = float(np.max(cosines)) if len(body) else 0.0
        # the span shown to the reader: the sentence closest in meaning and words
        per_sentence = [
            float(cos)
            + (len(claim_terms & set(terms(s.text))) / len(claim_terms) if claim_terms else 0.0)
            for s, cos in zip(sentences, cosines, strict=True)
        ]
        best = sentences[int(np.argmax(per_sentence))]
        missing = [n for n in _NUMBER.findall(claim) if n not in _NUMBER.findall(passage_text)]
        passage_words = set(words(passage_text))
        for name in names_in(claim):
            in_article = any(_phrase(name) in self._articles.get(c.source, "") for c in chunks)
            if not in_article or not set(words(name)) & passage_words:
                missing.append(name)
        score = SEMANTIC_WEIGHT * semantic + (1 - SEMANTIC_WEIGHT) * lexical
        return Support(
            round(score, 4),
            round(semantic, 4),
            round(lexical, 4),
            best,
            tuple(dict.fromkeys(missing)),
        )

    def check(self, claims: Sequence[Claim], sources: Sequence[Hit]) -> list[CheckedClaim]:
        """Every claim checked against the sources it cites (``sources[n - 1]`` is ``[n]``)."""
        if not claims:
            return []
        vectors = self.embedder.embed([c.text for c in claims])
        out = []
        for claim, vector in zip(claims, vectors, strict=True):
            valid = tuple(n for n in claim.markers if 1 <= n <= len(sources))
            supports = {n: self.support(claim.text, vector, [sources[n - 1].chunk]) for n in valid}
            supporting = tuple(n for n in valid if supports[n].supported)
            if not supporting and len(valid) > 1:
                union = self.support(claim.text, vector, [sources[n - 1].chunk for n in valid])
                if union.supported:
                    supporting = valid
            out.append(CheckedClaim(claim, valid, supporting, supports))
        return out
