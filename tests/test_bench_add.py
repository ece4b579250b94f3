"""A smoke run of the add benchmark, so it cannot rot.  No timing is asserted."""

from __future__ import annotations

import json

from bench import add


def test_add_benchmark_smoke(tmp_path):
    assert add.main(["--smoke", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "bench_add.json").read_text())
    assert data["pages"] == 2 and data["passages"] > 0 and data["reused_passages"] > 0
    assert data["add_s"] > 0 and data["embed_only_s"] > 0
    assert abs(data["ratio"] - data["add_s"] / data["embed_only_s"]) < 0.01
    page = (tmp_path / "benchmarks_add.md").read_text()
    assert page.startswith(add.SECTION) and "ratio add / embed only" in page
