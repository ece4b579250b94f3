"""Score the pipeline against a gold Q&A file: retrieval, answers, citations, abstention, latency.

The gold file is JSON Lines, one question per line::

    {"id": "q001", "question": "...", "answers": ["Drew Daniels", "Daniels"],
     "evidence": ["verbatim excerpt of the article"], "answerable": true,
     "kind": "factoid", "history": ["earlier user question", ...]}

``load_gold`` validates every line and names the line and field of the first
problem.  ``evaluate`` sends each question through ``Pipeline.ask`` (the chat's
own path, history included) and computes:

- retrieval over answerable questions: hit@1/3/5, MRR@10, nDCG@10, where a passage
  is relevant when it contains an evidence excerpt (whitespace and quotes folded);
- answers over answerable questions: accuracy (the answer contains a gold answer
  after normalisation) and token F1 against the best gold answer; mean length;
- citations: recall (answered questions citing at least one relevant passage)
  and precision (citations whose passage holds evidence or the quoted sentence);
- abstention: precision and recall of abstaining on unanswerable questions, and
  the rate of wrongly abstaining on answerable ones;
- latency p50/p95 of ``ask``; and all of it per ``kind``.

What this module does not do: write files or plots (``report``).
"""

from __future__ import annotations

import json
import math
import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.chunking import normalise_space
from rag.errors import GoldSetError
from rag.schema import Answer
from rag.text import fold

KINDS = ("factoid", "paraphrase", "multi-hop", "follow-up", "unanswerable")
_FIELDS: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "question": str,
    "answers": list,
    "evidence": list,
    "answerable": bool,
    "kind": str,
}


@dataclass(frozen=True)
class GoldItem:
    id: str
    question: str
    answers: tuple[str, ...]
    evidence: tuple[str, ...]
    answerable: bool
    kind: str
    history: tuple[str, ...] = ()


def load_gold(path: Path) -> list[GoldItem]:
    """Read and validate a gold file; the first bad line raises ``GoldSetError``."""
    path = Path(path)
    if not path.is_file():
        raise GoldSetError(f"gold file not found: {path}")
    items: list[GoldItem] = []
    ids: set[str] = set()
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name} line {line_no}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GoldSetError(
                f"{where}: not valid JSON ({exc.msg} at column {exc.colno})"
            ) from None
        if not isinstance(row, dict):
            raise GoldSetError(f"{where}: expected a JSON object, got {type(row).__name__}")
        for name, kind in _FIELDS.items():
            if name not in row:
                raise GoldSetError(f"{where}: missing field {name!r}")
            if not isinstance(row[name], kind):
                raise GoldSetError(
                    f"{where}: field {name!r} must be a {kind.__name__}, "  # type: ignore[union-attr]
                    f"got {type(row[name]).__name__}"
                )
        history = row.get("history") or []
        for name, value in (
            ("answers", row["answers"]),
            ("evidence", row["evidence"]),
            ("history", history),
        ):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise GoldSetError(f"{where}: field {name!r} must be a list of strings")
        if row["kind"] not in KINDS:
            raise GoldSetError(
                f"{where}: field 'kind' is {row['kind']!r}; expected one of {', '.join(KINDS)}"
            )
        if not row["question"].strip():
            raise GoldSetError(f"{where}: field 'question' is empty")
        if row["answerable"] and not row["answers"]:
            raise GoldSetError(f"{where}: field 'answers' is empty for an answerable question")
        if row["id"] in ids:
            raise GoldSetError(f"{where}: field 'id' repeats {row['id']!r}")
        ids.add(row["id"])
        items.append(
            GoldItem(
                row["id"],
                row["question"],
                tuple(row["answers"]),
                tuple(row["evidence"]),
                row["answerable"],
                row["kind"],
                tuple(history),
            )
        )
    if not items:
        raise GoldSetError(f"{path} holds no questions")
    return items


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


# ---------------------------------------------------------------- running


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

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.item.id,
            "kind": self.item.kind,
            "question": self.item.question,
            "history": list(self.item.history),
            "answerable": self.item.answerable,
            "gold_answers": list(self.item.answers),
            "answer": self.answer.text,
            "abstained": self.answer.abstained,
            "confidence": round(self.answer.confidence, 4),
            "correct": self.correct,
            "f1": round(self.f1, 4),
            "citations": [
                {"n": c.n, "chunk_id": c.chunk_id, "supports": ok}
                for c, ok in zip(self.answer.citations, self.citation_ok, strict=True)
            ],
            "retrieved_relevant": self.relevance,
            "fallback_reason": self.answer.fallback_reason,
            "timings_ms": {k: round(v, 2) for k, v in self.answer.timings_ms.items()},
        }


def score_question(
    item: GoldItem, answer: Answer, ranked_texts: Sequence[str], latency_ms: float
) -> QuestionResult:
    result = QuestionResult(
        item, answer, [contains_evidence(t, item.evidence) for t in ranked_texts], latency_ms
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
        result.f1 = token_f1(_strip_markers(answer.text), item.answers)
        result.cited_relevant = any(
            contains_evidence(c.text, item.evidence) for c in answer.citations
        )
    return result


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


def _strip_markers(text: str) -> str:
    return re.sub(r"\s*\[\d+(?:\s*,\s*\d+)*\]", "", text)


def evaluate(
    pipeline: Any,
    gold: Sequence[GoldItem],
    *,
    retriever: str | None = None,
    generator: str | None = None,
    k: int | None = None,
    progress: Callable[[Iterable[GoldItem]], Iterable[GoldItem]] | None = None,
) -> list[QuestionResult]:
    """Run every gold question through ``pipeline.ask`` and score it."""
    results = []
    for item in progress(gold) if progress else gold:
        answer = pipeline.ask(
            item.question, list(item.history), retriever=retriever, generator=generator, k=k
        )
        ranked = pipeline.retrieve(item.question, list(item.history), retriever=retriever, k=10)
        results.append(
            score_question(
                item, answer, [h.chunk.text for h in ranked], answer.timings_ms.get("total", 0.0)
            )
        )
    return results


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return round(statistics.fmean(values), 4) if values else 0.0


def summarize(results: Sequence[QuestionResult]) -> dict[str, Any]:
    """The metric groups of ``report.json`` for a set of results."""
    answerable = [r for r in results if r.item.answerable]
    unanswerable = [r for r in results if not r.item.answerable]
    answered = [r for r in answerable if not r.answer.abstained]
    abstained = [r for r in results if r.answer.abstained]
    citations = [ok for r in results if not r.answer.abstained for ok in r.citation_ok]
    latencies = [r.latency_ms for r in results]
    true_abstain = sum(1 for r in abstained if not r.item.answerable)
    return {
        "n_questions": len(results),
        "retrieval": {
            "hit@1": _mean(hit_at(r.relevance, 1) for r in answerable),
            "hit@3": _mean(hit_at(r.relevance, 3) for r in answerable),
            "hit@5": _mean(hit_at(r.relevance, 5) for r in answerable),
            "mrr@10": _mean(mrr_at(r.relevance) for r in answerable),
            "ndcg@10": _mean(ndcg_at(r.relevance) for r in answerable),
            "n": len(answerable),
        },
        "answer": {
            "accuracy": _mean(float(r.correct) for r in answerable),
            "f1": _mean(r.f1 for r in answerable),
            "mean_words": _mean(len(_strip_markers(r.answer.text).split()) for r in answered),
            "n": len(answerable),
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
            "n_unanswerable": len(unanswerable),
        },
        "latency_ms": {
            "p50": round(percentile(latencies, 50), 2),
            "p95": round(percentile(latencies, 95), 2),
            "mean": round(statistics.fmean(latencies), 2) if latencies else 0.0,
        },
    }


def build_report(results: Sequence[QuestionResult], config: dict[str, Any]) -> dict[str, Any]:
    """The whole ``report.json``: config, metrics, per-kind metrics, per-question rows."""
    report = {"config": config, **summarize(results)}
    report["by_kind"] = {
        kind: summarize([r for r in results if r.item.kind == kind])
        for kind in KINDS
        if any(r.item.kind == kind for r in results)
    }
    report["per_question"] = [r.to_json() for r in results]
    return report
