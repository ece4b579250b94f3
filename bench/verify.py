"""``python -m bench.verify``: what checking an LLM answer costs, per sentence and per answer.

1. The verifier (``rag.verify.Verifier.check``) on claims of ``eval/claims.jsonl``,
   one sentence per call, each cited to the passage holding its evidence, warm:
   total time per sentence, the embedder's share (``embed_with_tokens`` of that
   sentence, the forward pass ``check`` makes) and the rest (every rule).
2. The local generator's whole answer (``LocalLLMGenerator.generate``: plan, model,
   verification, fallback) on the first gold questions, warm.

Medians and 90th percentiles of wall time, and of process CPU time (the BLAS is
meant to run single-threaded here: ``OPENBLAS_NUM_THREADS=1``); the load average is
printed with the results because these 2-core machines are shared.  Writes ``docs/benchmarks_verify.md``.

What it does not do: judge the numbers (the targets are in the table).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Sequence

from rag.settings import PROJECT_ROOT

OUT = PROJECT_ROOT / "docs" / "benchmarks_verify.md"


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def bench_verifier(pipe, n_claims: int, repeats: int) -> dict[str, float]:
    from rag.calibration import _passage_of, load_claims
    from rag.schema import Hit
    from rag.verify import Verifier, split_answer

    verifier = Verifier(pipe.embedder, pipe.index)
    claims = load_claims(PROJECT_ROOT / "eval" / "claims.jsonl")[:n_claims]
    cases = []
    for item in claims:
        chunk = _passage_of(pipe, item.evidence)
        if chunk is not None:
            vector = pipe.embedder.embed_query(item.question)
            cases.append((split_answer(f"{item.claim} [1]"), [Hit(chunk, 1.0, 1)], item, vector))
    for claim, hits, item, vector in cases[:5]:  # warm-up
        verifier.check(claim, hits, item.question, vector)
    total, embed, total_cpu, embed_cpu = [], [], [], []
    for _ in range(repeats):
        for claim, hits, item, vector in cases:
            started, cpu = time.perf_counter(), time.process_time()
            verifier.check(claim, hits, item.question, vector)
            total.append((time.perf_counter() - started) * 1000)
            total_cpu.append((time.process_time() - cpu) * 1000)
            started, cpu = time.perf_counter(), time.process_time()
            pipe.embedder.embed_with_tokens([claim[0].text])
            embed.append((time.perf_counter() - started) * 1000)
            embed_cpu.append((time.process_time() - cpu) * 1000)
    rules = [t - e for t, e in zip(total, embed, strict=True)]
    rules_cpu = [t - e for t, e in zip(total_cpu, embed_cpu, strict=True)]
    return {
        "sentences": float(len(total)),
        "check p50": statistics.median(total),
        "check p90": _pct(total, 0.9),
        "embed p50": statistics.median(embed),
        "rules p50": statistics.median(rules),
        "rules p90": _pct(rules, 0.9),
        "check cpu p50": statistics.median(total_cpu),
        "embed cpu p50": statistics.median(embed_cpu),
        "rules cpu p50": statistics.median(rules_cpu),
        "rules cpu p90": _pct(rules_cpu, 0.9),
    }


def bench_local(pipe, n_questions: int) -> dict[str, float]:
    from rag.evaluation import load_gold

    gen = pipe.generator("local")
    gen.warm_up()
    gold = [g for g in load_gold(PROJECT_ROOT / "eval" / "gold.jsonl") if not g.history]
    requests = [pipe.prepare(g.question)[0] for g in gold[:n_questions]]
    requests = [r for r in requests if r is not None]
    gen.generate(requests[0])  # warm-up
    times, verified = [], 0
    for request in requests:
        started = time.perf_counter()
        draft = gen.generate(request)
        times.append((time.perf_counter() - started) * 1000)
        verified += bool(draft.verified)
    return {
        "answers": float(len(times)),
        "answer p50": statistics.median(times),
        "answer p90": _pct(times, 0.9),
        "verified answers": float(verified),
    }


def render(verifier: dict[str, float], local: dict[str, float] | None, load: str) -> str:
    lines = [
        "# Benchmarks: verifying LLM answers",
        "",
        "Measured by `python -m bench.verify` (warm, one process; "
        f"load average while it ran: {load}; 2 shared cores).",
        "",
        "| measure | p50 ms | p90 ms | target |",
        "|---|---|---|---|",
        f"| `Verifier.check`, one sentence (embedding included) | {verifier['check p50']:.1f} "
        f"| {verifier['check p90']:.1f} | |",
        f"| its embedder pass alone | {verifier['embed p50']:.1f} | | |",
        f"| the verifier's rules (check minus embedding) | {verifier['rules p50']:.1f} "
        f"| {verifier['rules p90']:.1f} | at most 5 ms added per sentence (p50) |",
        f"| the same, process CPU time (less sensitive to the shared cores' load) "
        f"| {verifier['rules cpu p50']:.1f} | {verifier['rules cpu p90']:.1f} | |",
        f"| `Verifier.check` CPU time / its embedder pass CPU time | "
        f"{verifier['check cpu p50']:.1f} / {verifier['embed cpu p50']:.1f} | | |",
    ]
    if local is not None:
        lines.append(
            f"| local generator, whole answer | {local['answer p50']:.0f} | "
            f"{local['answer p90']:.0f} | at most 1500 ms (p50) |"
        )
    lines += ["", f"{int(verifier['sentences'])} sentences timed."]
    if local is not None:
        lines.append(
            f"{int(local['answers'])} local answers timed, "
            f"{int(local['verified answers'])} of them the model's own verified words."
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.verify", description=__doc__)
    parser.add_argument("--claims", type=int, default=60, help="claims timed (default 60)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--questions", type=int, default=12, help="local answers timed; 0 skips")
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)

    from rag.pipeline import load_pipeline
    from rag.settings import Settings

    pipe = load_pipeline(Settings.load())
    pipe.warm_up()
    verifier = bench_verifier(pipe, args.claims, args.repeats)
    local = bench_local(pipe, args.questions) if args.questions else None
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    text = render(verifier, local, load)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
