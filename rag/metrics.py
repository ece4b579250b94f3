"""The metric functions of an evaluation: one answer, one ranking, one chat turn at a time.

- answer scoring: ``normalize_answer``, ``is_correct`` (a gold answer inside the answer,
  whole words), SQuAD-style ``token_f1``, ``contains_evidence``, ``cited_claims`` and
  ``quoted_parts`` (what a citation's claim quotes);
- ranking: ``hit_at``, ``mrr_at``, binary-gain ``ndcg_at``, and ``percentile``;
- what a chat user sees: ``strip_markers``, ``first_sentence`` (``rag.verify.split_answer``),
  ``answers_first``, ``point_coverage``, ``comparable`` and ``repeats_earlier``.

Each is a pure function of strings, booleans or ``Answer``s, with a worked example.

What this module does not do: run the pipeline, score a gold question or sum results
up (``rag.evaluation``), or read gold files (``rag.gold``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

from rag.chunking import normalise_space
from rag.schema import Answer
from rag.text import fold
from rag.verify import split_answer

FIRST_WORDS = 25  # answer_first: the gold answer must come within this many words

# ---------------------------------------------------------------- answer scoring


def normalize_answer(text: str) -> str:
    """Lower case, accents and curly quotes folded, punctuation and articles removed.

    A decade written with an apostrophe ("the 70’s") reads as the plain plural ("70s"):

    >>> normalize_answer("The “Palme d’Or”, 2024!"), normalize_answer("the 70’s, Baker’s")
    ('palme d or 2024', '70s baker s')
    """
    text = re.sub(r"(?<=\d)'(?=s\b)", "", fold(text))
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(w for w in text.split() if w not in ("a", "an", "the"))


def is_correct(answer: str, gold: Sequence[str]) -> bool:
    """Does the answer contain one of the gold answers (whole words, after normalisation)?

    >>> is_correct("He re-teamed with Drew Daniels [1]", ["Drew Daniels"])
    True
    >>> is_correct("in a career", ["in a car"])
    False
    """
    padded = f" {normalize_answer(answer)} "
    return any(f" {g} " in padded for g in map(normalize_answer, gold) if g)


def token_f1(answer: str, gold: Sequence[str]) -> float:
    """SQuAD-style token F1 against the best-matching gold answer.

    >>> round(token_f1("Drew Daniels shot it", ["Drew Daniels"]), 3)
    0.667
    """
    predicted = normalize_answer(answer).split()
    best = 0.0
    for g in gold:
        reference = normalize_answer(g).split()
        common = sum(min(predicted.count(w), reference.count(w)) for w in set(reference))
        if common:
            precision, recall = common / len(predicted), common / len(reference)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def contains_evidence(passage: str, evidence: Iterable[str]) -> bool:
    """Is one of the evidence excerpts inside the passage (whitespace and quotes folded)?"""
    text = fold(normalise_space(passage))
    return any(fold(normalise_space(e)) in text for e in evidence if e.strip())


_CLAIM = re.compile(r"\s*(.+?)\s*((?:\[\d+(?:\s*,\s*\d+)*\])+)", re.DOTALL)


def cited_claims(text: str) -> dict[int, list[str]]:
    """The text before each group of ``[n]`` markers, by citation number.

    >>> cited_claims("Drew Daniels shot it. [1] It was 35mm. [1][2]")
    {1: ['Drew Daniels shot it.', 'It was 35mm.'], 2: ['It was 35mm.']}
    """
    claims: dict[int, list[str]] = {}
    for match in _CLAIM.finditer(text):
        for number in re.findall(r"\d+", match.group(2)):
            claims.setdefault(int(number), []).append(match.group(1).strip())
    return claims


def quoted_parts(claim: str, answer: Answer) -> list[str]:
    """What a cited piece of an extractive answer quotes: without its list bullet, the
    short answer leading it ("Drew Daniels — ...") and the "…" marking a cut.

    >>> from rag.schema import Answer
    >>> quoted_parts("Drew Daniels — The DP was Drew Daniels. … He shot it.",
    ...              Answer("q", "", False, (), "extractive", {}, short_answer="Drew Daniels"))
    ['The DP was Drew Daniels.', 'He shot it.']
    """
    claim = claim.strip().removeprefix("- ")
    if answer.short_answer:
        claim = claim.removeprefix(f"{answer.short_answer} — ")
    return [p.strip() for p in claim.split("…") if p.strip()]


# ---------------------------------------------------------------- ranking metrics


def hit_at(relevance: Sequence[bool], k: int) -> float:
    """1.0 if a relevant passage is in the first ``k``.

    >>> hit_at([False, True], 1), hit_at([False, True], 2)
    (0.0, 1.0)
    """
    return 1.0 if any(relevance[:k]) else 0.0


def mrr_at(relevance: Sequence[bool], k: int = 10) -> float:
    """Reciprocal rank of the first relevant passage within ``k``.

    >>> mrr_at([False, False, True])
    0.3333333333333333
    """
    return next((1.0 / rank for rank, rel in enumerate(relevance[:k], 1) if rel), 0.0)


def ndcg_at(relevance: Sequence[bool], k: int = 10) -> float:
    """Binary-gain nDCG: DCG of the ranking over DCG of the ideal ranking.

    >>> round(ndcg_at([False, True, True]), 4)
    0.6934
    """
    gains = [1.0 / math.log2(rank + 1) for rank, rel in enumerate(relevance[:k], 1) if rel]
    ideal = [1.0 / math.log2(rank + 1) for rank in range(1, min(sum(relevance), k) + 1)]
    return sum(gains) / sum(ideal) if ideal else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100); 0.0 for no values.

    >>> percentile([1, 2, 3, 4], 50)
    2.5
    """
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# ---------------------------------------------------------------- what a chat user sees


def strip_markers(text: str) -> str:
    """The answer without its ``[n]`` citation markers.

    >>> strip_markers("Drew Daniels shot it. [1] On 35mm [1, 2].")
    'Drew Daniels shot it. On 35mm.'
    """
    return re.sub(r"\s*\[\d+(?:\s*,\s*\d+)*\]", "", text)


def first_sentence(text: str) -> str:
    """The answer's first sentence, markers removed (``rag.verify.split_answer``).

    >>> first_sentence("Dr. Baker shot it on 35mm. [1] Then he cut it. [2]")
    'Dr. Baker shot it on 35mm.'
    """
    claims = split_answer(text)
    return claims[0].text if claims else " ".join(strip_markers(text).split())


def answers_first(text: str, gold: Sequence[str], words: int = FIRST_WORDS) -> bool:
    """Is a gold answer in the first sentence, within the answer's first ``words`` words?

    >>> answers_first("Drew Daniels shot it. [1] Baker wrote it. [2]", ["Drew Daniels"])
    True
    >>> answers_first("Baker wrote it. [2] Drew Daniels shot it. [1]", ["Drew Daniels"])
    False
    """
    head = " ".join(first_sentence(text).split()[:words])
    return is_correct(head, gold)


def point_coverage(text: str, points: Sequence[Sequence[str]]) -> float:
    """The share of points covered: a point is covered when one of its strings is in the text.

    >>> point_coverage("An oligarch's son marries a dancer [1]", [["oligarch"], ["wedding"]])
    0.5
    """
    if not points:
        return 0.0
    return sum(is_correct(text, p) for p in points) / len(points)


def comparable(text: str) -> str:
    """An answer's text for sameness tests: markers removed, then ``normalize_answer``."""
    return normalize_answer(strip_markers(text))


def repeats_earlier(answer: Answer, earlier: Sequence[Answer]) -> bool:
    """Does this answer repeat one of the earlier turns' answers (same text, or same first
    sentence)?  An abstention is never a repeat: its wording is always the same."""
    if answer.abstained:
        return False
    text, first = comparable(answer.text), normalize_answer(first_sentence(answer.text))
    return any(
        not e.abstained
        and (comparable(e.text) == text or normalize_answer(first_sentence(e.text)) == first)
        for e in earlier
    )
