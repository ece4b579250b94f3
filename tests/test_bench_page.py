"""A smoke run of the chat-page benchmark (1 question, once), so it cannot rot.  No timing
is asserted: only that the script ran in a real Chromium and wrote sane, positive figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import page
from bench.e2e import GOLD
from rag.evaluation import load_gold

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(page.CHROMIUM).exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium (run `make browser`)",
    ),
]


def test_page_benchmark_smoke(tmp_path: Path, pipeline):
    question = next(g.question for g in load_gold(GOLD) if not g.history)
    page.write(page.run([question], repeats=1, pipeline=pipeline), tmp_path)
    data = json.loads((tmp_path / "bench_page.json").read_text())
    assert (data["questions"], data["repeats"]) == (1, 1)
    for key in ("enter_to_first_words_p50_ms", "enter_to_status_p50_ms", "ask_p50_ms"):
        assert data[key] > 0, key
    # the status line is the page's first reaction: it comes before the answer's words
    assert data["enter_to_status_p50_ms"] <= data["enter_to_first_words_p50_ms"]
    assert "| 1 × 1 |" in (tmp_path / "benchmarks_page.md").read_text()
