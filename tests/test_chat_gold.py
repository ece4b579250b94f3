"""The chat-style gold file (eval/chat.jsonl) stays true to the corpus and to its own rules.

Checks the data only: excerpts are verbatim, answers and key points are backed by
them, and each conversation's history is exactly its earlier turns.  It reads the
JSON itself, because ``load_gold`` does not (yet) know the chat kinds or ``points``.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict

import pytest

from rag.chunking import normalise_space
from rag.evaluation import normalize_answer
from rag.text import fold
from tests.conftest import CORPUS, PROJECT_ROOT

CHAT = PROJECT_ROOT / "eval" / "chat.jsonl"
ANSWERABLE = {"chat-fact", "chat-open", "chat-list", "chat-yesno", "chat-compare", "chat-followup"}
UNANSWERABLE = {"chat-unanswerable", "offtopic"}
ROWS = [json.loads(line) for line in CHAT.read_text(encoding="utf-8").splitlines() if line.strip()]
TEXTS = [normalise_space(p.read_text(encoding="utf-8")) for p in sorted(CORPUS.glob("*.txt"))]


def _backs(alternative: str, excerpt: str) -> bool:
    """Is the answer string inside the excerpt (quotes, case and accents folded, or normalised)?"""
    folded = fold(normalise_space(alternative)) in fold(normalise_space(excerpt))
    return folded or normalize_answer(alternative) in normalize_answer(excerpt)


def test_ids_are_unique_and_kinds_known():
    ids = Counter(r["id"] for r in ROWS)
    assert [i for i, n in ids.items() if n > 1] == []
    assert {r["kind"] for r in ROWS} <= ANSWERABLE | UNANSWERABLE
    for r in ROWS:
        assert re.fullmatch(r"c\d{3}(-\d+)?", r["id"]), r["id"]
        assert r["answerable"] == (r["kind"] in ANSWERABLE), r["id"]
        assert r["answerable"] == bool(r["answers"]) == bool(r["evidence"]), r["id"]


@pytest.mark.parametrize("row", [r for r in ROWS if r["answerable"]], ids=lambda r: r["id"])
def test_evidence_is_verbatim_and_backs_every_answer_and_point(row):
    points = row.get("points", [])
    for excerpt in row["evidence"]:
        assert any(normalise_space(excerpt) in t for t in TEXTS), excerpt
        assert 5 <= len(excerpt.split()) <= 25, excerpt
        alternatives = row["answers"] + [a for point in points for a in point]
        assert any(_backs(a, excerpt) for a in alternatives), f"holds no answer: {excerpt!r}"
    for answer in row["answers"]:
        assert any(_backs(answer, e) for e in row["evidence"]), answer
    assert not points or 2 <= len(points) <= 5
    corpus = fold(" ".join(TEXTS))
    for point in points:
        assert all(fold(a) in corpus for a in point), point
        assert any(_backs(a, e) for a in point for e in row["evidence"]), point


def test_history_is_the_earlier_turns_of_the_conversation():
    conversations: dict[str, list[dict]] = defaultdict(list)
    for r in ROWS:
        if "-" in r["id"]:
            conversations[r["id"].split("-")[0]].append(r)
        else:
            assert r["history"] == [], r["id"]
        assert r["kind"] != "chat-followup" or r["history"], r["id"]
    assert len(conversations) >= 15
    for turns in conversations.values():
        turns.sort(key=lambda r: int(r["id"].split("-")[1]))
        assert 3 <= len(turns) <= 4
        for n, r in enumerate(turns):
            assert r["id"].endswith(f"-{n + 1}")
            assert r["history"] == [t["question"] for t in turns[:n]], r["id"]


def test_enough_standalone_rows_of_each_kind():
    kinds = Counter(r["kind"] for r in ROWS if "-" not in r["id"])
    assert sum(kinds.values()) >= 80
    assert kinds["chat-unanswerable"] >= 10 and kinds["offtopic"] >= 10
    assert min(kinds[k] for k in ANSWERABLE - {"chat-followup"}) >= 4
