"""Where a claim comes from: every cited passage names its article file and title.

The corpus is trusted input (docs/reliability.md, "The corpus is trusted input"): a
claim planted in an article is served like any other, so a reader must be able to see
which file each cited passage comes from, and the citation must point at the very
characters of that file.  Checked through ``rag ask`` (text and ``--json``) in process.
"""

from __future__ import annotations

import json
import re

import pytest

from rag.cli import main
from rag.index import load_index

QUESTIONS = (
    "Who was the director of photography?",
    "Which hotel were the Las Vegas scenes shot in?",
    "Who plays Ani?",
)


@pytest.fixture
def ask(settings, monkeypatch, capsys):
    monkeypatch.setenv("RAG_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("RAG_INDEX_DIR", str(settings.index_dir))

    def _ask(*args: str) -> str:
        assert main(["ask", *args]) == 0
        return capsys.readouterr().out

    return _ask


@pytest.mark.parametrize("question", QUESTIONS)
def test_every_citation_names_its_file_and_title_and_points_into_it(ask, settings, question):
    documents = load_index(settings.index_dir).documents
    data = json.loads(ask(question, "--json"))
    assert data["citations"], data
    text = ask(question)
    for c in data["citations"]:
        article = (settings.corpus_dir / c["source"]).read_text(encoding="utf-8")
        assert c["title"] == documents[c["source"]].title
        start, end = c["span"]
        assert " ".join(article[start:end].split()) == " ".join(c["sentence"].split())
        # the readable output shows the same number, title, file and span
        line = f"[{c['n']}] {c['title']} ({c['source']}, chars {start}-{end})"
        assert line in text, text
    assert {int(n) for n in re.findall(r"\[(\d+)\]", data["answer"])} <= {
        c["n"] for c in data["citations"]
    }
