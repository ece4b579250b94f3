"""Fit the extractive answerer's two small models, and the abstention threshold, on a gold set.

``rag calibrate`` runs every gold question through retrieval, collects the
features ``ExtractiveGenerator`` computes (no answer is generated), and fits:

1. the **sentence ranker**: L2-regularised logistic regression, one row per
   candidate sentence, label "this sentence contains a gold answer";
2. the **answerability model**: the same, one row per question, label
   "answerable"; its output is the answer's ``confidence``;
3. the **threshold** on that confidence that maximises the share of questions
   with the right outcome (a correct answer, or an abstention when the
   articles do not say), counting the abstentions the answerer makes anyway
   because the answer lacks the quantity, date, name or role asked for
   (``ExtractiveGenerator.decide``).

Every number it prints is cross-validated: questions are split into ``folds``
groups by a hash of their id, each group is scored by models fitted on the
others, so the figures estimate performance on questions the models never saw.
``Calibration.models()`` is the result as the answerer's ``Models`` (weights,
threshold, the gold file's hash, the cross-validated figures); ``rag calibrate
--write`` writes it to ``rag/answerer/models.json``, which the answerer checks on
load.  Without ``--write`` nothing is changed.

What this module does not do: choose features (``rag.answerer.features``) or run
the whole evaluation (``evaluation``).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from rag.answerer import AnswerFeatures, Candidate, ExtractiveGenerator, SentenceFeatures, analyse
from rag.answerer.model import LinearModel, Models
from rag.evaluation import GoldItem, is_correct


def fit_logistic(
    x: np.ndarray, y: np.ndarray, l2: float = 1.0, iterations: int = 50
) -> tuple[np.ndarray, float]:
    """Weights and bias of an L2-regularised logistic regression (Newton's method), classes
    balanced.

    >>> w, b = fit_logistic(np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1]))
    >>> bool(w[0] > 0 and -b / w[0] > 1 and -b / w[0] < 2)
    True
    """
    n, d = x.shape
    design = np.hstack([x, np.ones((n, 1))])
    positive = max(float(y.sum()), 1.0)
    sample = np.where(y == 1, n / (2 * positive), n / (2 * max(n - positive, 1.0)))
    theta = np.zeros(d + 1)
    penalty = np.full(d + 1, l2)
    penalty[-1] = 0.0  # the bias is not shrunk
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ theta, -30, 30)))
        gradient = design.T @ (sample * (p - y)) + penalty * theta
        hessian = (design * (sample * p * (1 - p))[:, None]).T @ design + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if np.abs(step).max() < 1e-8:
            break
    return theta[:-1], float(theta[-1])


@dataclass
class QuestionData:
    item: GoldItem
    candidates: list[Candidate]
    labels: np.ndarray  # per candidate: contains a gold answer
    request: Any
    reserve: list[Candidate]  # of the passages below the first k, for a name or role asked
    question: Any = None  # the analysed question (``rag.answerer.Question``)


def _fold(item_id: str, folds: int) -> int:
    return int(hashlib.sha256(item_id.encode()).hexdigest(), 16) % folds


@dataclass
class Calibration:
    sentence_weights: np.ndarray
    sentence_bias: float
    answer_weights: np.ndarray
    answer_bias: float
    threshold: float
    configured_threshold: float | None = None  # settings.abstain_threshold, if set
    cv: dict[str, float] = field(default_factory=dict)
    fitted_on: dict[str, Any] = field(default_factory=dict)  # the gold file: name, sha256
    sweep: list[tuple[float, float, float, float]] = field(default_factory=list)

    def describe(self) -> str:
        def fmt(values: Sequence[float] | np.ndarray) -> str:
            return "(" + ", ".join(f"{v:.3f}" for v in values) + ")"

        lines = ["Cross-validated on questions the models were not fitted on:"]
        lines += [f"  {name}: {value:.3f}" for name, value in self.cv.items()]
        lines.append(
            "\nThreshold sweep (cross-validated): threshold, right outcome, "
            "abstain precision, abstain recall"
        )
        lines += [f"  {t:.2f}  {a:.3f}  {p:.3f}  {r:.3f}" for t, a, p, r in self.sweep]
        lines.append("\nFitted on all questions:")
        lines.append(
            f"  sentence weights {fmt(self.sentence_weights)}, bias {self.sentence_bias:.3f}"
        )
        lines.append(f"    ({', '.join(SentenceFeatures.names())})")
        lines.append(f"  answer weights {fmt(self.answer_weights)}, bias {self.answer_bias:.3f}")
        lines.append(f"    ({', '.join(AnswerFeatures.names())})")
        lines.append(f"  abstain threshold {self.threshold:.3f}")
        kept = self.configured_threshold
        if kept is not None and abs(kept - self.threshold) > 1e-9:
            lines.append(
                f"  (RAG_ABSTAIN_THRESHOLD={kept:.2f} is set and overrides it; the same "
                "decisions at that setting need answer bias "
                f"{recentred_bias(self.answer_bias, self.threshold, kept):.3f})"
            )
        lines.append("`rag calibrate --write` stores these in rag/answerer/models.json.")
        return "\n".join(lines)

    def models(self) -> Models:
        """The fit as the answerer's models file holds it."""
        return Models(
            sentence=LinearModel(
                SentenceFeatures.names(), np.asarray(self.sentence_weights), self.sentence_bias
            ),
            answer=LinearModel(
                AnswerFeatures.names(), np.asarray(self.answer_weights), self.answer_bias
            ),
            threshold=self.threshold,
            fitted_on=self.fitted_on,
            cross_validated=self.cv,
        )


def collect(pipeline: Any, gold: Sequence[GoldItem]) -> list[QuestionData]:
    """Features of every candidate sentence for every gold question (default retriever)."""
    generator = ExtractiveGenerator(pipeline.resources)
    data = []
    for item in gold:
        request, _, _ = pipeline.prepare(item.question, list(item.history))
        if request is None:
            continue
        question = analyse(request.question)
        candidates = generator.candidates(request, question)
        labels = np.array(
            [item.answerable and is_correct(c.sentence.text, item.answers) for c in candidates],
            dtype=float,
        )
        deeper = request.deeper() if generator.requirement(question) is not None else ()
        reserve = generator.candidates(request, question, deeper) if deeper else []
        data.append(QuestionData(item, candidates, labels, request, reserve, question))
    return data


def _rescore(candidates: Sequence[Candidate], weights: np.ndarray, bias: float) -> list[Candidate]:
    rescored = [replace(c, score=float(weights @ c.features.vector()) + bias) for c in candidates]
    return sorted(rescored, key=lambda c: -c.score)


def _answer_rows(
    generator: ExtractiveGenerator, data: Sequence[QuestionData], weights: np.ndarray, bias: float
) -> tuple[np.ndarray, list[bool], list[bool]]:
    """Per question: the answer features, whether the answer is right, and whether it
    lacks the quantity, date, name or role asked for (an abstention whatever the confidence)."""
    rows, correct, missing = [], [], []
    for q in data:
        ranked = _rescore(q.candidates, weights, bias)
        deeper = _rescore(q.reserve, weights, bias)
        quotable, unmet = generator.constrain(q.request, ranked, q.question, deeper)
        rows.append(generator.answer_features(q.request, ranked).vector())
        chosen = generator.select(quotable) if quotable else []
        text = " ".join(c.sentence.text for c in chosen)
        correct.append(q.item.answerable and is_correct(text, q.item.answers))
        missing.append(
            unmet is not None or generator.quantity.missing(q.question, chosen) is not None
        )
    return np.asarray(rows, dtype=float), correct, missing


def calibrate(
    pipeline: Any,
    gold: Sequence[GoldItem],
    folds: int = 5,
    l2: float = 1.0,
    fitted_on: dict[str, Any] | None = None,
) -> Calibration:
    generator = ExtractiveGenerator(pipeline.resources)
    data = collect(pipeline, gold)
    fold_of = [_fold(q.item.id, folds) for q in data]

    def sentence_model(train: Sequence[QuestionData]) -> tuple[np.ndarray, float]:
        usable = [q for q in train if q.candidates and q.item.answerable]
        x = np.vstack([np.asarray([c.features.vector() for c in q.candidates]) for q in usable])
        y = np.concatenate([q.labels for q in usable])
        return fit_logistic(x, y, l2)

    # cross-validated sentence ranking, and out-of-fold answer features
    top1, rows = [], np.zeros((len(data), len(AnswerFeatures.names())))
    correct, missing = [False] * len(data), [False] * len(data)
    for k in range(folds):
        train = [q for q, f in zip(data, fold_of, strict=True) if f != k]
        w, b = sentence_model(train)
        test_index = [i for i, f in enumerate(fold_of) if f == k]
        x, ok, lacks = _answer_rows(generator, [data[i] for i in test_index], w, b)
        for row, i, good, lack in zip(x, test_index, ok, lacks, strict=True):
            rows[i], correct[i], missing[i] = row, good, lack
        for i in test_index:
            q = data[i]
            if q.item.answerable and q.candidates:
                top1.append(
                    is_correct(_rescore(q.candidates, w, b)[0].sentence.text, q.item.answers)
                )
    answerable = np.array([q.item.answerable for q in data], dtype=float)
    confidence = np.zeros(len(data))
    for k in range(folds):
        fit_rows = [i for i, f in enumerate(fold_of) if f != k]
        held_out = [i for i, f in enumerate(fold_of) if f == k]
        aw, ab = fit_logistic(rows[fit_rows], answerable[fit_rows], l2)
        confidence[held_out] = 1 / (1 + np.exp(-(rows[held_out] @ aw + ab)))

    sweep = []
    for threshold in np.round(np.arange(0.20, 0.81, 0.025), 3):
        abstain = (confidence < threshold) | np.array(missing)
        right = np.where(answerable == 1, ~abstain & np.array(correct), abstain)
        true_abstain = float((abstain & (answerable == 0)).sum())
        precision = true_abstain / abstain.sum() if abstain.sum() else 0.0
        recall = true_abstain / max((answerable == 0).sum(), 1)
        sweep.append((float(threshold), float(right.mean()), precision, recall))
    best = max(sweep, key=lambda row: (row[1], -abs(row[0] - 0.5)))

    w, b = sentence_model(data)
    x_all, _, _ = _answer_rows(generator, data, w, b)
    aw, ab = fit_logistic(x_all, answerable, l2)
    return Calibration(
        sentence_weights=w,
        sentence_bias=b,
        answer_weights=aw,
        answer_bias=ab,
        threshold=best[0],
        configured_threshold=pipeline.settings.abstain_threshold,
        fitted_on=dict(fitted_on or {}),
        sweep=sweep,
        cv={
            "sentence top-1 accuracy (answerable)": float(np.mean(top1)) if top1 else 0.0,
            "right outcome at the chosen threshold": best[1],
            "abstain precision": best[2],
            "abstain recall": best[3],
            "questions": float(len(data)),
            "folds": float(folds),
        },
    )


def logit(p: float) -> float:
    """The log-odds of ``p``, the inverse of the logistic function.

    >>> round(logit(0.5), 6), round(logit(0.25), 4)
    (0.0, -1.0986)
    """
    return math.log(p / (1 - p))


def recentred_bias(bias: float, fitted: float, configured: float) -> float:
    """The answer model's bias that puts the ``fitted`` threshold at the ``configured`` one.

    ``sigmoid(z + bias) < fitted`` exactly when ``sigmoid(z + new) < configured``, so the
    abstention decisions are unchanged while the threshold setting stays as it is.

    >>> round(recentred_bias(-2.0, 0.25, 0.30), 3)
    -1.749
    """
    return bias + logit(configured) - logit(fitted)


# ---------------------------------------------------------------- the verifier's claim set

CLAIM_LABELS = ("faithful", "unfaithful")
HELD_OUT_FOLDS = 2  # claims about one gold question in every other hash bucket are held out


@dataclass(frozen=True)
class ClaimItem:
    """One labelled claim of ``eval/claims.jsonl``: a sentence cited to the passage holding
    ``evidence``, asked as ``question``."""

    id: str
    gold: str  # the gold question it was written from (claims of one question share a split)
    question: str
    evidence: str
    claim: str
    label: str  # "faithful" | "unfaithful"
    category: str  # "faithful" or the kind of unfaithfulness ("negation", "number_unit", ...)

    @property
    def held_out(self) -> bool:
        return _fold(self.gold, HELD_OUT_FOLDS) == 0


def load_claims(path: Any) -> list[ClaimItem]:
    """The claim set; a malformed line raises ``ValueError`` naming the line and the fix."""
    import json
    from pathlib import Path

    items = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            item = ClaimItem(**{k: str(row[k]) for k in ClaimItem.__dataclass_fields__})
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(
                f"{path}:{n}: not a claim line ({type(exc).__name__}: {exc}); each line needs "
                f"{', '.join(ClaimItem.__dataclass_fields__)}"
            ) from None
        if item.label not in CLAIM_LABELS:
            raise ValueError(f"{path}:{n}: label {item.label!r} is not one of {CLAIM_LABELS}")
        items.append(item)
    return items


@dataclass(frozen=True)
class ClaimResult:
    item: ClaimItem
    passed: bool  # the verifier kept the sentence
    status: str  # CheckedClaim.status, or "no passage" when the evidence is in no passage
    rules: tuple[str, ...] = ()  # the verifier's rules the claim broke (``Support.failed``)


@dataclass
class ClaimReport:
    results: list[ClaimResult]

    def rates(self, held_out: bool | None = None) -> dict[str, tuple[int, int]]:
        """Per category: (passed, total); ``held_out`` None = all claims."""
        out: dict[str, tuple[int, int]] = {}
        for r in self.results:
            if held_out is not None and r.item.held_out != held_out:
                continue
            passed, total = out.get(r.item.category, (0, 0))
            out[r.item.category] = (passed + r.passed, total + 1)
        return dict(sorted(out.items(), key=lambda kv: (kv[0] != "faithful", kv[0])))

    def describe(self, *, failures: bool = False) -> str:
        lines = ["Verifier on the claim set: share of claims kept (passed / total)"]
        columns = {"all": None, "tuning": False, "held-out": True}
        tables = {name: self.rates(split) for name, split in columns.items()}
        lines.append(f"  {'category':<20}" + "".join(f"{name:>16}" for name in columns))

        def cell(pair: tuple[int, int] | None) -> str:
            if not pair or not pair[1]:
                return f"{'-':>16}"
            return f"{pair[0] / pair[1]:>9.1%} {pair[0]:>2}/{pair[1]:<3}"

        for category in tables["all"]:
            lines.append(
                f"  {category:<20}" + "".join(cell(tables[c].get(category)) for c in columns)
            )
        for name in ("unfaithful", "faithful"):
            row = ""
            for c in columns:
                pairs = [
                    v for k, v in tables[c].items() if (k == "faithful") == (name == "faithful")
                ]
                row += cell((sum(p for p, _ in pairs), sum(t for _, t in pairs)))
            lines.append(f"  {name + ' (all)':<20}" + row)
        if failures:
            lines.append("\nWrongly kept (unfaithful) and wrongly dropped (faithful):")
            for r in self.results:
                if r.passed == (r.item.label == "unfaithful"):
                    why = ", ".join(r.rules) or r.status
                    tag = "KEPT" if r.passed else f"DROPPED ({why})"
                    split = "held-out" if r.item.held_out else "tuning"
                    lines.append(
                        f"  {r.item.id} [{r.item.category}, {split}] {tag}: {r.item.claim}"
                    )
        return "\n".join(lines)


def _passage_of(pipeline: Any, evidence: str) -> Any:
    """The indexed passage whose text holds ``evidence`` (folded, spaces squeezed), or None."""
    from rag.text import fold

    def norm(text: str) -> str:
        return " ".join(fold(text).split())

    needle = norm(evidence)
    return next((c for c in pipeline.index.chunks if needle in norm(c.text)), None)


def check_claims(pipeline: Any, claims: Sequence[ClaimItem]) -> ClaimReport:
    """Run every claim, cited ``[1]`` to the passage holding its evidence, through the verifier
    the LLM generators use (``rag.verify.Verifier.check``)."""
    from rag.schema import Hit
    from rag.verify import Verifier, split_answer

    verifier = Verifier(pipeline.embedder, pipeline.index)
    results = []
    for item in claims:
        chunk = _passage_of(pipeline, item.evidence)
        if chunk is None:
            results.append(ClaimResult(item, False, "no passage"))
            continue
        query_vector = pipeline.embedder.embed_query(item.question)
        checked = verifier.check(
            split_answer(f"{item.claim} [1]"), [Hit(chunk, 1.0, 1)], item.question, query_vector
        )
        status = checked[0].status if len(checked) == 1 else "split"
        support = checked[0].supports.get(1) if checked else None
        rules = support.failed if support is not None else ()
        results.append(ClaimResult(item, status == "supported", status, rules))
    return ClaimReport(results)
