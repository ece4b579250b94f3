"""Write an evaluation report: ``report.json``, ``report.md`` and three PNG plots.

``report.md`` holds the tables a person reads: overall metrics, what a chat user
sees (answer first, coverage, length, repeats, contamination, off-topic refusal),
per-kind metrics, one skimmable row per question with its verdicts, the questions
missed, and a Notes section the reader fills in.  The plots are the answer metrics
by question kind, answer length by kind, and the latency histogram.
``summary_table`` is the short table ``rag eval`` prints, ``compare_table`` the
side-by-side table of ``rag eval --compare``, and ``results_markdown`` the page
``--compare`` writes to ``docs/results.md``.

What this module does not do: compute metrics (``evaluation``), read a metric out of a
report or format a table cell (``report_tables``), or draw the plots (``report_plots``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from rag.report_plots import plots
from rag.report_tables import Metric, markdown_table, shown

HEADLINE: tuple[Metric, ...] = (
    ("hit@5", ("retrieval", "hit@5")),
    ("MRR@10", ("retrieval", "mrr@10")),
    ("accuracy", ("answer", "accuracy")),
    ("F1", ("answer", "f1")),
    ("answer first", ("answer", "answer_first")),
    ("coverage", ("answer", "coverage")),
    ("cite P", ("citation", "precision")),
    ("cite R", ("citation", "recall")),
    ("abstain P", ("abstention", "precision")),
    ("abstain R", ("abstention", "recall")),
    ("off-topic refused", ("abstention", "offtopic_refusal")),
    ("contamination", ("conversation", "contamination", "share")),
    ("p50 ms", ("latency_ms", "p50")),
    ("p95 ms", ("latency_ms", "p95")),
)

RESULTS: tuple[Metric, ...] = (
    ("hit@5", ("retrieval", "hit@5")),
    ("MRR@10", ("retrieval", "mrr@10")),
    ("accuracy", ("answer", "accuracy")),
    ("answer_first", ("answer", "answer_first")),
    ("coverage", ("answer", "coverage")),
    ("contamination", ("conversation", "contamination", "share")),
    ("offtopic_refusal", ("abstention", "offtopic_refusal")),
    ("abstain P", ("abstention", "precision")),
    ("abstain R", ("abstention", "recall")),
    ("p50 ms", ("latency_ms", "p50")),
)

BY_KIND: tuple[Metric, ...] = (
    ("n", ("n_questions",)),
    ("hit@5", ("retrieval", "hit@5")),
    ("accuracy", ("answer", "accuracy")),
    ("answer first", ("answer", "answer_first")),
    ("coverage", ("answer", "coverage")),
    ("median words", ("answer", "median_words")),
    ("max words", ("answer", "max_words")),
    ("cite P", ("citation", "precision")),
    ("abstain R", ("abstention", "recall")),
    ("false abstain", ("abstention", "false_abstain_rate")),
    ("off-topic refused", ("abstention", "offtopic_refusal")),
    ("repeats", ("conversation", "repeats", "share")),
    ("contamination", ("conversation", "contamination", "share")),
    ("p50 ms", ("latency_ms", "p50")),
)

CHAT: tuple[Metric, ...] = (
    ("answer first", ("answer", "answer_first")),
    ("n", ("answer", "n_answer_first")),
    ("coverage", ("answer", "coverage")),
    ("n points", ("answer", "n_points")),
    ("median words", ("answer", "median_words")),
    ("max words", ("answer", "max_words")),
    ("repeats", ("conversation", "repeats", "count")),
    ("turns", ("conversation", "repeats", "n")),
    ("contamination", ("conversation", "contamination", "share")),
    ("re-asked", ("conversation", "contamination", "n")),
    ("off-topic refused", ("abstention", "offtopic_refusal")),
    ("off-topic", ("abstention", "n_offtopic")),
)

ANSWER_WORDS = 30  # how much of each answer the per-question table shows


def _metrics_table(
    reports: Sequence[dict[str, Any]], metrics: Sequence[Metric], lead: Sequence[str] = ()
) -> str:
    rows = []
    for r in reports:
        rows.append([*(r["config"][c] for c in lead), *(shown(r, path) for _, path in metrics)])
    return markdown_table([*lead, *(name for name, _ in metrics)], rows)


def summary_table(report: dict[str, Any]) -> str:
    """One row of headline metrics."""
    return _metrics_table([report], HEADLINE)


def compare_table(reports: Sequence[dict[str, Any]]) -> str:
    """One row per configuration, the headline metrics side by side."""
    return _metrics_table(reports, HEADLINE, ("retriever", "generator"))


def kind_table(report: dict[str, Any]) -> str:
    rows = [
        [kind, *(shown(part, path) for _, path in BY_KIND)]
        for kind, part in report["by_kind"].items()
    ]
    return markdown_table(["kind", *(name for name, _ in BY_KIND)], rows)


def results_markdown(
    reports: Sequence[dict[str, Any]],
    *,
    command: str,
    date: datetime,
    files: Sequence[dict[str, str]],
) -> str:
    """``docs/results.md``: what ``rag eval --compare`` measured, with how to re-run it."""
    gold = "\n".join(f"- `{Path(f['path']).name}`: sha256 `{f['sha256']}`" for f in files)
    n = reports[0]["n_questions"] if reports else 0
    return "\n\n".join(
        [
            "# Results",
            "Written by `rag eval --compare`; do not edit by hand, re-run the command.",
            f"Date: {date.strftime('%Y-%m-%d %H:%M UTC')}  \nCommand: `{command}`",
            f"Gold files ({n} questions):\n\n{gold}",
            _metrics_table(reports, RESULTS, ("retriever", "generator")),
            "By gold file:\n\n" + by_gold_table(reports),
            "answer_first: the gold answer in the first sentence, within 25 words "
            "(answerable questions without points); coverage: share of key points "
            "covered (questions with points); contamination: share of standalone "
            "questions whose answer changes after two unrelated earlier questions; "
            "offtopic_refusal: share of off-topic questions declined; '–': no such "
            "question in the gold files.\n",
        ]
    )


def by_gold_table(reports: Sequence[dict[str, Any]]) -> str:
    """One row per configuration and gold file: the ``RESULTS`` metrics of each file alone."""
    rows = [
        [
            r["config"]["retriever"],
            r["config"]["generator"],
            name,
            *(shown(part, p) for _, p in RESULTS),
        ]
        for r in reports
        for name, part in r.get("by_gold", {}).items()
    ]
    return markdown_table(["retriever", "generator", "gold file", *(n for n, _ in RESULTS)], rows)


def write_report(report: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write report.json, report.md and the plots into ``out_dir``; return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [
        out_dir / "report.json",
        out_dir / "report.md",
        out_dir / "accuracy_by_kind.png",
        out_dir / "words_by_kind.png",
        out_dir / "latency_hist.png",
    ]
    paths[0].write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    paths[1].write_text(_markdown(report))
    plots(report, *paths[2:])
    return paths


def _missed(q: dict[str, Any]) -> bool:
    return (q["answerable"] and bool(q["gold_answers"]) and not q["correct"]) or (
        not q["answerable"] and not q["abstained"]
    )


def _verdicts(q: dict[str, Any]) -> list[Any]:
    """correct, answer first, coverage (covered/points), abstention right, flags."""
    correct = q["correct"] if q["answerable"] and q["gold_answers"] else None
    coverage = None
    if q["coverage"] is not None:
        points = len(q["points"])
        coverage = f"{round(q['coverage'] * points)}/{points}"
    flags = []
    if q.get("repeat"):
        flags.append("repeat")
    if q.get("contamination", {}).get("changed"):
        flags.append("changes after 2 others")
    return [
        correct,
        q["answer_first"],
        coverage,
        q["abstained"] != q["answerable"],
        ", ".join(flags),
    ]


def question_table(report: dict[str, Any]) -> str:
    """One row per question: what was asked, the start of the answer, and each verdict."""
    rows = [
        [
            q["id"],
            q["kind"],
            _short(q["question"], 90),
            " → ".join(_words(h, 6) for h in q["history"]),
            _words(q["answer"], ANSWER_WORDS),
            *_verdicts(q),
        ]
        for q in report["per_question"]
    ]
    return markdown_table(
        [
            "id",
            "kind",
            "question",
            "history",
            f"answer (first {ANSWER_WORDS} words)",
            "correct",
            "answer first",
            "coverage",
            "abstained right",
            "flags",
        ],
        rows,
    )


def _markdown(report: dict[str, Any]) -> str:
    config = report["config"]
    gold = config.get("gold", [])
    gold = [gold] if isinstance(gold, str) else gold
    wrong = [q for q in report["per_question"] if _missed(q)]
    rows = [
        [
            q["id"],
            q["kind"],
            q["question"],
            "; ".join(q["gold_answers"]) or "(abstain)",
            _short(q["answer"]),
        ]
        for q in wrong
    ]
    files = ", ".join(f"`{g}`" for g in gold) or "(none recorded)"
    parts = [
        "# Anora Q&A evaluation",
        f"Gold files {files}: {report['n_questions']} questions; retriever "
        f"`{config.get('retriever')}`, generator `{config.get('generator')}`, "
        f"k={config.get('k')}.",
        "## Headline\n\n" + summary_table(report),
        "## Retrieval (answerable questions with evidence)\n\n"
        + markdown_table(list(report["retrieval"]), [list(report["retrieval"].values())]),
        "## Answers, citations, abstention\n\n"
        + markdown_table(
            [
                "accuracy",
                "F1",
                "mean words",
                "cite precision",
                "cite recall",
                "abstain P",
                "abstain R",
                "false abstain rate",
            ],
            [
                [
                    report["answer"]["accuracy"],
                    report["answer"]["f1"],
                    report["answer"]["mean_words"],
                    report["citation"]["precision"],
                    report["citation"]["recall"],
                    report["abstention"]["precision"],
                    report["abstention"]["recall"],
                    report["abstention"]["false_abstain_rate"],
                ]
            ],
        ),
        "## What a chat user sees\n\n"
        + _metrics_table([report], CHAT)
        + "\n\nanswer first: the gold answer in the answer's first sentence, within its "
        "first 25 words (answerable questions without points; an abstention is a miss). "
        "coverage: mean share of key points covered (questions with points). "
        "repeats: turns whose answer repeats an earlier turn's answer in the same "
        "conversation. contamination: standalone questions asked again after two "
        "unrelated ones whose answer changed. Words: answers to answerable questions.",
        "## By kind\n\n" + kind_table(report),
    ]
    if "by_gold" in report:
        parts.append(
            "## By gold file\n\n"
            + markdown_table(
                ["file", *(name for name, _ in BY_KIND)],
                [
                    [name, *(shown(part, path) for _, path in BY_KIND)]
                    for name, part in report["by_gold"].items()
                ],
            )
        )
    parts += [
        "## Notes\n\n_To fill in by the person who read the answers: read at least 30 "
        "answers in the table below as a user would, and write here what you saw (what a "
        "user gets, what the verdicts miss). The numbers are a proxy for that reading._",
        "## Every question\n\n" + question_table(report),
        f"## Missed ({len(wrong)})\n\n"
        + (markdown_table(["id", "kind", "question", "gold", "answer"], rows) if rows else "None."),
        "![answer metrics by kind](accuracy_by_kind.png)\n\n"
        "![answer length by kind](words_by_kind.png)\n\n![latency](latency_hist.png)\n",
    ]
    return "\n\n".join(parts)


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _words(text: str, limit: int) -> str:
    """The first ``limit`` words, table-safe.

    >>> _words("one two | three four", 3)
    'one two \\\\| …'
    """
    words = text.split()
    head = " ".join(words[:limit]).replace("|", "\\|")
    return head + " …" if len(words) > limit else head
