"""Benchmark ``rag add``: adding one 20-page PDF against embedding its passages alone.

The target (issue #27): adding a document costs at most 1.5x the time to embed its
own passages and sentences, i.e. the rest of the corpus is not re-embedded.  In one
process, with the embedder loaded once: an index of the real corpus is built, then,
``--repeats`` times, in alternation,

- **add**: a fresh copy of that index, ``add_documents(settings, [pdf])``: checks,
  reading the PDF (pypdf), cleaning, chunking, embedding, assembling and the atomic
  write, timed as a whole;
- **embed only**: the same document's passages and sentences embedded, nothing else
  (the baseline: the work no incremental update can avoid).

Reports medians, the ratio add / embed-only, texts per second for both, and for
comparison one full rebuild of the corpus with the PDF in it.  Writes
``docs/bench_add.json`` and ``docs/benchmarks_add.md``, which ``python -m bench.run`` joins
into ``docs/benchmarks.md`` without rerunning it (two minutes of embedding).

    python -m bench.add                # 20 pages, 5 repeats
    python -m bench.add --smoke --out /tmp/x   # 2 pages, 1 repeat, for the test
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.docfiles import write_pdf
from rag.chunking import chunk_documents
from rag.corpus import read_document
from rag.embedding import get_embedder
from rag.index import build_index
from rag.index_update import add_documents
from rag.settings import PROJECT_ROOT, Settings

SECTION = "## Adding a document (bench/add.py)"
DOCS = PROJECT_ROOT / "docs"


def press_kit_pages(n_pages: int) -> list[list[str]]:
    """``n_pages`` pages of prose (about 350 words each), made from the corpus's own
    sentences in a rotating order, so the passages read like the film's press."""
    words = " ".join(
        p.read_text(encoding="utf-8") for p in sorted((PROJECT_ROOT / "corpus").glob("*.txt"))
    ).split()
    pages = []
    for page in range(n_pages):
        start = (page * 997) % max(1, len(words) - 400)
        paragraphs = [
            f"Press notes, page {page + 1}: " + " ".join(words[start + i : start + i + 115])
            for i in range(0, 345, 115)
        ]
        pages.append(paragraphs)
    return pages


def measure(n_pages: int, repeats: int) -> dict[str, object]:
    embedder = get_embedder()
    with tempfile.TemporaryDirectory(prefix="bench-add-") as tmp:
        root = Path(tmp)
        shutil.copytree(PROJECT_ROOT / "corpus", root / "corpus")
        base = Settings.load(env={}, corpus_dir=root / "corpus", index_dir=root / "index")
        build_index(base, embedder)
        pdf = write_pdf(
            root / "anora-press-kit.pdf", press_kit_pages(n_pages), title="Anora Press Kit"
        )
        document = read_document(pdf)
        sentences, chunks = chunk_documents(
            [document],
            chunk_tokens=base.chunk_tokens,
            overlap=base.chunk_overlap_sentences,
            count_wordpieces=embedder.count_wordpieces,
            max_wordpieces=embedder.max_wordpieces,
        )
        chunk_texts = [c.embed_text for c in chunks]
        sentence_texts = [s.text for s in sentences]
        embedder.embed(chunk_texts[:4])  # warm up
        adds, embeds, reports = [], [], []
        for run in range(repeats):
            corpus, index = root / f"corpus-{run}", root / f"index-{run}"
            shutil.copytree(base.corpus_dir, corpus)
            shutil.copytree(base.index_dir, index)
            settings = base.replace(corpus_dir=corpus, index_dir=index)
            started = time.perf_counter()
            reports.append(add_documents(settings, [pdf], embedder))
            adds.append(time.perf_counter() - started)
            started = time.perf_counter()
            embedder.embed(chunk_texts)
            embedder.embed_with_tokens(sentence_texts)
            embeds.append(time.perf_counter() - started)
        report = reports[-1]
        assert report.added == (pdf.name,) and report.embedded_chunks == len(chunks)
        full_settings = settings.replace(index_dir=root / "index-full")
        started = time.perf_counter()
        full = build_index(full_settings, embedder)
        full_seconds = time.perf_counter() - started
    texts = len(chunks) + len(sentences)
    add_s, embed_s = statistics.median(adds), statistics.median(embeds)
    return {
        "pages": n_pages,
        "repeats": repeats,
        "passages": len(chunks),
        "sentences": len(sentences),
        "reused_passages": report.reused_chunks,
        "add_s": round(add_s, 3),
        "embed_only_s": round(embed_s, 3),
        "ratio": round(add_s / embed_s, 3),
        "add_texts_per_s": round(texts / add_s, 1),
        "embed_texts_per_s": round(texts / embed_s, 1),
        "add_runs_s": [round(x, 3) for x in adds],
        "embed_runs_s": [round(x, 3) for x in embeds],
        "full_rebuild_s": round(full_seconds, 3),
        "full_rebuild_passages": full.n_chunks,
        "threads": os.environ.get("OMP_NUM_THREADS", "default"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }


def markdown(r: dict[str, object]) -> str:
    return f"""{SECTION}

`python -m bench.add` (issue #27): adding one {r["pages"]}-page PDF to an index of the
real corpus with `add_documents` (checks, pypdf, cleaning, chunking, embedding, the
atomic write), against embedding that document's {r["passages"]} passages and
{r["sentences"]} sentences alone, in the same process, median of {r["repeats"]} alternating runs.
The {r["reused_passages"]} passages already indexed are reused, not re-embedded.

| | median | texts/s |
|---|---|---|
| `rag add` of the PDF | {r["add_s"]} s | {r["add_texts_per_s"]} |
| embedding its passages and sentences only | {r["embed_only_s"]} s | {r["embed_texts_per_s"]} |
| **ratio add / embed only** | **{r["ratio"]}x** (target ≤ 1.5x) | |
| full rebuild with the PDF ({r["full_rebuild_passages"]} passages), for comparison | {r["full_rebuild_s"]} s | |

Runs (s): add {r["add_runs_s"]}, embed only {r["embed_runs_s"]}.  Machine: {r["machine"]},
shared with other jobs; `OMP_NUM_THREADS={r["threads"]}`.  What is recomputed over all
passages on every add is cheap: the FAISS index, and at load BM25's statistics and the
word pieces' IDF; the cost beyond embedding is reading the PDF and writing the folder.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="2 pages, 1 repeat")
    parser.add_argument("--out", type=Path, default=DOCS, help="folder for the results")
    args = parser.parse_args(argv)
    pages, repeats = (2, 1) if args.smoke else (args.pages, args.repeats)
    result = measure(pages, repeats)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_add.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "benchmarks_add.md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
