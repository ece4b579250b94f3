"""HTTP API overhead: in-process ``ask`` against ``/api/ask`` and ``/v1/chat/completions``.

Run ``python -m bench.api`` (``make bench`` runs it too).  It starts ``python app.py`` on
a free loopback port, over the same index as a pipeline loaded in this process, and for
every gold question (with its history), in turn:

- ``Pipeline.ask`` in this process (the floor: no HTTP at all);
- ``POST /api/ask`` over one kept-alive ``httpx`` connection;
- ``POST /v1/chat/completions`` (not streaming), the same way;

and, on the first ``--gradio-questions`` questions, Gradio's ``/ask`` through
``gradio_client`` (its queue), for reference.  Each figure is the median over
``--repeats`` runs of the per-run p50/p95; the ratios divide an endpoint's p50 by the
in-process p50 measured in the same run.  Targets (issue #26): ``/api/ask`` at most
1.5x, chat completions at most 2x.  Beside them, per call, the client's wall time minus
the server's own answering time (the reply's ``timings_ms.total``): what HTTP adds,
measured within one call, which a busy machine disturbs far less than it does a ratio.

It writes ``bench_api.json`` and ``benchmarks_api.md`` into ``--out``.  It asserts
nothing: the targets are read from the table.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from bench.e2e import machine
from rag.evaluation import load_gold, percentile
from rag.settings import PROJECT_ROOT, Settings

GOLD = PROJECT_ROOT / "eval" / "gold.jsonl"
START_SECONDS = 300.0
TARGETS = {"api_ask": 1.5, "chat": 2.0}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_app(settings: Settings, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``python app.py`` over ``settings``' corpus and index; returns once it serves."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_"))}
    env.update(
        RAG_CORPUS_DIR=str(settings.corpus_dir),
        RAG_INDEX_DIR=str(settings.index_dir),
        RAG_PORT=str(port),
        HF_HUB_OFFLINE="1",
        GRADIO_ANALYTICS_ENABLED="False",
        PYTHONUNBUFFERED="1",
    )
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, str(PROJECT_ROOT / "app.py")],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        found = re.search(r"running on (http://\S+?)/?(?:\s|$)", log.read_text(errors="replace"))
        if found:
            return proc, found.group(1).rstrip("/")
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited with {proc.returncode}: {log.read_text()[-2000:]}")
        time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("app.py did not start in time")


def _ms(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000.0


def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> tuple[float, float]:
    """(wall ms of the call, ms the server's pipeline spent answering: its ``timings_ms``)."""
    started = time.perf_counter()
    reply = client.post(path, json=body)
    reply.raise_for_status()
    data = reply.json()
    wall = (time.perf_counter() - started) * 1000.0
    timings = data["timings_ms"] if "timings_ms" in data else data["anora"]["timings_ms"]
    return wall, float(timings["total"])


def chat_body(question: str, history: Sequence[str]) -> dict[str, Any]:
    messages = [{"role": "user", "content": h} for h in history]
    return {"model": "anora", "messages": [*messages, {"role": "user", "content": question}]}


def measure(
    pipe: Any,
    url: str,
    questions: Sequence[tuple[str, list[str]]],
    repeats: int,
    gradio_questions: int,
) -> dict[str, Any]:
    """Per path, the median over repeats of the per-run p50 and p95 (ms)."""
    paths = ("in_process", "api_ask", "chat")
    runs: dict[str, list[tuple[float, float]]] = {p: [] for p in paths}
    extra: dict[str, list[float]] = {"api_ask": [], "chat": []}
    with httpx.Client(base_url=url, timeout=60, trust_env=False) as client:
        for question, history in questions[:5]:  # warm both processes up
            pipe.ask(question, history)
            _post(client, "/api/ask", {"question": question, "history": history})
            _post(client, "/v1/chat/completions", chat_body(question, history))
        for _ in range(repeats):
            times: dict[str, list[float]] = {p: [] for p in paths}
            for question, history in questions:
                times["in_process"].append(_ms(lambda q=question, h=history: pipe.ask(q, h)))
                body = {"question": question, "history": history}
                for p, path, b in (
                    ("api_ask", "/api/ask", body),
                    ("chat", "/v1/chat/completions", chat_body(question, history)),
                ):
                    wall, answering = _post(client, path, b)
                    times[p].append(wall)
                    extra[p].append(wall - answering)  # what HTTP added to this very call
            for p in paths:
                runs[p].append((percentile(times[p], 50), percentile(times[p], 95)))
    out: dict[str, Any] = {"questions": len(questions), "repeats": repeats}
    for p in paths:
        out[p] = {
            "p50_ms": round(statistics.median(r[0] for r in runs[p]), 2),
            "p95_ms": round(statistics.median(r[1] for r in runs[p]), 2),
        }
    # the ratio per run (same run, same questions), then its median
    for p in ("api_ask", "chat"):
        ratios = [r[0] / base[0] for r, base in zip(runs[p], runs["in_process"], strict=True)]
        out[p]["ratio_p50"] = round(statistics.median(ratios), 2)
        out[p]["overhead_p50_ms"] = round(statistics.median(extra[p]), 2)
    if gradio_questions:
        out["gradio"] = gradio_latency(pipe, url, questions[:gradio_questions])
    return out


def gradio_latency(
    pipe: Any, url: str, questions: Sequence[tuple[str, list[str]]]
) -> dict[str, Any]:
    """Gradio's ``/ask`` through ``gradio_client`` (the queue), beside in-process ``ask``."""
    from gradio_client import Client

    client = Client(url + "/", verbose=False)
    client.predict(questions[0][0], questions[0][1], api_name="/ask")  # warm up
    gradio, local = [], []
    for question, history in questions:
        local.append(_ms(lambda q=question, h=history: pipe.ask(q, h)))
        gradio.append(_ms(lambda q=question, h=history: client.predict(q, h, api_name="/ask")))
    g50, l50 = percentile(gradio, 50), percentile(local, 50)
    return {
        "questions": len(questions),
        "p50_ms": round(g50, 2),
        "in_process_p50_ms": round(l50, 2),
        "ratio_p50": round(g50 / l50, 2),
    }


def run(
    out: Path,
    *,
    repeats: int,
    gradio_questions: int,
    smoke: bool,
    command: str,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Measure and write the results; ``settings`` default to ``RAG_*`` and the defaults."""
    import json

    from rag import load_pipeline

    settings = settings or Settings.load()
    pipe = load_pipeline(settings)  # builds the index first if it is missing or stale
    pipe.warm_up()
    questions = [(g.question, list(g.history)) for g in load_gold(GOLD)][: 8 if smoke else None]
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        proc, url = start_app(settings, Path(tmp) / "app.log")
        try:
            results = {
                "machine": machine(),
                "command": command,
                **measure(pipe, url, questions, repeats, gradio_questions),
            }
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_api.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "benchmarks_api.md").write_text(markdown(results))
    return results


def markdown(r: dict[str, Any]) -> str:
    m = r["machine"]
    lines = [
        "## HTTP API overhead (`/api/ask`, `/v1/chat/completions`)",
        f"Machine: {m['cores']} cores, {m['memory_gib']} GiB, {m['cpu']}, Python {m['python']}. "
        f"Command: `{r['command']}`. {r['questions']} gold questions (with their histories) "
        f"× {r['repeats']} runs, extractive generator; `python app.py` in its own process, "
        "one kept-alive `httpx` connection, each question asked in-process and then over "
        "each endpoint in turn.",
        "",
        "| path | p50 ms | p95 ms | p50 / in-process p50 | target | HTTP adds, p50 ms |",
        "|---|---|---|---|---|---|",
        f"| `Pipeline.ask` in-process | {r['in_process']['p50_ms']} | "
        f"{r['in_process']['p95_ms']} | 1× | | |",
    ]
    for key, label in (("api_ask", "`POST /api/ask`"), ("chat", "`POST /v1/chat/completions`")):
        a = r[key]
        verdict = "met" if a["ratio_p50"] <= TARGETS[key] else "**missed**"
        lines.append(
            f"| {label} | {a['p50_ms']} | {a['p95_ms']} | {a['ratio_p50']}× | "
            f"≤ {TARGETS[key]}× ({verdict}) | {a['overhead_p50_ms']} |"
        )
    g = r.get("gradio")
    if g:
        lines.append(
            f"| Gradio `/ask` via `gradio_client` ({g['questions']} questions) | {g['p50_ms']} "
            f"| | {g['ratio_p50']}× (in-process {g['in_process_p50_ms']} ms) | | |"
        )
    lines += [
        "",
        "- The ratio is taken per run (the endpoint's p50 over the in-process p50 of the "
        "same run), then its median over the runs.",
        "- \"HTTP adds\" is, per call, the client's wall time minus the time the server's "
        "pipeline spent on that same answer (the reply's `timings_ms.total`): what the "
        "transport, the JSON and the routing cost, measured inside one call, so steadier "
        "than a ratio of two p50s when other work shares the machine.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.api",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--gradio-questions", type=int, default=20)
    parser.add_argument("--smoke", action="store_true", help="a few seconds, for the test suite")
    parser.add_argument(
        "--command",
        default=" ".join(["python -m bench.api", *(sys.argv[1:] if argv is None else argv)]),
        help=argparse.SUPPRESS,
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.repeats, args.gradio_questions = 1, 3
    results = run(
        args.out,
        repeats=args.repeats,
        gradio_questions=args.gradio_questions,
        smoke=args.smoke,
        command=args.command,
    )
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
