"""The `rag` command as a user runs it: real subprocesses, real index, clean errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


@pytest.fixture
def run(settings):
    env = {
        **os.environ,
        "RAG_CORPUS_DIR": str(settings.corpus_dir),
        "RAG_INDEX_DIR": str(settings.index_dir),
        "HF_HUB_OFFLINE": "1",
    }

    def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "rag", *args],
            capture_output=True,
            text=True,
            env=env,
            input=stdin,
            timeout=300,
        )

    return _run


def test_ask_json_has_the_documented_fields(run):
    done = run("ask", "Who was the director of photography?", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {"question", "answer", "abstained", "citations", "generator", "timings_ms"} <= set(data)
    assert "Drew Daniels" in data["answer"] and data["citations"][0]["n"] == 1
    assert set(data["citations"][0]) >= {
        "n",
        "source",
        "title",
        "chunk_id",
        "text",
        "span",
        "score",
    }


def test_ask_readable_with_history_and_options(run):
    done = run(
        "ask",
        "And how many in Vegas?",
        "--history",
        "How many days did Anora shoot in New York City?",
        "--retriever",
        "bm25",
        "--k",
        "3",
    )
    assert done.returncode == 0, done.stderr
    assert "3 days in Las Vegas" in done.stdout and "Sources:" in done.stdout


def test_empty_question_is_one_clean_line(run):
    done = run("ask", "   ")
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "empty" in done.stderr


def test_index_check_reports_state(run):
    done = run("index", "--check")
    assert done.returncode == 0 and ": ok (" in done.stdout


def test_missing_corpus_is_one_clean_line(run, tmp_path):
    done = run("index", "--corpus", str(tmp_path / "none"), "--index", str(tmp_path / "i"))
    assert done.returncode == 2
    assert done.stderr.startswith("rag: corpus folder not found") and "Traceback" not in done.stderr


def test_bad_setting_is_one_clean_line(run):
    done = subprocess.run(
        [sys.executable, "-m", "rag", "ask", "x"],
        capture_output=True,
        text=True,
        env={**os.environ, "RAG_TOP_K": "lots"},
        timeout=120,
    )
    assert done.returncode == 2 and "RAG_TOP_K='lots' is not a valid int" in done.stderr


def test_chat_keeps_history(run):
    done = run(
        "chat", stdin="How many days did Anora shoot in New York City?\nAnd how many in Vegas?\n\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("you>") == 3 and "3 days in Las Vegas" in done.stdout


def test_index_verbose_lists_dropped_lines(tmp_path):
    import shutil

    from tests.conftest import CORPUS

    shutil.copytree(CORPUS, tmp_path / "c")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "rag",
            "index",
            "--verbose",
            "--corpus",
            str(tmp_path / "c"),
            "--index",
            str(tmp_path / "i"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "dropped peeling-back-the-layers-of-anora.txt:57 (advertising or spam)" in done.stdout
    assert "(photo credit): '© Universal Pictures'" in done.stdout
    assert "indexed 3 articles" in done.stdout and "tokens per passage min" in done.stdout
