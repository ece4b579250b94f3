"""Scale benchmark for the dense vector index and for BM25.

What it measures, for corpus sizes N (default 10^3, 10^4, 10^5, 10^6), on this machine:

* Dense search over 384-d L2-normalised float32 vectors (the all-MiniLM-L6-v2 shape) with
  inner-product similarity, top 10, one query at a time:
  - ``numpy``: the baseline, plain NumPy brute force (``X @ q`` + ``argpartition``);
  - ``faiss_flat``: FAISS ``IndexFlatIP`` (exact);
  - ``hnsw``: FAISS ``IndexHNSWFlat`` (``METRIC_INNER_PRODUCT``), swept over ``efSearch``;
  - ``ivf``: FAISS ``IndexIVFFlat`` (inner product), swept over ``nprobe``, for comparison.
  For each: single-query latency p50/p95 in ms (after a warm-up; the median over repeats of
  each repeat's percentile), the same as a ratio to the NumPy baseline measured in the same
  run, build time, index memory (bytes; ``faiss.serialize_index`` length for FAISS indexes,
  the array size for NumPy) and recall@10 against exact search.
* BM25 over synthetic Zipf-distributed documents: ``bm25s`` (its default method, "lucene")
  against the baseline ``rank_bm25.BM25Okapi``: index build time, query latency p50/p95
  (``get_scores`` + ``argpartition`` for the top 10, which is how ``rag/retrieval.py`` queries
  ``bm25s``) and memory. rank_bm25 is pure Python, O(N) per query: it runs at a size only
  while its per-query time predicted linearly from the previous size is under 2 s, and with
  fewer timed queries (at least 20, about a minute in all) where it is slow.

Also: an HNSW build-parameter grid (M, efConstruction) at 10^5, exact search alone at a few
intermediate sizes (20k-70k) to place the switch, and 1 against 2 FAISS search threads.

From these it picks the approximate index and its parameters (per family the smallest
``efSearch``/``nprobe`` reaching recall@10 >= 0.95 at the largest clustered size; HNSW unless
IVF is more than 1.25x faster there) and the corpus size at which the project should switch
from the flat index to the approximate one (where flat p50 crosses 2 ms, interpolated log-log
between measured sizes). It writes ``bench_scale.json``,
``bench_scale.png`` (log-log query time against N) and ``benchmarks_scale.md`` (Markdown
tables, also printed to stdout) into ``--out``.

Data (all deterministic, seeded; see ``ClusteredSpec`` and ``ZipfSpec`` for parameters):

* ``clustered``: a mixture that mimics sentence embeddings: topic directions, a few thousand
  cluster centres scattered around them, Gaussian noise per point, a shared mean direction
  (real embeddings are anisotropic), unequal cluster sizes; normalised. Queries are drawn
  from the same distribution and are not in the index. The corpus of size N is the first N
  vectors of one stream, so the corpora are nested.
* ``random``: uniform random unit vectors, the worst case for approximate search (no
  neighbourhood structure, all similarities nearly equal); run at 10^4 and 10^5 only.
* BM25 documents: ~150 words drawn from a 50k-term Zipf vocabulary; queries of 5-8 terms
  drawn from the same law without its 100 most frequent terms (those act as function words).

What it does not measure: real embeddings (the real corpus has only ~100-200 chunks),
embedding time, batched queries, concurrent queries, disk load time, index persistence,
filtering, updates/deletes, answer quality, or text tokenisation (BM25 is indexed from
pre-tokenised, pre-stemmed term lists, as ``rag/retrieval.py`` does after ``rag.text.terms``).
Latencies are wall-clock on a shared 2-core VM: they vary by some percent between runs, and
by more when other processes use the CPU (the 1-minute load average is sampled and reported).

Run from the project root::

    python -m bench.scale [--sizes 1000,10000,100000,1000000] [--queries N] [--repeats R]
                          [--out docs] [--smoke]
    python -m bench.scale --render-from docs/bench_scale.json --out docs   # re-render only
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import itertools
import json
import math
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

DIM = 384
TOP_K = 10

JSON_NAME = "bench_scale.json"
PNG_NAME = "bench_scale.png"
MD_NAME = "benchmarks_scale.md"
PARTIAL_NAME = "bench_scale.partial.json"  # raw results so far, while a run is going


# --------------------------------------------------------------------------------------------
# configuration


@dataclass(frozen=True)
class ClusteredSpec:
    """Parameters of the clustered synthetic embedding distribution.

    A point is ``normalise(mean_weight * m + c + noise * g / sqrt(dim))`` where ``m`` is a
    shared unit mean direction, ``c`` a unit cluster centre and ``g`` standard Gaussian.
    Centres are ``normalise(t + centre_spread * u)`` for a random topic direction ``t`` (one of
    ``n_topics``) and random unit ``u``, so clusters of one topic overlap. Cluster weights are
    log-normal(0, ``cluster_weight_sigma``). With the defaults: cosine of a point to its centre
    ~0.7, two points of one cluster ~0.55, of one topic ~0.3, unrelated ~0.1.
    """

    n_topics: int = 50
    n_centres: int = 2000
    centre_spread: float = 1.0
    noise: float = 1.0
    mean_weight: float = 0.47
    cluster_weight_sigma: float = 1.0
    seed: int = 20240601


@dataclass(frozen=True)
class ZipfSpec:
    """Parameters of the synthetic BM25 corpus.

    Vocabulary of ``vocab_size`` distinct random lower-case words (5-10 letters, no English
    stop words); term probability proportional to ``1 / rank ** exponent``. Document lengths
    are Poisson(``mean_doc_len``) (at least 10). Queries have 5-8 terms drawn from the same
    law restricted to ranks above ``query_skip_top``.
    """

    vocab_size: int = 50_000
    exponent: float = 1.0
    mean_doc_len: int = 150
    query_min_terms: int = 5
    query_max_terms: int = 8
    query_skip_top: int = 100
    seed: int = 20240602


@dataclass(frozen=True)
class HnswConfig:
    m: int
    ef_construction: int


@dataclass
class BenchConfig:
    """Everything one run depends on (recorded in the JSON)."""

    sizes: list[int]
    flat_sizes: list[int]
    random_sizes: list[int]
    bm25_sizes: list[int]
    grid_size: int
    n_queries: int
    repeats: int
    warmup: int
    hnsw: HnswConfig
    hnsw_grid: list[HnswConfig]
    ef_search_grid: list[int]
    nprobe_grid: list[int]
    ivf_train_per_list: int
    ivf_kmeans_iters: int
    build_threads: int
    search_threads: int
    recall_target: float
    flat_switch_ms: float
    family_tie_ratio: float
    rank_bm25_max_query_s: float
    rank_bm25_budget_s: float
    query_seed: int = 7
    clustered: ClusteredSpec = field(default_factory=ClusteredSpec)
    zipf: ZipfSpec = field(default_factory=ZipfSpec)


def parse_sizes(text: str) -> list[int]:
    return sorted({int(float(part)) for part in text.split(",") if part.strip()})


def build_config(args: argparse.Namespace) -> BenchConfig:
    cores = os.cpu_count() or 1
    if args.smoke:
        sizes = parse_sizes(args.sizes) if args.sizes else [500, 2000]
        return BenchConfig(
            sizes=sizes,
            flat_sizes=[1000],
            random_sizes=[max(sizes)],
            bm25_sizes=[200, 500],
            grid_size=max(sizes),
            n_queries=args.queries or 20,
            repeats=args.repeats or 1,
            warmup=3,
            hnsw=HnswConfig(16, 40),
            hnsw_grid=[HnswConfig(8, 40)],
            ef_search_grid=[16, 64],
            nprobe_grid=[1, 4, 16],
            ivf_train_per_list=39,
            ivf_kmeans_iters=5,
            build_threads=min(2, cores),
            search_threads=1,
            recall_target=0.95,
            flat_switch_ms=2.0,
            family_tie_ratio=1.25,
            rank_bm25_max_query_s=2.0,
            rank_bm25_budget_s=5.0,
        )
    sizes = parse_sizes(args.sizes)
    return BenchConfig(
        sizes=sizes,
        # extra exact-only sizes to locate the flat/approximate switch more precisely
        flat_sizes=[
            n
            for n in (20_000, 30_000, 50_000, 70_000)
            if min(sizes) < n < max(sizes) and n not in sizes
        ],
        random_sizes=[n for n in (10_000, 100_000) if n <= max(sizes)] or [min(sizes)],
        bm25_sizes=sizes,
        grid_size=100_000 if 100_000 in sizes else max(n for n in sizes if n <= 100_000),
        n_queries=args.queries or 200,
        repeats=args.repeats or 3,
        warmup=20,
        # efConstruction 80 left recall@10 stuck near 0.98 at 10^6 in a trial run (M=32);
        # 128 raises the ceiling while keeping the 10^6 build well under 15 min on 2 cores
        hnsw=HnswConfig(32, 128),
        hnsw_grid=[
            HnswConfig(16, 80),
            HnswConfig(32, 40),
            HnswConfig(32, 80),
            HnswConfig(32, 200),
            HnswConfig(48, 80),
        ],
        ef_search_grid=[16, 32, 48, 64, 96, 128, 192, 256, 384, 512],
        nprobe_grid=[1, 2, 4, 8, 16, 32, 64, 128],
        ivf_train_per_list=50,
        ivf_kmeans_iters=10,
        build_threads=cores,
        search_threads=1,
        recall_target=0.95,
        flat_switch_ms=2.0,
        family_tie_ratio=1.25,
        rank_bm25_max_query_s=2.0,
        rank_bm25_budget_s=60.0,
    )


# --------------------------------------------------------------------------------------------
# small utilities


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def normalise_rows(x: np.ndarray) -> np.ndarray:
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def rss_bytes() -> int:
    """Resident set size of this process (Linux), 0 where unknown."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def single_threaded_blas() -> contextlib.AbstractContextManager[Any]:
    """Limit NumPy's BLAS to one thread (searches are timed single-threaded; two BLAS
    threads next to FAISS's OpenMP threads on 2 cores gave erratic NumPy timings)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def load_average() -> float:
    """1-minute load average (other processes on the machine skew latencies)."""
    try:
        return os.getloadavg()[0]
    except OSError:  # pragma: no cover
        return float("nan")


def set_faiss_threads(n: int) -> None:
    import faiss

    faiss.omp_set_num_threads(n)


# --------------------------------------------------------------------------------------------
# synthetic dense data


class ClusteredGenerator:
    """Deterministic sampler of the clustered distribution described by ``ClusteredSpec``."""

    def __init__(self, spec: ClusteredSpec, dim: int = DIM) -> None:
        self.spec = spec
        self.dim = dim
        rng = np.random.default_rng(spec.seed)
        self.mean = normalise_rows(rng.standard_normal((1, dim), dtype=np.float32))[0]
        topics = normalise_rows(rng.standard_normal((spec.n_topics, dim), dtype=np.float32))
        topic_of = rng.integers(0, spec.n_topics, spec.n_centres)
        spread = normalise_rows(rng.standard_normal((spec.n_centres, dim), dtype=np.float32))
        self.centres = normalise_rows(topics[topic_of] + spec.centre_spread * spread)
        weights = rng.lognormal(0.0, spec.cluster_weight_sigma, spec.n_centres)
        self.cluster_p = weights / weights.sum()

    def sample(self, n: int, seed: int, chunk: int = 100_000) -> np.ndarray:
        rng = np.random.default_rng(seed)
        out = np.empty((n, self.dim), dtype=np.float32)
        scale = np.float32(self.spec.noise / math.sqrt(self.dim))
        shift = np.float32(self.spec.mean_weight) * self.mean
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            labels = rng.choice(self.spec.n_centres, size=stop - start, p=self.cluster_p)
            block = rng.standard_normal((stop - start, self.dim), dtype=np.float32)
            block *= scale
            block += self.centres[labels]
            block += shift
            out[start:stop] = normalise_rows(block)
        return out


def random_unit_vectors(n: int, seed: int, dim: int = DIM) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return normalise_rows(rng.standard_normal((n, dim), dtype=np.float32))


def similarity_profile(
    x: np.ndarray, queries: np.ndarray, exact_scores: np.ndarray, seed: int = 0
) -> dict[str, float]:
    """Cosine statistics that say how 'embedding-like' a data set is."""
    rng = np.random.default_rng(seed)
    a = x[rng.integers(0, len(x), 2000)]
    b = x[rng.integers(0, len(x), 2000)]
    return {
        "random_pair_cos_mean": float(np.mean(np.sum(a * b, axis=1))),
        "query_top1_cos_mean": float(exact_scores[:, 0].mean()),
        "query_top10_cos_mean": float(exact_scores[:, TOP_K - 1].mean()),
        "n_queries": len(queries),
    }


# --------------------------------------------------------------------------------------------
# timing


@dataclass
class Timing:
    p50_ms: float
    p95_ms: float
    mean_ms: float
    n_queries: int
    repeats: int


def time_queries(
    search: Callable[[Any], np.ndarray], queries: Sequence[Any], warmup: int, repeats: int
) -> tuple[Timing, list[np.ndarray]]:
    """Time ``search`` one query at a time; percentiles per repeat, median over repeats.

    Returns the timing and the result ids of the last repeat.
    """
    for query in queries[:warmup]:
        search(query)
    p50s, p95s, means = [], [], []
    results: list[np.ndarray] = []
    gc_was_enabled = gc.isenabled()
    gc.disable()  # a full collection over a large corpus would land inside one query
    try:
        for _ in range(repeats):
            results = []
            elapsed = np.empty(len(queries))
            for i, query in enumerate(queries):
                started = time.perf_counter_ns()
                ids = search(query)
                elapsed[i] = time.perf_counter_ns() - started
                results.append(ids)
            elapsed /= 1e6
            p50s.append(float(np.percentile(elapsed, 50)))
            p95s.append(float(np.percentile(elapsed, 95)))
            means.append(float(elapsed.mean()))
    finally:
        if gc_was_enabled:
            gc.enable()
    timing = Timing(
        p50_ms=float(np.median(p50s)),
        p95_ms=float(np.median(p95s)),
        mean_ms=float(np.median(means)),
        n_queries=len(queries),
        repeats=repeats,
    )
    return timing, results


def recall_at_k(found: Sequence[np.ndarray], exact: np.ndarray, k: int = TOP_K) -> float:
    hits = sum(
        len(set(np.asarray(f)[:k].tolist()) & set(e[:k].tolist()))
        for f, e in zip(found, exact, strict=True)
    )
    return hits / (k * len(exact))


def topk_from_scores(scores: np.ndarray, k: int = TOP_K) -> np.ndarray:
    top = np.argpartition(-scores, k - 1)[:k]
    return top[np.argsort(-scores[top], kind="stable")]


def timing_row(timing: Timing, baseline: Timing | None) -> dict[str, Any]:
    row: dict[str, Any] = asdict(timing)
    if baseline is not None:
        row["p50_ratio_vs_numpy"] = timing.p50_ms / baseline.p50_ms
        row["p95_ratio_vs_numpy"] = timing.p95_ms / baseline.p95_ms
    return row


# --------------------------------------------------------------------------------------------
# dense indexes


def faiss_memory_bytes(index: Any) -> int:
    import faiss

    return len(faiss.serialize_index(index))


def build_hnsw(x: np.ndarray, config: HnswConfig, build_threads: int) -> tuple[Any, float]:
    import faiss

    set_faiss_threads(build_threads)
    index = faiss.IndexHNSWFlat(x.shape[1], config.m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = config.ef_construction
    started = time.perf_counter()
    index.add(x)
    return index, time.perf_counter() - started


def choose_nlist(n: int, train_per_list: int) -> int:
    """Power of two near 4*sqrt(N), with at least ``train_per_list`` training points a list."""
    nlist = 2 ** round(math.log2(4 * math.sqrt(n)))
    return max(1, min(nlist, n // train_per_list))


def build_ivf(x: np.ndarray, config: BenchConfig, seed: int) -> tuple[Any, float, int]:
    import faiss

    set_faiss_threads(config.build_threads)
    n = len(x)
    nlist = choose_nlist(n, config.ivf_train_per_list)
    quantizer = faiss.IndexFlatIP(x.shape[1])
    index = faiss.IndexIVFFlat(quantizer, x.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.niter = config.ivf_kmeans_iters
    index.cp.seed = seed
    n_train = min(n, config.ivf_train_per_list * nlist)
    rng = np.random.default_rng(seed)
    train = x[np.sort(rng.choice(n, size=n_train, replace=False))]
    started = time.perf_counter()
    index.train(train)
    index.add(x)
    elapsed = time.perf_counter() - started
    # (faiss's Python wrapper keeps ``quantizer`` alive as long as ``index``)
    return index, elapsed, n_train


def faiss_searcher(index: Any) -> Callable[[np.ndarray], np.ndarray]:
    def search(query: np.ndarray) -> np.ndarray:
        return index.search(query.reshape(1, -1), TOP_K)[1][0]

    return search


def sweep_ef_search(
    index: Any,
    queries: np.ndarray,
    exact: np.ndarray,
    baseline: Timing,
    config: BenchConfig,
    threads: int | None = None,
) -> list[dict[str, Any]]:
    """``sweep`` over an HNSW index's efSearch grid (search threads from the config by default)."""

    def set_ef(value: int) -> None:
        index.hnsw.efSearch = value

    return sweep(
        index,
        set_ef,
        config.ef_search_grid,
        "ef_search",
        queries,
        exact,
        baseline,
        config,
        config.search_threads if threads is None else threads,
    )


def sweep(
    index: Any,
    set_param: Callable[[int], None],
    values: Sequence[int],
    name: str,
    queries: np.ndarray,
    exact: np.ndarray,
    baseline: Timing,
    config: BenchConfig,
    threads: int,
) -> list[dict[str, Any]]:
    set_faiss_threads(threads)
    rows = []
    for value in values:
        set_param(value)
        timing, found = time_queries(faiss_searcher(index), queries, config.warmup, config.repeats)
        row = {name: value, "threads": threads, "recall_at_10": recall_at_k(found, exact)}
        row.update(timing_row(timing, baseline))
        rows.append(row)
    return rows


def smallest_meeting(rows: Sequence[dict[str, Any]], key: str, target: float) -> dict[str, Any]:
    """The first row (in sweep order) whose recall reaches ``target``, else the best recall."""
    for row in rows:
        if row["recall_at_10"] >= target:
            return {**row, "meets_target": True}
    best = max(rows, key=lambda r: (r["recall_at_10"], -r[key]))
    return {**best, "meets_target": False}


def dense_run(
    x: np.ndarray,
    queries: np.ndarray,
    dataset: str,
    config: BenchConfig,
    with_ivf: bool = True,
    thread_check: bool = False,
) -> dict[str, Any]:
    """All dense methods on one corpus."""
    import faiss

    n = len(x)
    log(f"dense {dataset} N={n}: numpy baseline")
    result: dict[str, Any] = {"dataset": dataset, "n": n, "dim": x.shape[1], "methods": {}}

    # exact ground truth (batched, not timed)
    set_faiss_threads(config.build_threads)
    flat = faiss.IndexFlatIP(x.shape[1])
    started = time.perf_counter()
    flat.add(x)
    flat_build = time.perf_counter() - started
    exact_scores, exact = flat.search(queries, TOP_K)
    result["similarity"] = similarity_profile(x, queries, exact_scores)

    with single_threaded_blas():
        base_timing, found = time_queries(
            lambda q: topk_from_scores(x @ q), queries, config.warmup, config.repeats
        )
    result["methods"]["numpy"] = {
        "build_s": 0.0,
        "memory_bytes": int(x.nbytes),
        "recall_at_10": recall_at_k(found, exact),
        **timing_row(base_timing, base_timing),
    }

    log(f"dense {dataset} N={n}: faiss flat")
    set_faiss_threads(config.search_threads)
    timing, found = time_queries(faiss_searcher(flat), queries, config.warmup, config.repeats)
    result["methods"]["faiss_flat"] = {
        "build_s": flat_build,
        "memory_bytes": n * x.shape[1] * 4,
        "serialized_bytes": faiss_memory_bytes(flat),
        "threads": config.search_threads,
        "recall_at_10": recall_at_k(found, exact),
        **timing_row(timing, base_timing),
    }
    if thread_check:
        other = 2 if config.search_threads == 1 else 1
        set_faiss_threads(other)
        timing, _ = time_queries(faiss_searcher(flat), queries, config.warmup, config.repeats)
        result["methods"]["faiss_flat"]["other_threads"] = {
            "threads": other,
            **timing_row(timing, base_timing),
        }
    del flat
    gc.collect()

    log(f"dense {dataset} N={n}: hnsw M={config.hnsw.m} efC={config.hnsw.ef_construction} build")
    hnsw, build_s = build_hnsw(x, config.hnsw, config.build_threads)
    log(f"dense {dataset} N={n}: hnsw built in {build_s:.1f}s; sweeping efSearch")

    rows = sweep_ef_search(hnsw, queries, exact, base_timing, config)
    if thread_check:
        other = 2 if config.search_threads == 1 else 1
        rows += sweep_ef_search(hnsw, queries, exact, base_timing, config, threads=other)
    result["methods"]["hnsw"] = {
        "m": config.hnsw.m,
        "ef_construction": config.hnsw.ef_construction,
        "build_s": build_s,
        "build_threads": config.build_threads,
        "memory_bytes": faiss_memory_bytes(hnsw),
        "sweep": rows,
        "smallest_meeting_target": smallest_meeting(
            [r for r in rows if r["threads"] == config.search_threads],
            "ef_search",
            config.recall_target,
        ),
    }
    del hnsw
    gc.collect()

    if with_ivf:
        log(f"dense {dataset} N={n}: ivf build")
        ivf, build_s, n_train = build_ivf(x, config, seed=config.clustered.seed)
        nlist = ivf.nlist
        log(f"dense {dataset} N={n}: ivf nlist={nlist} built in {build_s:.1f}s; sweeping nprobe")

        def set_nprobe(value: int, index: Any = ivf) -> None:
            index.nprobe = value

        values = [v for v in config.nprobe_grid if v <= nlist] or [nlist]
        rows = sweep(
            ivf,
            set_nprobe,
            values,
            "nprobe",
            queries,
            exact,
            base_timing,
            config,
            config.search_threads,
        )
        result["methods"]["ivf"] = {
            "nlist": nlist,
            "n_train": n_train,
            "kmeans_iters": config.ivf_kmeans_iters,
            "build_s": build_s,
            "build_threads": config.build_threads,
            "memory_bytes": faiss_memory_bytes(ivf),
            "sweep": rows,
            "smallest_meeting_target": smallest_meeting(rows, "nprobe", config.recall_target),
        }
        del ivf
        gc.collect()
    return result


def flat_only_run(x: np.ndarray, queries: np.ndarray, config: BenchConfig) -> dict[str, Any]:
    """NumPy and FAISS flat only (no approximate index), to place the switch size."""
    import faiss

    log(f"flat only N={len(x)}")
    flat = faiss.IndexFlatIP(x.shape[1])
    flat.add(x)
    with single_threaded_blas():
        base, _ = time_queries(
            lambda q: topk_from_scores(x @ q), queries, config.warmup, config.repeats
        )
    set_faiss_threads(config.search_threads)
    timing, _ = time_queries(faiss_searcher(flat), queries, config.warmup, config.repeats)
    return {
        "dataset": "clustered",
        "n": len(x),
        "threads": config.search_threads,
        "numpy": timing_row(base, base),
        "faiss_flat": timing_row(timing, base),
    }


def hnsw_grid_run(x: np.ndarray, queries: np.ndarray, config: BenchConfig) -> dict[str, Any]:
    """HNSW build-parameter grid (M, efConstruction) with an efSearch sweep each."""
    import faiss

    set_faiss_threads(config.build_threads)
    flat = faiss.IndexFlatIP(x.shape[1])
    flat.add(x)
    _, exact = flat.search(queries, TOP_K)
    del flat
    with single_threaded_blas():
        base_timing, _ = time_queries(
            lambda q: topk_from_scores(x @ q), queries, config.warmup, config.repeats
        )
    configs = []
    for hcfg in config.hnsw_grid:
        log(f"grid N={len(x)}: hnsw M={hcfg.m} efC={hcfg.ef_construction}")
        index, build_s = build_hnsw(x, hcfg, config.build_threads)

        rows = sweep_ef_search(index, queries, exact, base_timing, config)
        configs.append(
            {
                "m": hcfg.m,
                "ef_construction": hcfg.ef_construction,
                "build_s": build_s,
                "memory_bytes": faiss_memory_bytes(index),
                "sweep": rows,
                "smallest_meeting_target": smallest_meeting(
                    rows, "ef_search", config.recall_target
                ),
            }
        )
        del index
        gc.collect()
    return {"n": len(x), "dataset": "clustered", "configs": configs}


# --------------------------------------------------------------------------------------------
# BM25


def make_vocabulary(spec: ZipfSpec) -> list[str]:
    """``vocab_size`` distinct lower-case pseudo-words, none an English stop word."""
    from bm25s.stopwords import STOPWORDS_EN

    rng = np.random.default_rng(spec.seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    stop = set(STOPWORDS_EN)
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < spec.vocab_size:
        lengths = rng.integers(5, 11, spec.vocab_size)
        chars = letters[rng.integers(0, 26, (spec.vocab_size, 10))]
        for row, length in zip(chars, lengths, strict=True):
            word = "".join(row[:length])
            if word not in seen and word not in stop:
                seen.add(word)
                words.append(word)
                if len(words) == spec.vocab_size:
                    break
    return words


def zipf_probabilities(size: int, exponent: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, size + 1, dtype=np.float64) ** exponent
    return weights / weights.sum()


class ZipfCorpus:
    """Deterministic BM25 documents and queries as stemmed term lists."""

    def __init__(self, spec: ZipfSpec) -> None:
        import Stemmer

        self.spec = spec
        vocabulary = make_vocabulary(spec)
        # the project indexes stemmed terms; stem each vocabulary word once
        self.terms = Stemmer.Stemmer("english").stemWords(vocabulary)
        self.p = zipf_probabilities(spec.vocab_size, spec.exponent)

    def documents(self, n: int, chunk: int = 50_000) -> list[list[str]]:
        rng = np.random.default_rng(self.spec.seed + 1)
        lengths = np.maximum(10, rng.poisson(self.spec.mean_doc_len, n))
        cdf = np.cumsum(self.p)
        terms = self.terms
        docs: list[list[str]] = []
        for start in range(0, n, chunk):
            part = lengths[start : start + chunk]
            ids = np.searchsorted(cdf, rng.random(int(part.sum())), side="right")
            ids = np.minimum(ids, len(terms) - 1)
            offsets = np.concatenate(([0], np.cumsum(part)))
            flat = ids.tolist()
            docs.extend([terms[i] for i in flat[a:b]] for a, b in itertools.pairwise(offsets))
        return docs

    def queries(self, n: int) -> list[list[str]]:
        rng = np.random.default_rng(self.spec.seed + 2)
        skip = self.spec.query_skip_top
        p = self.p[skip:] / self.p[skip:].sum()
        out = []
        for _ in range(n):
            length = int(rng.integers(self.spec.query_min_terms, self.spec.query_max_terms + 1))
            ids = skip + rng.choice(len(p), size=length, replace=False, p=p)
            out.append([self.terms[i] for i in ids])
        return out


def bm25s_memory_bytes(retriever: Any) -> int:
    scores = retriever.scores
    return int(sum(scores[key].nbytes for key in ("data", "indices", "indptr")))


def bm25_run(
    corpus: ZipfCorpus,
    docs: list[list[str]],
    queries: list[list[str]],
    config: BenchConfig,
    previous: dict[str, Any] | None,
) -> dict[str, Any]:
    import bm25s
    import rank_bm25

    n = len(docs)
    result: dict[str, Any] = {"n_docs": n, "n_tokens": int(sum(map(len, docs)))}
    log(f"bm25 N={n}: bm25s index")
    gc.collect()
    rss_before = rss_bytes()
    retriever = bm25s.BM25()
    started = time.perf_counter()
    retriever.index(docs, show_progress=False)
    build_s = time.perf_counter() - started
    rss_delta = rss_bytes() - rss_before

    def bm25s_search(query: list[str], retriever: Any = retriever) -> np.ndarray:
        return topk_from_scores(np.asarray(retriever.get_scores(query)))

    timing, _ = time_queries(bm25s_search, queries, config.warmup, config.repeats)
    result["bm25s"] = {
        "method": retriever.method,
        "build_s": build_s,
        "memory_bytes": bm25s_memory_bytes(retriever),
        "rss_delta_bytes": rss_delta,
        **asdict(timing),
    }
    del retriever
    gc.collect()

    result["rank_bm25"] = rank_bm25_run(docs, queries, config, previous, rank_bm25)
    return result


def rank_bm25_run(
    docs: list[list[str]],
    queries: list[list[str]],
    config: BenchConfig,
    previous: dict[str, Any] | None,
    rank_bm25: Any,
) -> dict[str, Any]:
    """The baseline, skipped once a query is predicted to take over the limit."""
    n = len(docs)
    predicted_s: float | None = None
    if previous is not None and "p50_ms" in previous.get("rank_bm25", {}):
        prev = previous["rank_bm25"]
        predicted_s = prev["p50_ms"] / 1000 * n / previous["n_docs"]
        if predicted_s > config.rank_bm25_max_query_s:
            reason = (
                f"predicted {predicted_s:.1f} s/query (linear from N={previous['n_docs']})"
                f" > {config.rank_bm25_max_query_s} s limit"
            )
            log(f"bm25 N={n}: rank_bm25 skipped: {reason}")
            return {"skipped": reason, "predicted_query_s": predicted_s}
    n_queries = len(queries)
    if predicted_s:
        affordable = int(config.rank_bm25_budget_s / (predicted_s * config.repeats))
        n_queries = max(min(20, len(queries)), min(len(queries), affordable))
    log(f"bm25 N={n}: rank_bm25 build ({n_queries} queries)")
    gc.collect()
    rss_before = rss_bytes()
    started = time.perf_counter()
    model = rank_bm25.BM25Okapi(docs)
    build_s = time.perf_counter() - started
    rss_delta = rss_bytes() - rss_before

    def search(query: list[str], model: Any = model) -> np.ndarray:
        return topk_from_scores(model.get_scores(query))

    warmup = min(config.warmup, max(1, n_queries // 10))
    timing, _ = time_queries(search, queries[:n_queries], warmup, config.repeats)
    del model
    gc.collect()
    return {
        "build_s": build_s,
        "memory_bytes": rss_delta,
        "memory_note": "RSS delta",
        **asdict(timing),
    }


# --------------------------------------------------------------------------------------------
# selection


def interpolate_crossing(points: Sequence[tuple[int, float]], threshold: float) -> float | None:
    """N where the (log-log interpolated) latency first exceeds ``threshold``."""
    for (n0, t0), (n1, t1) in itertools.pairwise(points):
        if t0 <= threshold < t1:
            frac = (math.log(threshold) - math.log(t0)) / (math.log(t1) - math.log(t0))
            return math.exp(math.log(n0) + frac * (math.log(n1) - math.log(n0)))
    if points and points[0][1] > threshold:
        return float(points[0][0])
    return None


def round_significant(x: float, digits: int = 1) -> int:
    if x <= 0:
        return 0
    magnitude = 10 ** (math.floor(math.log10(x)) - digits + 1)
    return int(round(x / magnitude) * magnitude)


def operating_row(method: dict[str, Any], key: str, value: int, threads: int) -> dict[str, Any]:
    for row in method["sweep"]:
        if row[key] == value and row["threads"] == threads:
            return row
    return method["smallest_meeting_target"]


def select(results: dict[str, Any]) -> dict[str, Any]:
    """Fix the approximate index, its parameters and the switch size from the numbers.

    Per family, the smallest swept parameter reaching the recall target at the largest
    clustered N; between families (among those meeting the target), the lower p50 there,
    except that HNSW is kept unless IVF is faster by more than ``family_tie_ratio``: HNSW
    needs no training step, takes incremental adds and is what the package already builds.
    Those parameters are then reported at every N.
    """
    cfg = results["config"]
    recall_target, switch_ms = cfg["recall_target"], cfg["flat_switch_ms"]
    search_threads = cfg["search_threads"]
    clustered = [r for r in results["dense"] if r["dataset"] == "clustered"]
    largest = max(clustered, key=lambda r: r["n"])
    candidates: dict[str, dict[str, Any]] = {}
    for family, key in (("hnsw", "ef_search"), ("ivf", "nprobe")):
        if family in largest["methods"]:
            best = smallest_meeting(
                [r for r in largest["methods"][family]["sweep"] if r["threads"] == search_threads],
                key,
                recall_target,
            )
            candidates[family] = {"key": key, "value": best[key], "row": best}
    meeting = {f: c for f, c in candidates.items() if c["row"]["meets_target"]}
    pool = meeting or candidates
    family = min(pool, key=lambda f: pool[f]["row"]["p50_ms"])
    tie = cfg.get("family_tie_ratio", 1.0)
    if (
        family != "hnsw"
        and "hnsw" in pool
        and (pool["hnsw"]["row"]["p50_ms"] <= tie * pool[family]["row"]["p50_ms"])
    ):
        family = "hnsw"
    key, value = pool[family]["key"], pool[family]["value"]

    # fixed parameters at every size, for the main table
    for r in results["dense"]:
        for fam, cand in candidates.items():
            if fam in r["methods"]:
                r["methods"][fam]["selected"] = operating_row(
                    r["methods"][fam], cand["key"], cand["value"], search_threads
                )

    flat_points = sorted(
        [(r["n"], r["methods"]["faiss_flat"]["p50_ms"]) for r in clustered]
        + [(r["n"], r["faiss_flat"]["p50_ms"]) for r in results.get("flat_only", [])]
    )
    crossing = interpolate_crossing(flat_points, switch_ms)
    faster = [
        r["n"]
        for r in clustered
        if r["methods"][family]["selected"]["recall_at_10"] >= recall_target
        and r["methods"][family]["selected"]["p50_ms"] < 0.5 * r["methods"]["faiss_flat"]["p50_ms"]
    ]
    switch = round_significant(crossing) if crossing else None
    params: dict[str, Any] = {key: value}
    method = largest["methods"][family]
    if family == "hnsw":
        params.update(m=method["m"], ef_construction=method["ef_construction"])
    else:
        params.update(nlist_at_largest=method["nlist"])
    return {
        "family": family,
        "params": params,
        "recall_target": recall_target,
        "largest_n": largest["n"],
        "largest_row": pool[family]["row"],
        "flat_switch_ms": switch_ms,
        "flat_crosses_threshold_at_n": crossing,
        "switch_n": switch,
        "approx_2x_faster_than_flat_from_n": min(faster) if faster else None,
        "candidates": {f: c["row"] for f, c in candidates.items()},
    }


# --------------------------------------------------------------------------------------------
# reporting


def machine_info() -> dict[str, Any]:
    cpu = "unknown"
    mem_total = 0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_total = int(line.split()[1]) * 1024
    except OSError:
        pass

    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "missing"

    return {
        "cores": os.cpu_count(),
        "memory_bytes": mem_total,
        "cpu_model": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "faiss": version("faiss-cpu"),
        "numpy": version("numpy"),
        "bm25s": version("bm25s"),
        "rank_bm25": version("rank-bm25"),
    }


def fmt_bytes(n: float | None) -> str:
    if n is None:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def fmt_ms(x: float) -> str:
    return f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 100 else f"{x:.0f}"


def fmt_s(x: float) -> str:
    return f"{x:.2f}" if x < 10 else f"{x:.0f}"


def fmt_n(n: int) -> str:
    return f"{n:,}"


def dense_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| N | method | params | build s | memory | p50 ms | p95 ms | p50 × numpy "
        "| p95 × numpy | recall@10 |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        for name, method in r["methods"].items():
            if name in ("hnsw", "ivf"):
                sel = method["selected"]
                if name == "hnsw":
                    params = (
                        f"M={method['m']}, efC={method['ef_construction']}, "
                        f"efSearch={sel['ef_search']}"
                    )
                else:
                    params = f"nlist={method['nlist']}, nprobe={sel['nprobe']}"
            else:
                sel, params = method, "exact"
            lines.append(
                f"| {fmt_n(r['n'])} | {name} | {params} | {fmt_s(method['build_s'])} "
                f"| {fmt_bytes(method['memory_bytes'])} | {fmt_ms(sel['p50_ms'])} "
                f"| {fmt_ms(sel['p95_ms'])} | {sel['p50_ratio_vs_numpy']:.3f} "
                f"| {sel['p95_ratio_vs_numpy']:.3f} | {sel['recall_at_10']:.3f} |"
            )
    return lines


def sweep_table(r: dict[str, Any], family: str, key: str, threads: int) -> list[str]:
    method = r["methods"][family]
    head = "efSearch" if key == "ef_search" else "nprobe"
    lines = [
        f"| {head} | recall@10 | p50 ms | p95 ms | p50 × numpy |",
        "|---:|---:|---:|---:|---:|",
    ]
    for row in method["sweep"]:
        if row["threads"] == threads:
            lines.append(
                f"| {row[key]} | {row['recall_at_10']:.3f} | {fmt_ms(row['p50_ms'])} "
                f"| {fmt_ms(row['p95_ms'])} | {row['p50_ratio_vs_numpy']:.3f} |"
            )
    return lines


def load_sentence(results: dict[str, Any]) -> str:
    loads = [x for x in results.get("load_avg_1m_samples", []) if math.isfinite(x)]
    if not loads:
        return ""
    cores = results["machine"]["cores"] or 1
    busy = (
        " Other processes were using the CPU during parts of the run, so some latencies "
        "(p95 especially) are inflated; treat differences under ~20% as noise."
        if max(loads) > 0.75 * cores + 1
        else ""
    )
    return (
        f"1-minute load average sampled between stages: {min(loads):.1f}-{max(loads):.1f} "
        f"(the benchmark itself accounts for about 1-2).{busy} "
    )


def render_markdown(results: dict[str, Any]) -> str:
    cfg = results["config"]
    m = results["machine"]
    out: list[str] = ["## Scale benchmark: vector index and BM25", ""]
    out += [
        f"Machine: {m['cores']} cores ({m['cpu_model']}), {fmt_bytes(m['memory_bytes'])} RAM, "
        f"{m['platform']}; Python {m['python']}, faiss-cpu {m['faiss']}, numpy {m['numpy']}, "
        f"bm25s {m['bm25s']}, rank-bm25 {m['rank_bm25']}.",
        "",
        f"Command (from the project root): `{results['command']}`"
        f"{' (smoke mode: tiny sizes, not meaningful numbers)' if cfg['smoke'] else ''}.",
        "",
        f"Run at {results['started']}, took {results['elapsed_s'] / 60:.1f} min. "
        + load_sentence(results)
        + f"Single-query latency, top {TOP_K}; {cfg['n_queries']} queries after "
        f"{cfg['warmup']} warm-up queries, {cfg['repeats']} repeats; p50/p95 are the median "
        f"over repeats of each repeat's percentile. FAISS searches with "
        f"{cfg['search_threads']} OpenMP thread(s) and builds with {cfg['build_threads']}; "
        "NumPy's BLAS is limited to 1 thread (threadpoolctl) for the baseline. 'x numpy' is the latency divided by the "
        "NumPy baseline's at the same N in the same run. Memory: array size for NumPy and flat, "
        "`faiss.serialize_index` length for HNSW/IVF. Recall@10 is against exact search "
        "(FAISS flat) on the same queries.",
        "",
    ]
    c = cfg["clustered"]
    out += [
        "### Data",
        "",
        f"* **clustered** (main tables): {c['n_centres']} cluster centres around "
        f"{c['n_topics']} topic directions (centre = normalise(topic + {c['centre_spread']} * "
        f"random unit)), point = normalise({c['mean_weight']} * shared mean + centre + "
        f"Gaussian noise of norm ~{c['noise']}), log-normal(0, {c['cluster_weight_sigma']}) "
        f"cluster weights, seed {c['seed']}; queries drawn from the same distribution "
        "(held out); the corpus of size N is the first N vectors of one stream.",
        "* **random** (worst case): uniform random unit vectors in 384-d, queries likewise.",
        "* Similarity profile (mean cosine), to compare with real MiniLM embeddings "
        "(unrelated sentences ~0.0-0.15, a good neighbour ~0.5-0.8):",
        "",
        "| data | N | unrelated pair | query to its 1st neighbour | to its 10th |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in results["dense"]:
        s = r["similarity"]
        out.append(
            f"| {r['dataset']} | {fmt_n(r['n'])} | {s['random_pair_cos_mean']:.3f} "
            f"| {s['query_top1_cos_mean']:.3f} | {s['query_top10_cos_mean']:.3f} |"
        )
    z = cfg["zipf"]
    out += [
        "",
        f"* **BM25 corpus**: {fmt_n(z['vocab_size'])} random pseudo-words (Snowball-"
        f"stemmed as the project does), term probability ∝ 1/rank^{z['exponent']}, "
        f"document length Poisson({z['mean_doc_len']}); queries of "
        f"{z['query_min_terms']}-{z['query_max_terms']} distinct terms from the same law "
        f"without the top {z['query_skip_top']} ranks; seed {z['seed']}.",
        "",
    ]

    clustered = [r for r in results["dense"] if r["dataset"] == "clustered"]
    random_rows = [r for r in results["dense"] if r["dataset"] == "random"]
    out += [
        "### Dense search, clustered data",
        "",
        "HNSW and IVF rows use the parameters selected below at every N (IVF's nlist "
        "grows with N).",
        "",
    ]
    out += dense_table(clustered)
    if results.get("flat_only"):
        out += [
            "",
            "Exact search only, at intermediate sizes (to place the switch):",
            "",
            "| N | NumPy p50 ms | NumPy p95 ms | flat p50 ms | flat p95 ms | flat p50 × numpy |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for r in results["flat_only"]:
            out.append(
                f"| {fmt_n(r['n'])} | {fmt_ms(r['numpy']['p50_ms'])} "
                f"| {fmt_ms(r['numpy']['p95_ms'])} | {fmt_ms(r['faiss_flat']['p50_ms'])} "
                f"| {fmt_ms(r['faiss_flat']['p95_ms'])} "
                f"| {r['faiss_flat']['p50_ratio_vs_numpy']:.3f} |"
            )
    out += [
        "",
        "### Dense search, random unit vectors (worst case)",
        "",
        "Same parameters as above. Random 384-d unit vectors have no neighbourhood "
        "structure, so approximate search needs far more work for the same recall; real "
        "embeddings are much closer to the clustered case.",
        "",
    ]
    out += dense_table(random_rows)
    for r in random_rows:
        hs = r["methods"]["hnsw"]["smallest_meeting_target"]
        out.append("")
        out.append(
            f"Random, N={fmt_n(r['n'])}: the smallest swept efSearch reaching "
            f"recall {cfg['recall_target']} is "
            + (
                f"{hs['ef_search']} (recall {hs['recall_at_10']:.3f}, p50 "
                f"{fmt_ms(hs['p50_ms'])} ms)."
                if hs["meets_target"]
                else f"none (best: efSearch {hs['ef_search']}, recall "
                f"{hs['recall_at_10']:.3f}, p50 {fmt_ms(hs['p50_ms'])} ms)."
            )
        )

    grid = results.get("hnsw_grid")
    if grid:
        out += [
            "",
            f"### HNSW build parameters at N={fmt_n(grid['n'])} (clustered)",
            "",
            f"For each (M, efConstruction): build time ({cfg['build_threads']} threads), "
            f"memory, and the smallest efSearch reaching recall@10 >= "
            f"{cfg['recall_target']} with its latency.",
            "",
            "| M | efConstruction | build s | memory | efSearch | recall@10 | p50 ms | p95 ms |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        main_row = next(
            (
                r["methods"]["hnsw"]
                for r in results["dense"]
                if r["dataset"] == "clustered" and r["n"] == grid["n"]
            ),
            None,
        )
        rows = list(grid["configs"])
        if main_row is not None:
            rows.append(
                {
                    **main_row,
                    "smallest_meeting_target": smallest_meeting(
                        [x for x in main_row["sweep"] if x["threads"] == cfg["search_threads"]],
                        "ef_search",
                        cfg["recall_target"],
                    ),
                }
            )
        for g in sorted(rows, key=lambda g: (g["m"], g["ef_construction"])):
            s = g["smallest_meeting_target"]
            flag = "" if s["meets_target"] else " (target not met)"
            out.append(
                f"| {g['m']} | {g['ef_construction']} | {fmt_s(g['build_s'])} "
                f"| {fmt_bytes(g['memory_bytes'])} | {s['ef_search']}{flag} "
                f"| {s['recall_at_10']:.3f} | {fmt_ms(s['p50_ms'])} "
                f"| {fmt_ms(s['p95_ms'])} |"
            )

    for r in clustered[-2:]:
        for family, key in (("hnsw", "ef_search"), ("ivf", "nprobe")):
            if family not in r["methods"]:
                continue
            method = r["methods"][family]
            what = (
                f"HNSW M={method['m']}, efC={method['ef_construction']}"
                if family == "hnsw"
                else f"IVF-Flat nlist={method['nlist']}"
            )
            out += [
                "",
                f"### {what} sweep, N={fmt_n(r['n'])} (clustered, "
                f"{cfg['search_threads']} search thread)",
                "",
            ]
            out += sweep_table(r, family, key, cfg["search_threads"])

    threads_rows = [r for r in clustered if "other_threads" in r["methods"]["faiss_flat"]]
    if threads_rows:
        sel_key = "ef_search"
        out += [
            "",
            "### Search threads (clustered)",
            "",
            "Single-query p50 ms with 1 and 2 FAISS OpenMP threads.",
            "",
            "| N | flat, 1 thread | flat, 2 threads | HNSW, 1 thread | HNSW, 2 threads |",
            "|---:|---:|---:|---:|---:|",
        ]
        ef = clustered[-1]["methods"]["hnsw"]["selected"]["ef_search"]
        for r in threads_rows:
            flat = r["methods"]["faiss_flat"]
            by_threads = {
                row["threads"]: row for row in r["methods"]["hnsw"]["sweep"] if row[sel_key] == ef
            }
            t = {
                flat["threads"]: flat["p50_ms"],
                flat["other_threads"]["threads"]: flat["other_threads"]["p50_ms"],
            }
            h1 = fmt_ms(by_threads[1]["p50_ms"]) if 1 in by_threads else "-"
            h2 = fmt_ms(by_threads[2]["p50_ms"]) if 2 in by_threads else "-"
            out.append(
                f"| {fmt_n(r['n'])} | {fmt_ms(t.get(1, float('nan')))} "
                f"| {fmt_ms(t.get(2, float('nan')))} | {h1} | {h2} |"
            )
        out += [
            "",
            f"(HNSW at efSearch={ef}; IVF searches were run with "
            f"{cfg['search_threads']} thread only.)",
        ]

    out += [
        "",
        "### BM25",
        "",
        "Build = `index()` on pre-tokenised term lists. Query = `get_scores` + "
        "`argpartition` top 10 (as `rag/retrieval.py` does). bm25s memory = bytes of its "
        "sparse score matrix (data + indices + indptr; the vocabulary dict not counted); "
        "rank_bm25 memory = process RSS growth while building (approximate).",
        "",
        "| N docs | tokens | method | build s | memory | p50 ms | p95 ms | queries "
        "| p50 × rank_bm25 |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results["bm25"]:
        b, rb = r["bm25s"], r["rank_bm25"]
        ratio = f"{b['p50_ms'] / rb['p50_ms']:.4f}" if "p50_ms" in rb else "-"
        out.append(
            f"| {fmt_n(r['n_docs'])} | {fmt_n(r['n_tokens'])} | bm25s ({b['method']}) "
            f"| {fmt_s(b['build_s'])} | {fmt_bytes(b['memory_bytes'])} "
            f"| {fmt_ms(b['p50_ms'])} | {fmt_ms(b['p95_ms'])} | {b['n_queries']} "
            f"| {ratio} |"
        )
        if "p50_ms" in rb:
            out.append(
                f"| {fmt_n(r['n_docs'])} | | rank_bm25 BM25Okapi | {fmt_s(rb['build_s'])}"
                f" | ~{fmt_bytes(rb['memory_bytes'])} | {fmt_ms(rb['p50_ms'])} "
                f"| {fmt_ms(rb['p95_ms'])} | {rb['n_queries']} | 1 |"
            )
        else:
            out.append(
                f"| {fmt_n(r['n_docs'])} | | rank_bm25 BM25Okapi | not run: "
                f"{rb['skipped']} | | | | | |"
            )

    out += ["", f"![query time against corpus size]({PNG_NAME})", ""]
    out += ["### Conclusions", "", conclusions(results), ""]
    return "\n".join(out)


def conclusions(results: dict[str, Any]) -> str:
    sel = results["selection"]
    cfg = results["config"]
    clustered = {r["n"]: r for r in results["dense"] if r["dataset"] == "clustered"}
    largest = clustered[sel["largest_n"]]
    fam = sel["family"]
    method = largest["methods"][fam]
    row = method["selected"]
    flat = largest["methods"]["faiss_flat"]
    numpy_ = largest["methods"]["numpy"]
    p = sel["params"]
    if fam == "hnsw":
        what = (
            f"HNSW (`IndexHNSWFlat`, inner product) with M={p['m']}, "
            f"efConstruction={p['ef_construction']}, efSearch={p['ef_search']}"
        )
    else:
        what = f"IVF-Flat with nprobe={p['nprobe']} (nlist={p['nlist_at_largest']} at the top N)"
    met = "meets" if row["recall_at_10"] >= cfg["recall_target"] else "does NOT meet"
    parts = [
        f"**Approximate index: {what}**, searched with {cfg['search_threads']} thread. "
        f"At N={fmt_n(largest['n'])} (clustered) it takes p50 {fmt_ms(row['p50_ms'])} ms / "
        f"p95 {fmt_ms(row['p95_ms'])} ms at recall@10 {row['recall_at_10']:.3f} "
        f"({met} the {cfg['recall_target']} target), {fmt_bytes(method['memory_bytes'])}, "
        f"built in {method['build_s'] / 60:.1f} min; exact FAISS flat takes p50 "
        f"{fmt_ms(flat['p50_ms'])} ms / p95 {fmt_ms(flat['p95_ms'])} ms "
        f"({fmt_bytes(flat['memory_bytes'])}) and NumPy p50 {fmt_ms(numpy_['p50_ms'])} ms / "
        f"p95 {fmt_ms(numpy_['p95_ms'])} ms.",
    ]
    parts.append(
        f"Rule: per family the smallest swept efSearch/nprobe reaching recall@10 "
        f">= {cfg['recall_target']} at the largest N; the faster family wins, but "
        f"HNSW is kept unless IVF is more than {cfg.get('family_tie_ratio', 1.0)}x "
        "faster (no training step, incremental adds, already in the package)."
    )
    key = "ef_search" if fam == "hnsw" else "nprobe"
    swept = [r for r in method["sweep"] if r["threads"] == cfg["search_threads"]]
    after = [r for r in swept if r[key] > row[key]]
    if after:
        nxt = after[0]
        parts.append(
            f"For margin (recall on real data will differ), the next swept value, "
            f"{key}={nxt[key]}, gives recall@10 {nxt['recall_at_10']:.3f} at p50 "
            f"{fmt_ms(nxt['p50_ms'])} ms / p95 {fmt_ms(nxt['p95_ms'])} ms."
        )
    flat_other = flat.get("other_threads")
    if flat_other:
        parts.append(
            f"Searching with {flat_other['threads']} OpenMP threads instead of "
            f"{flat['threads']} made single-query flat search "
            f"{flat_other['p50_ms'] / flat['p50_ms']:.1f}x the latency at this N "
            "(see the threads table): keep FAISS at 1 thread for single queries."
        )
    others = {f: c for f, c in sel["candidates"].items() if f != fam}
    for f, c in others.items():
        key = "ef_search" if f == "hnsw" else "nprobe"
        parts.append(
            f"The alternative ({f}, {key}={c[key]}) reached recall "
            f"{c['recall_at_10']:.3f} at p50 {fmt_ms(c['p50_ms'])} ms there."
        )
    if sel["switch_n"]:
        parts.append(
            f"**Switch size: N ≈ {fmt_n(sel['switch_n'])}**: flat p50 crosses "
            f"{sel['flat_switch_ms']} ms at N ≈ {fmt_n(int(sel['flat_crosses_threshold_at_n']))} "
            "(log-log interpolation between the nearest measured sizes). "
            "Use the flat index below it and the approximate index from it on."
        )
    else:
        parts.append(
            f"Flat search never exceeded {sel['flat_switch_ms']} ms at the measured "
            "sizes, so flat is enough up to the largest N measured."
        )
    if sel["approx_2x_faster_than_flat_from_n"]:
        parts.append(
            f"The approximate index is at least 2x faster than flat at recall >= "
            f"{cfg['recall_target']} from N={fmt_n(sel['approx_2x_faster_than_flat_from_n'])}"
            " (measured sizes)."
        )
    rnd = [r for r in results["dense"] if r["dataset"] == "random"]
    if rnd:
        r = max(rnd, key=lambda x: x["n"])
        rs = r["methods"][fam]["selected"]
        parts.append(
            f"On random unit vectors (worst case, N={fmt_n(r['n'])}) the same "
            f"parameters give recall@10 {rs['recall_at_10']:.3f}: real embeddings "
            "are far more clustered, but recall should be checked on real data before "
            "trusting the synthetic figure."
        )
    if not results["bm25"]:
        return " ".join(parts)
    big = max(results["bm25"], key=lambda r: r["n_docs"])
    b = big["bm25s"]
    parts.append(
        f"**BM25**: at {fmt_n(big['n_docs'])} documents bm25s builds in "
        f"{fmt_s(b['build_s'])} s, holds {fmt_bytes(b['memory_bytes'])} and answers in "
        f"p50 {fmt_ms(b['p50_ms'])} ms / p95 {fmt_ms(b['p95_ms'])} ms."
    )
    ran = [r for r in results["bm25"] if "p50_ms" in r["rank_bm25"]]
    if ran:
        last = ran[-1]
        parts.append(
            f"rank_bm25 was run up to {fmt_n(last['n_docs'])} documents (p50 "
            f"{fmt_ms(last['rank_bm25']['p50_ms'])} ms, "
            f"{last['rank_bm25']['p50_ms'] / last['bm25s']['p50_ms']:.0f}x bm25s)"
            + ("." if last is big else "; it was not run beyond (see table).")
        )
    return " ".join(parts)


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_dense, ax_bm25) = plt.subplots(1, 2, figsize=(12, 5))
    styles = {"clustered": "-", "random": "--"}
    labels = {
        "numpy": "NumPy brute force",
        "faiss_flat": "FAISS flat",
        "hnsw": "HNSW",
        "ivf": "IVF-Flat",
    }
    colours = {"numpy": "tab:gray", "faiss_flat": "tab:blue", "hnsw": "tab:red", "ivf": "tab:green"}
    for dataset, style in styles.items():
        rows = sorted(
            (r for r in results["dense"] if r["dataset"] == dataset), key=lambda r: r["n"]
        )
        if not rows:
            continue
        for name in ("numpy", "faiss_flat", "hnsw", "ivf"):
            label = f"{labels[name]} ({dataset})"
            if dataset == "random" and name in ("hnsw", "ivf") and name in rows[-1]["methods"]:
                recall = rows[-1]["methods"][name]["selected"]["recall_at_10"]
                label = f"{labels[name]} ({dataset}; recall {recall:.2f} at N={rows[-1]['n']:,})"
            pts = []
            for r in rows:
                if name in r["methods"]:
                    method = r["methods"][name]
                    pts.append((r["n"], method.get("selected", method)["p50_ms"]))
            if dataset == "clustered" and name in ("numpy", "faiss_flat"):
                pts += [(r["n"], r[name]["p50_ms"]) for r in results.get("flat_only", [])]
                pts.sort()
            if pts:
                xs, ys = zip(*pts, strict=True)
                ax_dense.plot(xs, ys, style, marker="o", color=colours[name], label=label)
    ax_dense.axhline(
        results["config"]["flat_switch_ms"],
        color="black",
        lw=0.8,
        ls=":",
        label=f"{results['config']['flat_switch_ms']} ms",
    )
    ax_dense.set(
        xscale="log",
        yscale="log",
        xlabel="corpus size N (vectors)",
        ylabel="single-query p50 (ms)",
        title="Dense top-10 search, 384-d",
    )
    ax_dense.legend(fontsize=7)
    ax_dense.grid(True, which="both", alpha=0.3)

    for name, colour in (("bm25s", "tab:purple"), ("rank_bm25", "tab:orange")):
        pts = [(r["n_docs"], r[name]["p50_ms"]) for r in results["bm25"] if "p50_ms" in r[name]]
        if pts:
            xs, ys = zip(*pts, strict=True)
            ax_bm25.plot(xs, ys, "-", marker="o", color=colour, label=name)
    ax_bm25.set(
        xscale="log",
        yscale="log",
        xlabel="corpus size N (documents)",
        ylabel="single-query p50 (ms)",
        title="BM25 top-10 query",
    )
    ax_bm25.legend(fontsize=8)
    ax_bm25.grid(True, which="both", alpha=0.3)
    fig.suptitle(
        f"Scale benchmark ({results['machine']['cores']} cores, {results['machine']['cpu_model']})",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------------------------
# driver


def run(config: BenchConfig, results: dict[str, Any], checkpoint: Callable[[], None]) -> None:
    """Measure everything, appending to ``results["dense"]``/``["bm25"]``."""
    generator = ClusteredGenerator(config.clustered)
    n_max = max(config.sizes)
    log(f"generating {fmt_n(n_max)} clustered vectors")
    corpus = generator.sample(n_max, seed=config.clustered.seed + 1)
    queries = generator.sample(config.n_queries, seed=config.clustered.seed + 2)

    for n in config.sizes:
        results["dense"].append(
            dense_run(corpus[:n], queries, "clustered", config, thread_check=True)
        )
        checkpoint()
        if n == config.grid_size and config.hnsw_grid:
            results["hnsw_grid"] = hnsw_grid_run(corpus[:n], queries, config)
            checkpoint()
    results["flat_only"] = [flat_only_run(corpus[:n], queries, config) for n in config.flat_sizes]
    checkpoint()
    del corpus
    gc.collect()

    random_queries = random_unit_vectors(config.n_queries, seed=config.query_seed)
    for n in config.random_sizes:
        log(f"generating {fmt_n(n)} random unit vectors")
        x = random_unit_vectors(n, seed=config.query_seed + n)
        results["dense"].append(dense_run(x, random_queries, "random", config))
        checkpoint()
        del x
        gc.collect()

    zipf = ZipfCorpus(config.zipf)
    bm25_queries = zipf.queries(config.n_queries)
    log(f"generating {fmt_n(max(config.bm25_sizes))} BM25 documents")
    docs = zipf.documents(max(config.bm25_sizes))
    # keep the cyclic GC from walking the whole generated corpus (~150M references at 10^6)
    # during every smaller build: in real use only the indexed documents are in memory
    gc.collect()
    gc.freeze()
    previous: dict[str, Any] | None = None
    for n in config.bm25_sizes:
        row = bm25_run(zipf, docs[:n], bm25_queries, config, previous)
        results["bm25"].append(row)
        checkpoint()
        previous = row if "p50_ms" in row["rank_bm25"] else previous
    del docs
    gc.unfreeze()
    gc.collect()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--sizes",
        default=None,
        help="comma-separated corpus sizes (default 1000,10000,100000,1000000; smoke: 500,2000)",
    )
    parser.add_argument(
        "--queries", type=int, default=None, help="queries per measurement (default 200; smoke 20)"
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="timed passes over the queries (default 3; smoke 1)",
    )
    parser.add_argument("--out", default="docs", help="output directory (default docs)")
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes, finishes in seconds (for the test suite)"
    )
    parser.add_argument(
        "--render-from",
        metavar="JSON",
        default=None,
        help="do not measure: redo selection, tables and plot from a results "
        "JSON (e.g. the partial file of an interrupted run)",
    )
    args = parser.parse_args(argv)
    if args.sizes is None and not args.smoke:
        args.sizes = "1000,10000,100000,1000000"
    return args


def write_json(results: dict[str, Any], path: Path) -> None:
    """Atomic JSON write."""
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, delete=False, suffix=".tmp", encoding="utf-8"
    ) as tmp:
        json.dump(results, tmp, indent=1, default=float)
    os.chmod(tmp.name, 0o644)  # NamedTemporaryFile creates 0600
    Path(tmp.name).replace(path)


def finish(results: dict[str, Any], out: Path) -> str:
    """Select parameters, write JSON, plot and Markdown; returns the Markdown."""
    results["selection"] = select(results)
    write_json(results, out / JSON_NAME)
    plot(results, out / PNG_NAME)
    markdown = render_markdown(results)
    (out / MD_NAME).write_text(markdown + "\n", encoding="utf-8")
    return markdown


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.render_from:
        results = json.loads(Path(args.render_from).read_text(encoding="utf-8"))
        results.setdefault("elapsed_s", float("nan"))
        print(finish(results, out))
        return 0
    config = build_config(args)
    argv_list = list(sys.argv[1:] if argv is None else argv)
    started = time.time()
    results: dict[str, Any] = {
        "command": " ".join(["python -m bench.scale", *argv_list]),
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(started)),
        "machine": machine_info(),
        "config": {**asdict(config), "smoke": bool(args.smoke)},
        "dense": [],
        "bm25": [],
    }
    partial = out / PARTIAL_NAME
    log(
        f"scale benchmark: sizes {config.sizes}, {config.n_queries} queries, "
        f"{config.repeats} repeats, out {out}"
    )
    loads: list[float] = results.setdefault("load_avg_1m_samples", [])

    def checkpoint() -> None:
        loads.append(load_average())
        write_json(results, partial)

    loads.append(load_average())
    run(config, results, checkpoint=checkpoint)
    results["elapsed_s"] = time.time() - started
    markdown = finish(results, out)
    partial.unlink(missing_ok=True)
    print(markdown)
    log(f"wrote {out / JSON_NAME}, {out / PNG_NAME}, {out / MD_NAME}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
