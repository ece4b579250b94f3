"""The feedback store: safe concurrent appends, bounded size, no secrets; `rag feedback`."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from rag.cli import main
from rag.evaluation import load_gold
from rag.feedback import FeedbackRecord, FeedbackStore, gold_candidates, redact, summarise


def record(verdict: str = "down", question: str = "Who shot it?", **extra) -> FeedbackRecord:
    return FeedbackRecord(
        verdict=verdict,
        question=question,
        answer="Drew Daniels. [1]",
        generator="extractive",
        history=("How long was the shoot?",),
        citations=({"n": 1, "source": "notes.txt", "title": "Notes", "sentence": "Drew."},),
        **extra,
    )


def _append_many(path: str, worker: int, n: int) -> None:
    store = FeedbackStore(Path(path))
    for i in range(n):
        store.add(record("up" if i % 2 else "down", f"q{worker}-{i} " + "x" * 3000))


def test_concurrent_appends_from_processes_never_tear_a_line(tmp_path: Path):
    path = tmp_path / "feedback" / "feedback.jsonl"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_append_many, args=(str(path), w, 60)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 240
    rows = [json.loads(line) for line in lines]  # every line whole
    assert {r["question"].split()[0] for r in rows} == {
        f"q{w}-{i}" for w in range(4) for i in range(60)
    }
    assert all(len(r["question"]) <= 2_000 for r in rows)  # cut to the field limit


def test_the_file_is_rotated_when_full_and_both_parts_are_read(tmp_path: Path):
    store = FeedbackStore(tmp_path / "f.jsonl", max_bytes=4_000)
    for i in range(30):
        store.add(record(question=f"question {i}"))
    assert (tmp_path / "f.jsonl").stat().st_size <= 4_000
    assert (tmp_path / "f.jsonl.1").is_file()
    kept = [r.question for r in store.records()]
    assert kept[-1] == "question 29" and kept == sorted(kept, key=lambda q: int(q.split()[1]))


def test_secrets_are_never_written(tmp_path: Path):
    store = FeedbackStore(tmp_path / "f.jsonl", secrets=["hunter2-the-configured-key"])
    store.add(
        record(
            question="my key is sk-abcdefghijklmnopqrstuv, password: letmein",
            comment="the app key hunter2-the-configured-key leaked",
        )
    )
    text = (tmp_path / "f.jsonl").read_text()
    for secret in ("sk-abcdefghijklmnopqrstuv", "letmein", "hunter2-the-configured-key"):
        assert secret not in text
    assert text.count("[redacted]") == 3
    assert redact("nothing to hide") == "nothing to hide"


def test_a_torn_line_is_skipped_and_a_bad_verdict_refused(tmp_path: Path):
    path = tmp_path / "f.jsonl"
    FeedbackStore(path).add(record())
    with path.open("a") as f:
        f.write('{"verdict": "down", "quest')
    assert len(list(FeedbackStore(path).records())) == 1
    with pytest.raises(ValueError, match="verdict must be one of"):
        record("meh")


def test_summary_and_gold_candidates():
    records = [record("up"), record("down"), record("down", comment="Wrong source")]
    summary = summarise(records)
    assert summary.total == 3 and summary.verdicts == {"up": 1, "down": 2}
    assert summary.by_generator == {"extractive": {"up": 1, "down": 2}}
    assert "1 up, 2 down" in summary.describe()
    (candidate,) = gold_candidates(records)  # one per distinct question and history
    assert candidate["question"] == "Who shot it?" and candidate["answers"] == []
    assert candidate["history"] == ["How long was the shoot?"]
    assert candidate["disliked_answer"] == "Drew Daniels. [1]"


def test_rag_feedback_prints_a_summary_and_exports_candidates(tmp_path: Path, capsys):
    path = tmp_path / "f.jsonl"
    store = FeedbackStore(path)
    for r in (record("up"), record("down", question="Which hotel?")):
        store.add(r)
    out = tmp_path / "candidates.jsonl"
    assert main(["feedback", "--file", str(path), "--export", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "2 verdicts: 1 up, 1 down" in printed and "Which hotel?" in printed
    assert "wrote 1 gold candidates" in printed
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["question"] == "Which hotel?" and row["origin"] == "feedback"
    # a reviewer fills in answers, evidence and answerable; then it loads as a gold file
    row.update(answers=["Palms"], evidence=["x"], answerable=True)
    out.write_text(json.dumps(row) + "\n")
    assert load_gold(out)[0].question == "Which hotel?"
    assert main(["feedback", "--file", str(tmp_path / "none.jsonl")]) == 0
    assert "no feedback yet" in capsys.readouterr().out
