"""A tiny run of bench/qdrant.py's synthetic part, so the script cannot rot (no timing asserted)."""

from __future__ import annotations

from pathlib import Path

from bench.qdrant import synthetic


def test_the_synthetic_benchmark_runs_both_backends(tmp_path: Path):
    (row,) = synthetic([500], n_queries=5, budget_s=60.0, root=tmp_path)
    assert row["n"] == 500
    for key in ("faiss_dense_ms", "bm25s_ms", "qdrant_build_s", "qdrant_dense_ms", "qdrant_rrf_ms"):
        assert row[key] > 0, key
    assert row["dense_overlap@10"] == 1.0  # local mode is exact, as FAISS flat is
    assert not list(tmp_path.iterdir())  # the local collection's folder is removed
