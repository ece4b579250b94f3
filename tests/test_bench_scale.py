"""The scale benchmark's smoke mode runs end to end and writes well-formed results.

Runs ``bench.scale`` in-process with ``--smoke`` (a few seconds) so the benchmark cannot rot.
Nothing here is about speed: no timing is asserted.
"""

from __future__ import annotations

import importlib
import json
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `bench` is not an installed package
    sys.path.insert(0, str(ROOT))
scale = importlib.import_module("bench.scale")

DENSE_METHODS = {"numpy", "faiss_flat", "hnsw", "ivf"}


@pytest.fixture(scope="module")
def smoke_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench_scale")
    assert scale.main(["--smoke", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def results(smoke_out: Path) -> dict:
    return json.loads((smoke_out / scale.JSON_NAME).read_text(encoding="utf-8"))


def test_outputs_exist(smoke_out: Path) -> None:
    assert (smoke_out / scale.PNG_NAME).stat().st_size > 0
    assert (smoke_out / scale.PNG_NAME).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    markdown = (smoke_out / scale.MD_NAME).read_text(encoding="utf-8")
    assert "### Conclusions" in markdown
    assert "| N | method |" in markdown
    assert not (smoke_out / scale.PARTIAL_NAME).exists()


def test_every_size_and_method(results: dict) -> None:
    config = results["config"]
    clustered = {r["n"]: r for r in results["dense"] if r["dataset"] == "clustered"}
    random = {r["n"]: r for r in results["dense"] if r["dataset"] == "random"}
    assert set(clustered) == set(config["sizes"])
    assert set(random) == set(config["random_sizes"])
    for row in results["dense"]:
        assert set(row["methods"]) == DENSE_METHODS
        for name, method in row["methods"].items():
            assert method["memory_bytes"] > 0
            assert method["build_s"] >= 0
            timed = method["selected"] if name in ("hnsw", "ivf") else method
            assert 0 < timed["p50_ms"] <= timed["p95_ms"]
            assert math.isfinite(timed["p50_ratio_vs_numpy"])
    assert [r["n"] for r in results["flat_only"]] == config["flat_sizes"]
    for row in results["flat_only"]:
        assert 0 < row["faiss_flat"]["p50_ms"] <= row["faiss_flat"]["p95_ms"]
    bm25 = {r["n_docs"]: r for r in results["bm25"]}
    assert set(bm25) == set(config["bm25_sizes"])
    for row in bm25.values():
        assert row["bm25s"]["p50_ms"] > 0
        assert row["bm25s"]["memory_bytes"] > 0
        assert "p50_ms" in row["rank_bm25"] or "skipped" in row["rank_bm25"]


def test_recalls_are_fractions(results: dict) -> None:
    recalls = []
    for row in results["dense"]:
        for method in row["methods"].values():
            recalls.append(method.get("recall_at_10", 1.0))
            recalls.extend(r["recall_at_10"] for r in method.get("sweep", []))
    assert recalls
    assert all(0.0 <= r <= 1.0 for r in recalls)
    exact = [r["methods"]["faiss_flat"]["recall_at_10"] for r in results["dense"]]
    assert all(r == 1.0 for r in exact)


def test_approximate_index_recall_at_smoke_size(results: dict) -> None:
    largest = max(
        (r for r in results["dense"] if r["dataset"] == "clustered"), key=lambda r: r["n"]
    )
    best = max(r["recall_at_10"] for r in largest["methods"]["hnsw"]["sweep"])
    assert best >= 0.9
    selection = results["selection"]
    assert selection["family"] in ("hnsw", "ivf")
    assert largest["methods"][selection["family"]]["selected"]["recall_at_10"] >= 0.9


def test_generators_are_deterministic() -> None:
    spec = scale.ClusteredSpec(n_centres=20, n_topics=4)
    a = scale.ClusteredGenerator(spec).sample(50, seed=1)
    b = scale.ClusteredGenerator(spec).sample(50, seed=1)
    assert (a == b).all()
    assert abs(float((a * a).sum(axis=1).mean()) - 1.0) < 1e-5
    zipf = scale.ZipfSpec(vocab_size=500)
    assert scale.ZipfCorpus(zipf).documents(5) == scale.ZipfCorpus(zipf).documents(5)


def test_interpolated_crossing() -> None:
    points = [(1_000, 0.2), (10_000, 1.0), (100_000, 10.0)]
    crossing = scale.interpolate_crossing(points, 2.0)
    assert crossing is not None
    assert 10_000 < crossing < 100_000
    assert scale.interpolate_crossing(points, 50.0) is None
