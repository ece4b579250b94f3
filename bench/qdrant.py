"""The Qdrant backend beside FAISS: quality on the gold set, latency and build time at scale.

Two parts, each comparing both backends in the same process:

* **Real corpus** (the project's articles, the real embedder): a FAISS index and a
  qdrant index (local mode, on disk) built from the same corpus; hit@5 and MRR@10 over
  the gold questions with evidence (top 10 of ``Pipeline.retrieve``) for ``hybrid``,
  ``dense`` and ``bm25``, and for Qdrant's fusion alone (``qdrant_only``: three lists,
  no client-side step); the median time of ``retriever.retrieve`` per question (the
  question embedded beforehand, so only search and fusion are timed).
* **Synthetic, N = 10^4 and 10^5 passages** (``bench.scale``'s clustered 384-d vectors
  and Zipf term lists): build time and single-query latency of dense search (FAISS flat
  against a local-mode ``dense`` vector), BM25 (``bm25s`` against a ``bm25`` sparse vector
  with the IDF modifier) and their RRF (client-side over FAISS and bm25s against one
  Qdrant query with two prefetches).  A size runs in local mode only while its build,
  predicted linearly from the previous size, stays under ``--budget`` seconds.

What it does not measure: a Qdrant server (none can run here; docs/scale.md says how to
point the same code at one), late interaction at scale (word-piece multivectors of 10^5
passages do not fit this machine's budget in local mode), quantization, concurrency.

Run from the project root::

    python -m bench.qdrant [--sizes 10000,100000] [--queries 30] [--budget 300] [--out docs]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.metrics import contains_evidence, hit_at, mrr_at

TOP_K = 10


def retrieval_figures(pipeline: Any, gold: Sequence[Any], retriever: str) -> dict[str, Any]:
    """hit@5 and MRR@10 of ``retriever`` over the gold questions with evidence."""
    relevance = []
    for item in gold:
        if not item.answerable or not item.evidence:
            continue
        ranked = pipeline.retrieve(item.question, list(item.history), retriever=retriever, k=10)
        relevance.append([contains_evidence(h.chunk.text, item.evidence) for h in ranked])
    return {
        "n": len(relevance),
        "hit@5": round(statistics.fmean(hit_at(r, 5) for r in relevance), 4),
        "mrr@10": round(statistics.fmean(mrr_at(r) for r in relevance), 4),
    }


def median_ms(run: Callable[[Any], Any], inputs: Sequence[Any], warmup: int = 3) -> float:
    for item in inputs[:warmup]:
        run(item)
    times = []
    for item in inputs:
        start = time.perf_counter()
        run(item)
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 3)


def real_corpus(root: Path) -> dict[str, Any]:
    from rag.embedding import get_embedder
    from rag.gold import load_gold
    from rag.index import build_index, ensure_index
    from rag.pipeline import Pipeline
    from rag.qdrant_retrieval import QdrantHybridRetriever
    from rag.schema import Query
    from rag.settings import PROJECT_ROOT, Settings

    shutil.copytree(PROJECT_ROOT / "corpus", root / "corpus")
    embedder = get_embedder()
    out: dict[str, Any] = {"build_s": {}, "quality": {}, "retrieve_ms": {}}
    pipes = {}
    for backend in ("faiss", "qdrant"):
        settings = Settings.load(
            env={}, corpus_dir=root / "corpus", index_dir=root / backend, index_backend=backend
        )
        started = time.perf_counter()
        build_index(settings, embedder)
        out["build_s"][backend] = round(time.perf_counter() - started, 2)
        pipes[backend] = Pipeline(settings, ensure_index(settings, embedder), embedder)
    gold = load_gold(PROJECT_ROOT / "eval" / "gold.jsonl")
    for backend, pipe in pipes.items():
        for name in ("hybrid", "dense", "bm25"):
            out["quality"][f"{backend} {name}"] = retrieval_figures(pipe, gold, name)
    qdrant_pipe = pipes["qdrant"]
    only = QdrantHybridRetriever(qdrant_pipe.index, qdrant_only=True)
    qdrant_pipe._retrievers["hybrid"] = only  # the pure-Qdrant fusion, for its figures
    out["quality"]["qdrant hybrid, Qdrant's RRF only"] = retrieval_figures(
        qdrant_pipe, gold, "hybrid"
    )
    queries = []
    for item in gold:
        vector, tokens = embedder.embed_query_with_tokens(item.question)
        queries.append(Query(item.question, vector, tokens))
    full = QdrantHybridRetriever(qdrant_pipe.index)
    faiss_hybrid = pipes["faiss"].retriever("hybrid")
    for label, retriever in (("faiss", faiss_hybrid), ("qdrant", full), ("qdrant_only", only)):
        out["retrieve_ms"][label] = median_ms(lambda q, r=retriever: r.retrieve(q, 5), queries)
    return out


def synthetic(sizes: Sequence[int], n_queries: int, budget_s: float, root: Path) -> list[dict]:
    import bm25s
    import faiss
    from qdrant_client import QdrantClient
    from qdrant_client import models as m

    from bench.scale import ClusteredGenerator, ClusteredSpec, ZipfCorpus, ZipfSpec
    from rag.qdrant_bm25 import Bm25Encoder

    generator, zipf = ClusteredGenerator(ClusteredSpec()), ZipfCorpus(ZipfSpec())
    query_vectors = generator.sample(n_queries, seed=7)
    query_terms = zipf.queries(n_queries)
    faiss.omp_set_num_threads(1)
    rows: list[dict] = []
    seconds_per_point: float | None = None
    for n in sizes:
        vectors, documents = generator.sample(n, seed=11), zipf.documents(n)
        row: dict[str, Any] = {"n": n}
        started = time.perf_counter()
        flat = faiss.IndexFlatIP(vectors.shape[1])
        flat.add(vectors)
        row["faiss_build_s"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        bm25 = bm25s.BM25()
        bm25.index(documents, show_progress=False)
        row["bm25s_build_s"] = round(time.perf_counter() - started, 3)

        def faiss_dense(i: int, depth: int = TOP_K, flat: Any = flat) -> list[int]:
            return flat.search(query_vectors[i : i + 1], depth)[1][0].tolist()

        def bm25_top(i: int, depth: int = TOP_K, bm25: Any = bm25) -> list[int]:
            scores = bm25.get_scores(query_terms[i])
            top = np.argpartition(-scores, depth)[:depth]
            return top[np.argsort(-scores[top])].tolist()

        def faiss_rrf(i: int, dense: Any = faiss_dense, lexical: Any = bm25_top) -> list[int]:
            fused: dict[int, float] = {}
            for ranking in (dense(i, 30), lexical(i, 30)):
                for rank, doc in enumerate(ranking, 1):
                    fused[doc] = fused.get(doc, 0.0) + 1 / (60 + rank)
            return sorted(fused, key=fused.__getitem__, reverse=True)[:TOP_K]

        timed = list(range(n_queries))
        row["faiss_dense_ms"] = median_ms(faiss_dense, timed)
        row["bm25s_ms"] = median_ms(bm25_top, timed)
        row["faiss_bm25s_rrf_ms"] = median_ms(faiss_rrf, timed)
        predicted = seconds_per_point * n if seconds_per_point else 0.0
        if predicted > budget_s:
            row["qdrant_skipped"] = (
                f"local-mode build predicted {predicted:.0f} s > {budget_s:.0f} s"
            )
            rows.append(row)
            print(json.dumps(row), flush=True)
            continue
        folder = root / f"qdrant-{n}"
        client = QdrantClient(path=str(folder))
        client.create_collection(
            "bench",
            vectors_config={"dense": m.VectorParams(size=384, distance=m.Distance.COSINE)},
            sparse_vectors_config={"bm25": m.SparseVectorParams(modifier=m.Modifier.IDF)},
        )
        encoder = Bm25Encoder(avgdl=float(np.mean([len(d) for d in documents])))
        started = time.perf_counter()
        for start in range(0, n, 256):
            points = []
            for i in range(start, min(n, start + 256)):
                indices, values = encoder.document_terms(documents[i])
                points.append(
                    m.PointStruct(
                        id=i,
                        vector={
                            "dense": vectors[i].tolist(),
                            "bm25": m.SparseVector(indices=indices, values=values),
                        },
                    )
                )
            client.upsert("bench", points, wait=True)
        row["qdrant_build_s"] = round(time.perf_counter() - started, 3)
        seconds_per_point = row["qdrant_build_s"] / n
        sparse = [
            m.SparseVector(**dict(zip(("indices", "values"), Bm25Encoder.query(q), strict=True)))
            for q in query_terms
        ]

        def qdrant_dense(i: int, client: Any = client) -> Any:
            return client.query_points(
                "bench", query=query_vectors[i].tolist(), using="dense", limit=TOP_K
            )

        def qdrant_bm25(i: int, client: Any = client, sparse: Any = sparse) -> Any:
            return client.query_points("bench", query=sparse[i], using="bm25", limit=TOP_K)

        def qdrant_rrf(i: int, client: Any = client, sparse: Any = sparse) -> Any:
            return client.query_points(
                "bench",
                prefetch=[
                    m.Prefetch(query=query_vectors[i].tolist(), using="dense", limit=30),
                    m.Prefetch(query=sparse[i], using="bm25", limit=30),
                ],
                query=m.RrfQuery(rrf=m.Rrf(k=61)),
                limit=TOP_K,
            )

        row["qdrant_dense_ms"] = median_ms(qdrant_dense, timed)
        row["qdrant_bm25_ms"] = median_ms(qdrant_bm25, timed)
        row["qdrant_rrf_ms"] = median_ms(qdrant_rrf, timed)
        same = [
            len(set(faiss_dense(i)) & {p.id for p in qdrant_dense(i).points}) / TOP_K for i in timed
        ]
        row["dense_overlap@10"] = round(statistics.fmean(same), 3)
        client.close()
        shutil.rmtree(folder, ignore_errors=True)
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--budget", type=float, default=300.0)
    parser.add_argument("--skip-real", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="bench-qdrant-"))
    try:
        result: dict[str, Any] = {}
        if not args.skip_real:
            result["real"] = real_corpus(root)
            print(json.dumps(result["real"], indent=1), flush=True)
        sizes = [int(s) for s in args.sizes.split(",") if s]
        result["synthetic"] = synthetic(sizes, args.queries, args.budget, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    result["seconds"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_qdrant.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out / 'bench_qdrant.json'} in {result['seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
