"""The ``rag`` command: ``index``, ``add``, ``list``, ``remove``, ``ask``, ``chat``, ``eval``,
``calibrate`` and ``feedback``.

Thin by design: each subcommand builds ``Settings`` from defaults, ``RAG_*``
variables and its flags, calls the pipeline, and prints.  A ``RagError`` (a
problem the user can fix) becomes one line on stderr and exit status 2; Ctrl-C
exits with 130.  No retrieval or answering logic lives here.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import logging
import os
import shlex
import sys
import textwrap
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

from rag.cli_documents import add_document_commands, print_update
from rag.errors import ConfigError, GoldSetError, RagError
from rag.settings import PROJECT_ROOT, Settings

log = logging.getLogger("rag")


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.load(
        corpus_dir=getattr(args, "corpus", None),
        index_dir=getattr(args, "index", None),
        retriever=getattr(args, "retriever", None),
        generator=getattr(args, "generator", None),
        top_k=getattr(args, "k", None),
    )


# ---------------------------------------------------------------- index


def cmd_index(args: argparse.Namespace) -> int:
    from rag.index import build_index, check_index

    settings = _settings(args)
    status = check_index(settings)
    if args.check:
        print(f"index {settings.index_dir}: {status.state} ({status.reason})")
        return 0 if status.ok else 1
    if args.if_needed and status.ok:
        print(f"index is up to date: {status.reason}")
        return 0
    if args.if_needed and status.state == "stale":
        from rag.index_update import refresh_index

        print(f"updating the index ({status.reason})")
        print_update(refresh_index(settings), settings)
        return 0
    if status.state != "missing":
        print(f"rebuilding the index ({status.state}: {status.reason})")
    report = build_index(settings, progress=sys.stderr.isatty())
    for skipped in report.skipped:
        print(f"skipped {skipped.path.name}: {skipped.reason}")
    if args.verbose:
        for line in report.dropped:
            print(f"dropped {line.source}:{line.line_no} ({line.reason}): {line.text!r}")
    print(
        f"indexed {report.n_documents} articles -> {report.n_chunks} passages, "
        f"{report.n_sentences} sentences; tokens per passage min {report.tokens_min} / "
        f"median {report.tokens_median:.0f} / max {report.tokens_max}; "
        f"{report.index_type} index in {report.seconds:.1f} s -> {settings.index_dir}"
    )
    return 0


# ---------------------------------------------------------------- ask / chat


def _print_answer(answer: Any, width: int = 88) -> None:
    from rag.notices import user_notices

    for notice in user_notices(answer):  # a fallback is one line, however it was noted
        print(f"note: {notice.line()}")
    print(textwrap.fill(answer.text, width))
    sources = answer.related if answer.abstained else answer.citations
    if sources:
        print("\nRelated passages:" if answer.abstained else "\nSources:")
        for c in sources:
            page = f", p. {c.page}" if c.page is not None else ""
            print(f"  [{c.n}] {c.title} ({c.source}{page}, chars {c.span[0]}-{c.span[1]})")
            print(textwrap.indent(textwrap.fill(f"“{c.sentence}”", width - 6), "      "))


def cmd_ask(args: argparse.Namespace) -> int:
    from rag.pipeline import load_pipeline

    if not args.question.strip():
        print(
            'rag: the question is empty; try: rag ask "Who was the director of photography?"',
            file=sys.stderr,
        )
        return 2
    pipe = load_pipeline(_settings(args), progress=sys.stderr.isatty())
    answer = pipe.ask(args.question, args.history or [])
    if args.json:
        print(json.dumps(answer.to_json(), indent=2, ensure_ascii=False))
    else:
        _print_answer(answer)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from rag.pipeline import load_pipeline

    pipe = load_pipeline(_settings(args), progress=sys.stderr.isatty())
    print("Ask about Anora (empty line or Ctrl-D to leave, /clear to forget the conversation).")
    history: list[str] = []
    while True:
        try:
            question = input("\nyou> ").strip()
        except EOFError:
            print()
            return 0
        if not question:
            return 0
        if question == "/clear":
            history.clear()
            print("(conversation cleared)")
            continue
        print()
        _print_answer(pipe.ask(question, history))
        history.append(question)


# ---------------------------------------------------------------- eval / calibrate


def _eval_configs(args: argparse.Namespace, settings: Settings) -> list[tuple[str, str]]:
    if not args.compare:
        return [(settings.retriever, settings.generator)]
    configs = [(r, "extractive") for r in ("dense", "bm25", "hybrid")]
    configs.append((settings.retriever, "local"))
    if settings.llm_base_url:
        configs.append((settings.retriever, "openai"))
    return configs


DEFAULT_GOLD = (PROJECT_ROOT / "eval" / "gold.jsonl", PROJECT_ROOT / "eval" / "chat.jsonl")
CALIBRATION_GOLD = DEFAULT_GOLD[0]  # the answerer's models are fitted on the quiz set alone
RESULTS = PROJECT_ROOT / "docs" / "results.md"


def _gold_paths(args: argparse.Namespace) -> list[Path]:
    """``--gold`` files as given, else every default gold file that exists."""
    if args.gold:
        return list(args.gold)
    present = [p for p in DEFAULT_GOLD if p.is_file()]
    if not present:
        raise GoldSetError(f"no gold file: {DEFAULT_GOLD[0]} is missing; pass one with --gold FILE")
    return present


def cmd_eval(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from rag.evaluation import CONTAMINATION_SEED, build_report, evaluate, load_golds
    from rag.report import compare_table, results_markdown, summary_table, write_report

    paths = _gold_paths(args)
    gold = load_golds(paths)  # a bad line stops everything before any work
    from rag.pipeline import load_pipeline

    settings = _settings(args)
    pipe = load_pipeline(settings, progress=sys.stderr.isatty())
    pipe.warm_up()
    out_root = args.out or PROJECT_ROOT / "reports" / datetime.now().strftime("%Y-%m-%d-%H%M%S")
    files = [{"path": str(p), "sha256": _sha256(p)} for p in paths]
    reports = []
    for retriever, generator in _eval_configs(args, settings):
        label = f"{retriever}+{generator}"
        started = time.perf_counter()
        results = evaluate(
            pipe,
            gold,
            retriever=retriever,
            generator=generator,
            k=settings.top_k,
            progress=functools.partial(
                tqdm, desc=label, unit="q", file=sys.stderr, disable=args.json
            ),
            contamination=not args.no_contamination,
        )
        config = {
            "gold": [str(p) for p in paths],
            "gold_files": files,
            "retriever": retriever,
            "generator": generator,
            "k": settings.top_k,
            "abstain_threshold": pipe.generator("extractive").threshold,  # type: ignore[attr-defined]
            "contamination_seed": None if args.no_contamination else CONTAMINATION_SEED,
            "seconds": round(time.perf_counter() - started, 2),
            "settings": settings.public_dict(),
        }
        report = build_report(results, config)
        out_dir = out_root / label if args.compare else out_root
        write_report(report, Path(out_dir))
        reports.append(report)
        if not args.json:
            kinds = ", ".join(f"{k} {n}" for k, n in report["kinds"].items())
            print(
                f"\n{label}: {report['n_questions']} questions ({kinds}) in "
                f"{config['seconds']} s -> {out_dir}/report.md"
            )
            print(summary_table(report))
    if args.compare:
        (Path(out_root) / "compare.md").write_text(compare_table(reports) + "\n")
        command = "rag " + shlex.join(getattr(args, "argv", None) or sys.argv[1:])
        page = Path(args.results)
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(
            results_markdown(reports, command=command, date=datetime.now(UTC), files=files)
        )
    if args.json:
        print(json.dumps(reports if args.compare else reports[0], indent=2, ensure_ascii=False))
    elif args.compare:
        print("\n" + compare_table(reports))
        print(f"\nwrote {args.results}")
    return 0


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def cmd_calibrate(args: argparse.Namespace) -> int:
    from rag.calibration import calibrate
    from rag.evaluation import load_gold
    from rag.pipeline import load_pipeline

    if args.claims is not None:  # the LLM answer verifier, not the extractive answerer
        from rag.calibration import check_claims, load_claims

        try:
            claims = load_claims(args.claims)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read the claim set: {exc}") from None
        pipe = load_pipeline(_settings(args), progress=sys.stderr.isatty())
        print(check_claims(pipe, claims).describe(failures=args.failures))
        return 0
    gold = load_gold(args.gold)
    pipe = load_pipeline(_settings(args), progress=sys.stderr.isatty())
    source = Path(args.gold)
    fitted_on = {
        "gold": source.name,
        "sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
        "questions": len(gold),
        "date": datetime.now().strftime("%Y-%m-%d"),
    }
    result = calibrate(pipe, gold, folds=args.folds, fitted_on=fitted_on)
    print(result.describe())
    if args.write:
        from rag.answerer.model import write_models

        print(f"wrote {write_models(result.models())}")
    return 0


# ---------------------------------------------------------------- feedback


def cmd_feedback(args: argparse.Namespace) -> int:
    """Summarise the page's thumbs; ``--export FILE`` writes disliked answers as gold candidates."""
    import json

    from rag.feedback import FeedbackStore, default_path, gold_candidates, summarise

    store = FeedbackStore(args.file or default_path())
    records = list(store.records())
    print(summarise(records).describe())
    if args.export:
        rows = gold_candidates(records)
        args.export.parent.mkdir(parents=True, exist_ok=True)
        with args.export.open("w", encoding="utf-8") as out:
            out.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        print(f"wrote {len(rows)} gold candidates to review -> {args.export}")
    return 0


# ---------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rag",
        description="Anora Q&A: cited answers about the film Anora from a corpus of articles.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser, answering: bool = True) -> None:
        p.add_argument("--corpus", type=Path, help="corpus folder (RAG_CORPUS_DIR)")
        p.add_argument("--index", type=Path, help="index folder (RAG_INDEX_DIR)")
        if answering:
            p.add_argument(
                "--retriever",
                choices=("dense", "bm25", "hybrid"),
                help="RAG_RETRIEVER (default hybrid)",
            )
            p.add_argument(
                "--generator",
                choices=("extractive", "local", "openai"),
                help="RAG_GENERATOR (default extractive)",
            )
            p.add_argument("--k", type=int, help="passages to retrieve (RAG_TOP_K, default 5)")

    p = sub.add_parser("index", help="build the search index from the corpus")
    common(p, answering=False)
    # SUPPRESS: without the flag here, `rag -v index` keeps the -v given before the command
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="list every line the cleaner dropped (as `rag -v index` does)",
    )
    p.add_argument(
        "--check", action="store_true", help="only report the index state (exit 1 unless ok)"
    )
    p.add_argument(
        "--if-needed",
        action="store_true",
        help="build only if missing; if stale, re-embed only the documents that changed",
    )
    p.set_defaults(func=cmd_index)

    add_document_commands(sub, common)

    p = sub.add_parser("ask", help="answer one question")
    p.add_argument("question")
    p.add_argument("--history", nargs="*", metavar="Q", help="earlier questions, oldest first")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    common(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="a conversation in the terminal")
    common(p)
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("eval", help="score the pipeline on gold Q&A files")
    p.add_argument(
        "--gold",
        type=Path,
        action="append",
        metavar="FILE",
        help="score this gold file (repeatable); default: eval/gold.jsonl and, "
        "when present, eval/chat.jsonl, together",
    )
    p.add_argument("--out", type=Path, help="report folder (default reports/DATE)")
    p.add_argument("--json", action="store_true", help="print report.json to stdout")
    p.add_argument(
        "--compare",
        action="store_true",
        help="dense vs bm25 vs hybrid, and each available generator; also writes --results",
    )
    p.add_argument(
        "--results",
        type=Path,
        default=RESULTS,
        help="where --compare writes its results page (default docs/results.md)",
    )
    p.add_argument(
        "--no-contamination",
        action="store_true",
        help="skip re-asking standalone questions after unrelated ones (faster)",
    )
    common(p)
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("calibrate", help="choose the abstention threshold on a gold file")
    p.add_argument(
        "--gold",
        type=Path,
        default=CALIBRATION_GOLD,
        metavar="FILE",
        help="the gold file to fit on (default eval/gold.jsonl only)",
    )
    p.add_argument("--folds", type=int, default=5)
    p.add_argument(
        "--write",
        action="store_true",
        help="store the fitted models and threshold in rag/answerer/models.json",
    )
    p.add_argument(
        "--claims",
        type=Path,
        nargs="?",
        const=PROJECT_ROOT / "eval" / "claims.jsonl",
        help="instead, report the LLM answer verifier's pass rate per category on a labelled "
        "claim set (default eval/claims.jsonl)",
    )
    p.add_argument(
        "--failures", action="store_true", help="with --claims: list every misjudged claim"
    )
    common(p)
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("feedback", help="summarise the web page's thumbs up and down")
    p.add_argument("--file", type=Path, help="feedback file (default feedback/feedback.jsonl)")
    p.add_argument(
        "--export", type=Path, metavar="FILE", help="write disliked answers as gold candidates"
    )
    p.set_defaults(func=cmd_feedback)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv  # the exact command, for the pages it writes
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="rag: %(message)s"
    )
    for noisy in ("sentence_transformers", "faiss", "httpx", "transformers"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return int(args.func(args))
    except RagError as exc:
        print(f"rag: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rag: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
