"""Write an evaluation report: ``report.json``, ``report.md`` and two PNG plots.

``report.md`` holds the tables a person reads (overall metrics, per-kind metrics,
and the questions answered wrongly); the plots are accuracy by question kind
and the latency histogram.  ``summary_table`` is the short table ``rag eval``
prints, and ``compare_table`` the side-by-side table of ``rag eval --compare``.

What this module does not do: compute metrics (``evaluation``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HEADLINE = (
    ("hit@5", "retrieval", "hit@5"),
    ("MRR@10", "retrieval", "mrr@10"),
    ("accuracy", "answer", "accuracy"),
    ("F1", "answer", "f1"),
    ("cite P", "citation", "precision"),
    ("cite R", "citation", "recall"),
    ("abstain P", "abstention", "precision"),
    ("abstain R", "abstention", "recall"),
    ("p50 ms", "latency_ms", "p50"),
    ("p95 ms", "latency_ms", "p95"),
)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if value <= 1.0 else f"{value:.1f}"
    return str(value)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def summary_table(report: dict[str, Any]) -> str:
    """One row of headline metrics."""
    return markdown_table(
        [name for name, _, _ in HEADLINE], [[report[group][key] for _, group, key in HEADLINE]]
    )


def compare_table(reports: Sequence[dict[str, Any]]) -> str:
    """One row per configuration, the headline metrics side by side."""
    rows = [
        [
            r["config"]["retriever"],
            r["config"]["generator"],
            *[r[group][key] for _, group, key in HEADLINE],
        ]
        for r in reports
    ]
    return markdown_table(["retriever", "generator", *[n for n, _, _ in HEADLINE]], rows)


def kind_table(report: dict[str, Any]) -> str:
    rows = []
    for kind, part in report["by_kind"].items():
        rows.append(
            [
                kind,
                part["n_questions"],
                part["retrieval"]["hit@5"],
                part["answer"]["accuracy"],
                part["answer"]["f1"],
                part["citation"]["precision"],
                part["abstention"]["recall"],
                part["abstention"]["false_abstain_rate"],
                part["latency_ms"]["p50"],
            ]
        )
    return markdown_table(
        ["kind", "n", "hit@5", "accuracy", "F1", "cite P", "abstain R", "false abstain", "p50 ms"],
        rows,
    )


def write_report(report: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write report.json, report.md and the plots into ``out_dir``; return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [
        out_dir / "report.json",
        out_dir / "report.md",
        out_dir / "accuracy_by_kind.png",
        out_dir / "latency_hist.png",
    ]
    paths[0].write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    paths[1].write_text(_markdown(report))
    _plots(report, paths[2], paths[3])
    return paths


def _markdown(report: dict[str, Any]) -> str:
    config = report["config"]
    wrong = [
        q
        for q in report["per_question"]
        if (q["answerable"] and not q["correct"]) or (not q["answerable"] and not q["abstained"])
    ]
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
    return "\n\n".join(
        [
            "# Anora Q&A evaluation",
            f"Gold file `{config['gold']}`, {report['n_questions']} questions; retriever "
            f"`{config['retriever']}`, generator `{config['generator']}`, k={config['k']}.",
            "## Headline\n\n" + summary_table(report),
            "## Retrieval (answerable questions)\n\n"
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
            "## By kind\n\n" + kind_table(report),
            f"## Missed ({len(wrong)})\n\n"
            + (
                markdown_table(["id", "kind", "question", "gold", "answer"], rows)
                if rows
                else "None."
            ),
            "![accuracy by kind](accuracy_by_kind.png)\n\n![latency](latency_hist.png)\n",
        ]
    )


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plots(report: dict[str, Any], accuracy_png: Path, latency_png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kinds = list(report["by_kind"])
    values = [
        report["by_kind"][k]["abstention"]["recall"]
        if k == "unanswerable"
        else report["by_kind"][k]["answer"]["accuracy"]
        for k in kinds
    ]
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.bar(kinds, values, color="#8b1e2d")
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy (unanswerable: abstain recall)")
    ax.set_title("Answer accuracy by question kind")
    for x, v in enumerate(values):
        ax.text(x, v + 0.02, f"{v:.2f}", ha="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(accuracy_png, dpi=110)
    plt.close(fig)

    latencies = [q["timings_ms"].get("total", 0.0) for q in report["per_question"]]
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.hist(latencies, bins=30, color="#2d4f8b")
    ax.set_xlabel("ask latency (ms)")
    ax.set_ylabel("questions")
    ax.set_title(
        f"Latency: p50 {report['latency_ms']['p50']:.1f} ms, "
        f"p95 {report['latency_ms']['p95']:.1f} ms"
    )
    fig.tight_layout()
    fig.savefig(latency_png, dpi=110)
    plt.close(fig)
