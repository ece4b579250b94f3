"""``make bench``: run every benchmark and write ``docs/benchmarks.md``.

Runs the end-to-end benchmark (``bench.e2e``: ask latency against the embedder
floor, cold start, app start, index build), the HTTP API overhead (``bench.api``:
``/api/ask`` and ``/v1/chat/completions`` against in-process ``ask``), the chat page
(``bench.page``: Enter to the answer's first words in Debian's Chromium, about a minute)
and the scale benchmark (``bench.scale``: flat vs HNSW FAISS and bm25s vs rank_bm25 from
10^3 to 10^6 chunks), then joins their Markdown sections under one header.
``--skip-scale`` reuses the last scale results (the 10^6 run takes a while);
``--skip-page`` reuses the last page results, as does a machine without Chromium.
The Qdrant section is only included (its run takes 17 minutes; rerun it by hand).

What it does not do: judge the numbers.  Targets are read from the tables.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bench import api, e2e, page, scale
from rag.settings import PROJECT_ROOT

HEADER = """# Benchmarks

Every figure below was measured on this project's CI-class machine by `make bench`
(`python -m bench.run`); each section names the exact command that produced it.
Latencies are medians over repeated runs after a warm-up, and each comes with a
baseline measured in the same process: the time to embed the question alone for
`ask`, plain NumPy brute force for dense search, and `rank_bm25` for BM25.
No test asserts a timing; `make test` runs a tiny smoke version of each benchmark
so that the scripts cannot rot.

"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs")
    parser.add_argument(
        "--skip-scale",
        action="store_true",
        help="reuse docs/benchmarks_scale.md instead of rerunning bench.scale",
    )
    parser.add_argument(
        "--skip-page",
        action="store_true",
        help="reuse docs/benchmarks_page.md instead of rerunning bench.page",
    )
    args = parser.parse_args(argv)
    e2e.main(["--out", str(args.out), "--command", "make bench (python -m bench.run)"])
    api.main(["--out", str(args.out), "--command", "make bench (python -m bench.run)"])
    if not args.skip_page:
        if Path(page.CHROMIUM).exists():
            page.main(["--out", str(args.out)])
        else:
            print(f"bench.page skipped: no {page.CHROMIUM} (`make browser`); last results kept")
    if not args.skip_scale:
        scale.main(["--out", str(args.out)])
    parts = [HEADER]
    # benchmarks_add.md and benchmarks_qdrant.md: bench.add's and bench.qdrant's figures
    # (2 and 17 min; rerun by hand, not here)
    for name in (
        "benchmarks_e2e.md",
        "benchmarks_api.md",
        "benchmarks_page.md",
        "benchmarks_scale.md",
        "benchmarks_add.md",
        "benchmarks_qdrant.md",
    ):
        path = args.out / name
        if path.is_file():
            parts.append(path.read_text().strip() + "\n\n")
    (args.out / "benchmarks.md").write_text("".join(parts))
    print(f"wrote {args.out / 'benchmarks.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
