"""Index and corpus faults under a serving pipeline: the index folder deleted or damaged,
the corpus edited while the app runs.  A ``kill -9`` during ``rag index`` is tested in
tests/test_index.py.
"""

from __future__ import annotations

import logging
import shutil

import pytest

from rag.index import check_index
from rag.pipeline import load_pipeline
from tests.reliability.helpers import (
    DP_QUESTION,
    check_answer_shape,
    run_cli,
    warning_messages,
)


def test_deleted_index_serves_from_memory_and_the_next_start_rebuilds(index_copy, caplog):
    serving = load_pipeline(index_copy)
    shutil.rmtree(index_copy.index_dir)
    # everything the pipeline needs is in memory, even retrievers not built before
    for retriever in ("hybrid", "dense", "bm25"):
        assert "Drew Daniels" in serving.ask(DP_QUESTION, retriever=retriever).text
    done = run_cli(index_copy, "index", "--check")
    assert done.returncode == 1 and ": missing (" in done.stdout, done.stdout + done.stderr

    caplog.clear()
    with caplog.at_level(logging.WARNING):
        fresh = load_pipeline(index_copy)
    assert len(warning_messages(caplog)) == 1, warning_messages(caplog)
    assert (
        "index missing" in warning_messages(caplog)[0]
        and "rebuilding" in warning_messages(caplog)[0]
    )
    assert check_index(index_copy).ok
    assert "Drew Daniels" in fresh.ask(DP_QUESTION).text


@pytest.mark.parametrize(
    "damage",
    [
        "manifest",
        "files_missing",
        "vectors",
    ],
)
def test_damaged_index_serves_from_memory_and_check_reports_it(index_copy, damage):
    serving = load_pipeline(index_copy)
    folder = index_copy.index_dir
    if damage == "manifest":
        (folder / "manifest.json").write_text('{"format_version": 1, "model": ')
    elif damage == "files_missing":
        (folder / "chunks.faiss").unlink()
        (folder / "sentences.jsonl").unlink()
    else:
        for name in ("chunk_vectors.npy", "chunks.faiss"):
            data = (folder / name).read_bytes()
            (folder / name).write_bytes(data[: len(data) // 3])
    assert "Drew Daniels" in serving.ask(DP_QUESTION).text
    assert "Palms" in serving.ask("Which hotel did they film the Las Vegas scenes in?").text
    done = run_cli(index_copy, "index", "--check")
    assert done.returncode == 1 and ": corrupt (" in done.stdout, done.stdout + done.stderr


MASCOT = "The crew's mascot was a parrot named Zorblax."


def test_corpus_change_while_serving_is_picked_up_at_the_next_start(index_copy, caplog):
    serving = load_pipeline(index_copy)
    article = index_copy.corpus_dir / "anora-production-notes.txt"
    article.write_text(
        article.read_text(encoding="utf-8").rstrip("\n") + f"\n\n{MASCOT}\n", encoding="utf-8"
    )
    question = "What was the name of the crew's mascot?"
    # the running app keeps answering from the index it loaded, consistently
    assert "Zorblax" not in serving.ask(question).text
    assert "Drew Daniels" in serving.ask(DP_QUESTION).text
    status = check_index(index_copy)
    assert status.state == "stale" and article.name in status.reason

    caplog.clear()
    with caplog.at_level(logging.WARNING):
        fresh = load_pipeline(index_copy)  # what the next `python app.py` does
    assert len(warning_messages(caplog)) == 1, warning_messages(caplog)
    assert (
        "index stale" in warning_messages(caplog)[0] and article.name in warning_messages(caplog)[0]
    )
    answer = fresh.ask(question)
    assert not answer.abstained and "Zorblax" in answer.text, answer.text
    assert any(c.source == article.name and "Zorblax" in c.sentence for c in answer.citations)
    check_answer_shape(answer)
