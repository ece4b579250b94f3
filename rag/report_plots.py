"""The plots of a ``rag eval`` report: answer metrics by kind, answer length, latency.

``plots`` writes three PNGs (matplotlib, headless) beside ``report.md``; ``BARS`` are
the bars of the first, each a metric and its path in a kind's summary.

What this module does not do: compute metrics (``rag.evaluation``) or write the tables
(``rag.report``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.report_tables import Metric, value

# the bars of the answer-metrics plot: label, path within a kind's summary
BARS: tuple[Metric, ...] = (
    ("accuracy", ("answer", "accuracy")),
    ("answer first", ("answer", "answer_first")),
    ("coverage", ("answer", "coverage")),
    ("abstain recall", ("abstention", "recall")),
    ("repeats", ("conversation", "repeats", "share")),
    ("contamination", ("conversation", "contamination", "share")),
)


def plots(report: dict[str, Any], metrics_png: Path, words_png: Path, latency_png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kinds = list(report["by_kind"])
    parts = [report["by_kind"][k] for k in kinds]

    def measured(part: dict[str, Any], label: str, path: Sequence[str]) -> float | None:
        if label == "accuracy" and not value(part, ("answer", "n")):
            return None
        if label == "abstain recall" and not value(part, ("abstention", "n_unanswerable")):
            return None
        v = value(part, path)
        return float(v) if isinstance(v, int | float) else None

    width = 0.8 / len(BARS)
    colours = ("#8b1e2d", "#d08c2b", "#2d8b57", "#2d4f8b", "#9c9c9c", "#7a4f9c")
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(kinds) + 2), 3.6))
    for i, ((label, path), colour) in enumerate(zip(BARS, colours, strict=True)):
        xs, ys = [], []
        for x, part in enumerate(parts):
            v = measured(part, label, path)
            if v is not None:
                xs.append(x + (i - (len(BARS) - 1) / 2) * width)
                ys.append(v)
        if xs:  # a metric no kind measures gets no legend entry
            ax.bar(xs, ys, width, label=label, color=colour)
    ax.set_xticks(range(len(kinds)), kinds, rotation=30, ha="right", fontsize=8)
    ax.set_ylim(0, 1.18)
    ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_title(
        "By question kind (no bar: not measured; repeats, contamination: lower is better)",
        fontsize=9,
    )
    ax.legend(fontsize=7, ncols=6, loc="upper center", frameon=False)
    fig.tight_layout()
    fig.savefig(metrics_png, dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(kinds) + 2), 3.2))
    medians = [value(p, ("answer", "median_words")) or 0 for p in parts]
    maxima = [value(p, ("answer", "max_words")) or 0 for p in parts]
    xs = list(range(len(kinds)))
    ax.bar([x - 0.2 for x in xs], medians, 0.4, label="median", color="#2d4f8b")
    ax.bar([x + 0.2 for x in xs], maxima, 0.4, label="max", color="#d08c2b")
    ax.set_xticks(xs, kinds, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("words (markers removed)")
    ax.set_title("Answer length by question kind")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(words_png, dpi=110)
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
