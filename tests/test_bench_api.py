"""A smoke run of the HTTP API benchmark, so it cannot rot.  No timing is asserted."""

from __future__ import annotations

import json

from bench import api


def test_api_benchmark_smoke(tmp_path, settings):
    api.run(tmp_path, repeats=1, gradio_questions=2, smoke=True, command="smoke", settings=settings)
    data = json.loads((tmp_path / "bench_api.json").read_text())
    assert data["questions"] == 8 and data["in_process"]["p50_ms"] > 0
    for path in ("api_ask", "chat"):
        assert data[path]["p50_ms"] > 0 and data[path]["ratio_p50"] > 0
        assert "overhead_p50_ms" in data[path]
    assert data["gradio"]["questions"] == 2
    text = (tmp_path / "benchmarks_api.md").read_text()
    assert "| `POST /api/ask` |" in text and "| `POST /v1/chat/completions` |" in text
