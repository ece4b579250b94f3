"""Load: 50 concurrent two-question conversations through the ``/ask`` API of the real app,
and (``slow``) a soak of 2,000 mixed questions in which the app's memory must level off.

docs/reliability.md records the figures.  What this file does not do: test answer quality
(tests/test_evaluation.py).
"""

from __future__ import annotations

import concurrent.futures as cf
import threading
import time

import httpx
import pytest

from tests.reliability.helpers import (
    CONVERSATIONS,
    NASTY,
    AppProcess,
    api_ask,
    http_client,
    percentile,
)


def _conversation(base: str, script: tuple[tuple[str, str | None], ...], start: threading.Barrier):
    replies = []
    with http_client() as client:
        start.wait()
        history: list[str] = []
        for question, _ in script:
            replies.append(api_ask(client, base, question, history))
            history.append(question)
    return replies


def test_fifty_concurrent_conversations_are_all_answered(app: AppProcess, capsys):
    n = 50
    scripts = [CONVERSATIONS[i % len(CONVERSATIONS)] for i in range(n)]
    start = threading.Barrier(n, timeout=60)
    began = time.perf_counter()
    pool = cf.ThreadPoolExecutor(max_workers=n)
    futures = [pool.submit(_conversation, app.url, script, start) for script in scripts]
    _, pending = cf.wait(futures, timeout=300)
    pool.shutdown(wait=not pending, cancel_futures=True)
    wall = time.perf_counter() - began
    assert not pending, f"{len(pending)} conversations still running after 300 s"
    problems, latencies = [], []
    for script, future in zip(scripts, futures, strict=True):
        for (question, expected), reply in zip(script, future.result(), strict=True):
            latencies.append(reply.seconds)
            if not reply.ok:
                problems.append(f"{question!r}: {reply.kind} {str(reply.data)[:120]}")
            elif expected is None and not reply.answer["abstained"]:
                problems.append(f"{question!r} should abstain: {reply.answer['answer'][:120]}")
            elif expected is not None and expected not in reply.answer["answer"]:
                problems.append(f"{question!r}: no {expected!r} in {reply.answer['answer'][:120]}")
    with capsys.disabled():
        print(
            f"\nload: {n} conversations, {len(latencies)} requests in {wall:.1f} s; "
            f"latency p50 {percentile(latencies, 0.5):.2f} s, "
            f"p95 {percentile(latencies, 0.95):.2f} s, max {max(latencies):.2f} s; "
            f"{len(problems)} failed"
        )
    assert not problems, f"{len(problems)} of {len(latencies)} requests failed:\n" + "\n".join(
        problems[:10]
    )


SOAK_REQUESTS = 2000


SOAK_SECONDS = 290  # hang guard; the run takes about a minute


SOAK_GROWTH_MIB = 40  # measured: ~6 MiB when memory levels off, ~100 MiB at 48 KiB per ask


def _soak_item(i: int) -> tuple[str, list[str], str | None]:
    """Question, history and expected substring ("" = any answer) of the ``i``-th soak ask."""
    if i % 5 == 4:
        return NASTY[i // 5 % len(NASTY)], [], ""
    script = CONVERSATIONS[i // 2 % len(CONVERSATIONS)]
    (q1, e1), (q2, e2) = script
    return (q2, [q1], e2) if i % 2 else (q1, [], e1)


@pytest.mark.slow
def test_soak_memory_levels_off_and_nothing_fails(app: AppProcess, capsys):
    def one(client: httpx.Client, i: int) -> str | None:
        question, history, expected = _soak_item(i)
        reply = api_ask(client, app.url, question, history)
        if not reply.ok:
            return f"#{i} {question[:40]!r}: {reply.kind} {str(reply.data)[:100]}"
        answer = reply.answer
        if expected is None and not answer["abstained"]:
            return f"#{i} {question!r} should abstain"
        if expected and expected not in answer["answer"]:
            return f"#{i} {question!r}: no {expected!r}"
        return None

    asked: list[int] = []  # the asks made before the hang guard's deadline

    def worker(indices: range) -> list[str]:
        with http_client() as client:
            out = []
            for i in indices:
                if time.monotonic() >= deadline:
                    break
                asked.append(i)
                if problem := one(client, i):
                    out.append(problem)
            return out

    began = time.monotonic()
    deadline = began + SOAK_SECONDS
    warm_up = 200
    problems = worker(range(warm_up))  # sequential warm-up: model, caches, allocator
    rss = [app.rss_mib()]
    threads, step = 8, 300  # then 8 concurrent clients, more than the queue runs at once
    for chunk_start in range(warm_up, SOAK_REQUESTS, step):
        chunk = range(chunk_start, min(chunk_start + step, SOAK_REQUESTS))
        with cf.ThreadPoolExecutor(max_workers=threads) as pool:
            parts = [range(chunk.start + t, chunk.stop, threads) for t in range(threads)]
            for found in pool.map(worker, parts):
                problems.extend(found)
        rss.append(app.rss_mib())
    seconds = time.monotonic() - began
    # the first concurrent chunk warms the thread pools too; from then on memory must be flat
    settled, last = rss[1], rss[-1]
    with capsys.disabled():
        print(
            f"\nsoak: {len(asked)} of {SOAK_REQUESTS} asks in {seconds:.0f} s; app RSS (MiB) after warm-up "
            f"{rss[0]:.0f}, then every {step}: {', '.join(f'{r:.0f}' for r in rss[1:])}; "
            f"growth over the last {SOAK_REQUESTS - warm_up - step} asks {last - settled:.0f} "
            f"MiB; {len(problems)} failed"
        )
    # not a timing: on a loaded machine the guard may cut the last asks, but the memory
    # figures need most of them made
    assert len(asked) >= SOAK_REQUESTS * 0.8, f"only {len(asked)} asks within {SOAK_SECONDS} s"
    assert not problems, "\n".join(problems[:10])
    # generous bounds: caches and allocator slack level off; per-request state does not
    # (Gradio keeps every API call's session state, up to launch(state_session_capacity=))
    assert last - settled < SOAK_GROWTH_MIB, (
        f"app memory grew {last - settled:.0f} MiB over "
        f"{SOAK_REQUESTS - warm_up - step} asks after warm-up: {rss}"
    )
    assert last < rss[0] * 1.25 + 100, rss
    assert app.proc.poll() is None and not app.server_errors(), app.server_errors()[:5]
