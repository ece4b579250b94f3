"""Score the pipeline against gold Q&A files: retrieval, answers, citations, abstention,
what a chat user sees, and latency.

Gold files are read by ``rag.gold`` (format there).  ``evaluate`` sends each
question through ``Pipeline.ask`` as a chat would: a question with ``history`` is
the last turn of a conversation, so each earlier turn is asked first, in order,
with the turns before it as history (``rag.replay``; each distinct turn is asked once
and cached by its conversation so far).  It computes:

- retrieval over answerable questions with evidence: hit@1/3/5, MRR@10, nDCG@10,
  where a passage is relevant when it contains an evidence excerpt;
- answers over answerable questions with ``answers``: accuracy (the answer contains
  a gold answer after normalisation) and token F1; mean, median and max words of the
  answers given to answerable questions (markers removed);
- ``answer_first``: over answerable questions without ``points`` (abstentions count
  as misses), the share whose gold answer is in the answer's *first sentence*, within
  its first 25 words.  The first sentence is the first of ``rag.verify.split_answer``
  (the splitter the verifier cuts answers with: a full stop, ``!`` or ``?`` before a
  space ends a sentence, except after "Dr.", an initial or "U.S.";
  markers removed);
- ``coverage``: over questions with ``points``, the mean share of points the answer
  covers (a point is covered when one of its strings is in it, same normalisation);
- citations: recall and precision as before;
- abstention: precision and recall of abstaining on unanswerable questions (off-topic
  ones included), the rate of wrongly abstaining on answerable ones, and
  ``offtopic_refusal``, the share of ``kind: offtopic`` questions declined;
- ``conversation.repeats``: turns (questions with history) whose answer repeats an
  earlier turn's answer in the same conversation: the same text once markers are
  removed, or the same first sentence (abstentions never count as repeats);
- ``conversation.contamination``: every standalone answerable question is asked again
  after two other standalone questions of the same gold file (not from its own
  conversation), drawn with a fixed seed per question id; the share whose answer
  text (markers removed) changes.  These extra asks never touch the main rows;
- latency p50/p95 of ``ask``; and all of it per ``kind``.

What this module does not do: read gold files (``gold``), write files or plots
(``report``).
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rag.chunking import normalise_space
from rag.gold import KINDS, OFFTOPIC, GoldItem, kinds_found, load_gold, load_golds
from rag.replay import CONTAMINATION_SEED, Replay, distractors
from rag.schema import Answer
from rag.text import fold
from rag.verify import split_answer

__all__ = [
    "CONTAMINATION_SEED",
    "KINDS",
    "GoldItem",
    "Replay",
    "distractors",
    "load_gold",
    "load_golds",
]

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


_strip_markers = strip_markers  # the older private name


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


# ---------------------------------------------------------------- running


@dataclass(frozen=True)
class Contamination:
    """A standalone question asked again after unrelated questions (ids in ``after``)."""

    after: tuple[str, ...]
    answer: Answer
    changed: bool


@dataclass
class QuestionResult:
    item: GoldItem
    answer: Answer
    relevance: list[bool]  # of the top-10 retrieved passages
    latency_ms: float
    correct: bool = False
    f1: float = 0.0
    cited_relevant: bool = False
    citation_ok: list[bool] = field(default_factory=list)
    earlier: tuple[Answer, ...] = ()  # the answers of the history's turns, oldest first
    answer_first: bool | None = None  # None: not measured (unanswerable, or has points)
    coverage: float | None = None  # None: the question has no points
    repeat: bool | None = None  # None: the question has no history
    contamination: Contamination | None = None

    def to_json(self) -> dict[str, Any]:
        out = {
            "id": self.item.id,
            "gold": self.item.source,
            "kind": self.item.kind,
            "question": self.item.question,
            "history": list(self.item.history),
            "history_answers": [a.text for a in self.earlier],
            "answerable": self.item.answerable,
            "gold_answers": list(self.item.answers),
            "points": [list(p) for p in self.item.points],
            "answer": self.answer.text,
            "abstained": self.answer.abstained,
            "confidence": round(self.answer.confidence, 4),
            "correct": self.correct,
            "f1": round(self.f1, 4),
            "answer_first": self.answer_first,
            "coverage": None if self.coverage is None else round(self.coverage, 4),
            "repeat": self.repeat,
            "words": len(strip_markers(self.answer.text).split()),
            "citations": [
                {"n": c.n, "chunk_id": c.chunk_id, "supports": ok}
                for c, ok in zip(self.answer.citations, self.citation_ok, strict=True)
            ],
            "retrieved_relevant": self.relevance,
            "fallback_reason": self.answer.fallback_reason,
            "timings_ms": {k: round(v, 2) for k, v in self.answer.timings_ms.items()},
        }
        if self.contamination is not None:
            out["contamination"] = {
                "after": list(self.contamination.after),
                "answer": self.contamination.answer.text,
                "changed": self.contamination.changed,
            }
        return out


def score_question(
    item: GoldItem,
    answer: Answer,
    ranked_texts: Sequence[str],
    latency_ms: float,
    earlier: Sequence[Answer] = (),
) -> QuestionResult:
    result = QuestionResult(
        item,
        answer,
        [contains_evidence(t, item.evidence) for t in ranked_texts],
        latency_ms,
        earlier=tuple(earlier),
    )
    claims = cited_claims(answer.text)
    for citation in answer.citations:
        passage = fold(normalise_space(citation.text))
        verbatim = any(
            fold(normalise_space(claim)) in passage for claim in claims.get(citation.n, [])
        )
        result.citation_ok.append(verbatim or contains_evidence(citation.text, item.evidence))
    if item.answerable and not answer.abstained:
        result.correct = is_correct(answer.text, item.answers)
        result.f1 = token_f1(strip_markers(answer.text), item.answers)
        result.cited_relevant = any(
            contains_evidence(c.text, item.evidence) for c in answer.citations
        )
    if item.answerable and not item.points:
        result.answer_first = not answer.abstained and answers_first(answer.text, item.answers)
    if item.points:
        result.coverage = 0.0 if answer.abstained else point_coverage(answer.text, item.points)
    if item.history:
        result.repeat = repeats_earlier(answer, earlier)
    return result


def evaluate(
    pipeline: Any,
    gold: Sequence[GoldItem],
    *,
    retriever: str | None = None,
    generator: str | None = None,
    k: int | None = None,
    progress: Callable[[Iterable[GoldItem]], Iterable[GoldItem]] | None = None,
    contamination: bool = True,
    seed: int = CONTAMINATION_SEED,
) -> list[QuestionResult]:
    """Run every gold question through the pipeline as a chat would, and score it.

    With ``contamination``, each standalone answerable question is then asked once more
    after two ``distractors`` (a second pass, so the main rows are answered first).
    """
    replay = Replay(pipeline, retriever=retriever, generator=generator, k=k)
    results = []
    for item in progress(gold) if progress else gold:
        turns = replay.turns(item.turns)
        answer = turns[-1].answer
        ranked = pipeline.retrieve(item.question, list(item.history), retriever=retriever, k=10)
        results.append(
            score_question(
                item,
                answer,
                [h.chunk.text for h in ranked],
                answer.timings_ms.get("total", 0.0),
                [t.answer for t in turns[:-1]],
            )
        )
    if contamination:
        for result in results:
            item = result.item
            if item.history or not item.answerable:
                continue
            before = distractors(item, gold, seed)
            if not before:
                continue
            again = replay.turns([*(d.question for d in before), item.question])[-1].answer
            result.contamination = Contamination(
                tuple(d.id for d in before),
                again,
                comparable(again.text) != comparable(result.answer.text),
            )
    return results


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return round(statistics.fmean(values), 4) if values else 0.0


def _share(values: Iterable[float]) -> float | None:
    """The mean, or None when there is nothing to measure (shown as '–')."""
    values = list(values)
    return round(statistics.fmean(values), 4) if values else None


def summarize(results: Sequence[QuestionResult]) -> dict[str, Any]:
    """The metric groups of ``report.json`` for a set of results."""
    answerable = [r for r in results if r.item.answerable]
    graded = [r for r in answerable if r.item.answers]
    with_evidence = [r for r in answerable if r.item.evidence]
    unanswerable = [r for r in results if not r.item.answerable]
    offtopic = [r for r in results if r.item.kind == OFFTOPIC]
    answered = [r for r in answerable if not r.answer.abstained]
    abstained = [r for r in results if r.answer.abstained]
    citations = [ok for r in results if not r.answer.abstained for ok in r.citation_ok]
    latencies = [r.latency_ms for r in results]
    true_abstain = sum(1 for r in abstained if not r.item.answerable)
    lengths = [len(strip_markers(r.answer.text).split()) for r in answered]
    first = [r.answer_first for r in results if r.answer_first is not None]
    coverage = [r.coverage for r in results if r.coverage is not None]
    turns = [r.repeat for r in results if r.repeat is not None]
    again = [r.contamination.changed for r in results if r.contamination is not None]
    return {
        "n_questions": len(results),
        "retrieval": {
            "hit@1": _mean(hit_at(r.relevance, 1) for r in with_evidence),
            "hit@3": _mean(hit_at(r.relevance, 3) for r in with_evidence),
            "hit@5": _mean(hit_at(r.relevance, 5) for r in with_evidence),
            "mrr@10": _mean(mrr_at(r.relevance) for r in with_evidence),
            "ndcg@10": _mean(ndcg_at(r.relevance) for r in with_evidence),
            "n": len(with_evidence),
        },
        "answer": {
            "accuracy": _mean(float(r.correct) for r in graded),
            "f1": _mean(r.f1 for r in graded),
            "mean_words": _mean(lengths),
            "median_words": round(float(statistics.median(lengths)), 1) if lengths else None,
            "max_words": max(lengths) if lengths else None,
            "answer_first": _share(float(v) for v in first),
            "coverage": _share(coverage),
            "n": len(graded),
            "n_answer_first": len(first),
            "n_points": len(coverage),
        },
        "citation": {
            "recall": _mean(float(r.cited_relevant) for r in answered),
            "precision": _mean(float(ok) for ok in citations),
            "n_citations": len(citations),
        },
        "abstention": {
            "precision": round(true_abstain / len(abstained), 4) if abstained else 0.0,
            "recall": round(true_abstain / len(unanswerable), 4) if unanswerable else 0.0,
            "false_abstain_rate": _mean(float(r.answer.abstained) for r in answerable),
            "offtopic_refusal": _share(float(r.answer.abstained) for r in offtopic),
            "n_unanswerable": len(unanswerable),
            "n_offtopic": len(offtopic),
        },
        "conversation": {
            "repeats": {"count": sum(turns), "share": _share(map(float, turns)), "n": len(turns)},
            "contamination": {
                "count": sum(again),
                "share": _share(map(float, again)),
                "n": len(again),
            },
        },
        "latency_ms": {
            "p50": round(percentile(latencies, 50), 2),
            "p95": round(percentile(latencies, 95), 2),
            "mean": round(statistics.fmean(latencies), 2) if latencies else 0.0,
        },
    }


def build_report(results: Sequence[QuestionResult], config: dict[str, Any]) -> dict[str, Any]:
    """The whole ``report.json``: config, metrics, per-kind (and per-file) metrics, rows."""
    report = {"config": config, **summarize(results)}
    items = [r.item for r in results]
    report["kinds"] = {kind: sum(i.kind == kind for i in items) for kind in kinds_found(items)}
    report["by_kind"] = {
        kind: summarize([r for r in results if r.item.kind == kind]) for kind in report["kinds"]
    }
    files = list(dict.fromkeys(i.source for i in items))
    if len(files) > 1:
        report["by_gold"] = {
            name: summarize([r for r in results if r.item.source == name]) for name in files
        }
    report["per_question"] = [r.to_json() for r in results]
    return report
