"""A smoke run of the end-to-end benchmark, so it cannot rot.  No timing is asserted."""

from __future__ import annotations

import json

from bench import e2e


def test_e2e_benchmark_smoke(tmp_path):
    assert e2e.main(["--smoke", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "bench_e2e.json").read_text())
    ask = data["ask"]["extractive"]
    assert ask["questions"] == 8 and ask["ask_p50_ms"] > 0 and ask["embed_p50_ms"] > 0
    # the ratio is of the unrounded medians; the milliseconds shown are rounded
    assert abs(ask["ratio_p50"] - ask["ask_p50_ms"] / ask["embed_p50_ms"]) < 0.011
    assert data["cold_start"]["process_to_answer_s"] > 0
    assert data["index_build"]["texts_per_s"] > 0
    follow = data["ask"]["extractive, follow-ups"]  # asked with their history
    assert follow["questions"] == 8 and follow["ask_p50_ms"] > 0
    table = (tmp_path / "benchmarks_e2e.md").read_text()
    assert "| extractive |" in table and "| extractive, follow-ups |" in table
