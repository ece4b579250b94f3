"""Reading metrics out of a ``rag eval`` report, and Markdown tables of them.

A ``Metric`` is a column name and a path into ``report.json`` (``("answer",
"answer_first")``); ``value`` reads it, ``shown`` reads it or says it was not measured
(None, shown as "–"), and ``markdown_table`` lays rows out with three decimals.

What this module does not do: choose which metrics a table shows (``rag.report``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Metric = tuple[str, tuple[str, ...]]  # column name, path in report.json


def value(report: dict[str, Any], path: Sequence[str]) -> Any:
    """The value at ``path`` in a report (None when a group is absent)."""
    out: Any = report
    for key in path:
        if not isinstance(out, dict) or key not in out:
            return None
        out = out[key]
    return out


# a metric whose questions are absent from a report is shown as '–', not 0.000
_COUNTS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("retrieval",): ("retrieval", "n"),
    ("answer", "accuracy"): ("answer", "n"),
    ("answer", "f1"): ("answer", "n"),
    ("citation", "precision"): ("citation", "n_citations"),
    ("abstention", "precision"): ("n_questions",),
    ("abstention", "recall"): ("abstention", "n_unanswerable"),
}


def shown(report: dict[str, Any], path: Sequence[str]) -> Any:
    """``value``, or None when no question of the report measures it."""
    for prefix, count in _COUNTS.items():
        if tuple(path[: len(prefix)]) == prefix and not value(report, count):
            return None
    if tuple(path) == ("abstention", "false_abstain_rate") and not (
        (value(report, ("n_questions",)) or 0)
        - (value(report, ("abstention", "n_unanswerable")) or 0)
    ):
        return None
    return value(report, path)


def _cell(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "✓" if v else "✗"
    if isinstance(v, float):
        return f"{v:.3f}" if v <= 1.0 else f"{v:.1f}"
    return str(v)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
