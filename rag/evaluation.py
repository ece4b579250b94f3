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

What this module does not do: the metric functions themselves (``metrics``, re-exported
here), read gold files (``gold``), write files or plots (``report``).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rag.chunking import normalise_space
from rag.gold import KINDS, OFFTOPIC, GoldItem, kinds_found, load_gold, load_golds
from rag.metrics import (
    FIRST_WORDS,
    answers_first,
    cited_claims,
    comparable,
    contains_evidence,
    first_sentence,
    hit_at,
    is_correct,
    mrr_at,
    ndcg_at,
    normalize_answer,
    percentile,
    point_coverage,
    quoted_parts,
    repeats_earlier,
    strip_markers,
    token_f1,
)
from rag.replay import CONTAMINATION_SEED, Replay, distractors
from rag.schema import Answer
from rag.text import fold

__all__ = [
    "CONTAMINATION_SEED",
    "FIRST_WORDS",
    "KINDS",
    "GoldItem",
    "Replay",
    "distractors",
    "first_sentence",
    "load_gold",
    "load_golds",
    "normalize_answer",
]

_strip_markers = strip_markers  # the older private name


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
            all(fold(normalise_space(part)) in passage for part in quoted_parts(claim, answer))
            for claim in claims.get(citation.n, [])
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
