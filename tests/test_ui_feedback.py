"""A thumb and the comment typed after it: the records the page stores, and how the
feedback file's readers count them (each thumb once, with its latest comment)."""

from __future__ import annotations

from pathlib import Path

from rag.feedback import FeedbackRecord, FeedbackStore, current, gold_candidates, summarise
from rag.ui_chat import COMMENT_CHARS, _feedback_record, respond, with_comment

DP = "Who was the director of photography?"


def _turns(pipeline) -> list:
    return list(respond(pipeline, DP, [], "extractive", "hybrid", 5))[-1][1]


def test_a_comment_joins_its_thumb_cleaned_and_cut(pipeline):
    turns = _turns(pipeline)
    thumb = _feedback_record(turns, 1, True)
    assert thumb is not None and thumb.id and thumb.comment == ""
    sent = with_comment(thumb, "Right,\x00 but\tcite\n the interview\x1b[31m")
    assert sent is not None and (sent.verdict, sent.question) == ("up", DP)
    assert sent.id == thumb.id and sent.citations == thumb.citations
    assert sent.comment == "Right, but cite the interview[31m"  # control characters gone
    long = with_comment(thumb, "x" * 5_000)
    assert long is not None and len(long.comment) == COMMENT_CHARS
    # a preset reason stays in front of the typed words
    flagged = with_comment(_feedback_record(turns, 1, "Wrong source"), "that quote is Mikey's")
    assert flagged is not None and flagged.comment == "Wrong source: that quote is Mikey's"
    again = _feedback_record(turns, 1, False)
    assert again is not None and again.id != thumb.id  # each click is its own verdict


def test_nothing_to_store_without_a_thumb_or_words(pipeline):
    thumb = _feedback_record(_turns(pipeline), 1, False)
    assert with_comment(None, "a comment with no thumb") is None
    assert with_comment(thumb, "") is None and with_comment(thumb, " \x07\n ") is None


def test_readers_count_a_commented_thumb_once(tmp_path: Path, pipeline):
    thumb = _feedback_record(_turns(pipeline), 1, False)
    assert thumb is not None
    store = FeedbackStore(tmp_path / "f.jsonl", secrets=["the-configured-key"])
    old = FeedbackRecord("up", "Which hotel?", "The Palms.", "extractive")  # no id: an old file
    sent = with_comment(thumb, "wrong film, key the-configured-key")
    assert sent is not None
    for r in (old, thumb, sent):
        store.add(r)
    records = list(store.records())
    assert len(records) == 3  # the file stays append-only
    kept = current(records)
    assert [r.question for r in kept] == ["Which hotel?", DP]
    assert kept[1].comment == "wrong film, key [redacted]" and kept[1].verdict == "down"
    assert summarise(records).verdicts == {"up": 1, "down": 1}
    (candidate,) = gold_candidates(records)
    assert candidate["comment"] == "wrong film, key [redacted]"
