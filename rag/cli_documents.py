"""The ``rag add``, ``rag list`` and ``rag remove`` commands, and how updates print.

Thin, as ``rag.cli`` is: build ``Settings``, call ``rag.index_update``, print.  A file
that cannot be added is one line on stderr (``rag: not added NAME: why``) and the exit
status is 2; the other files are still added.  What this module does not do: check,
read or index documents (``rag.index_update``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rag.settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.load(corpus_dir=args.corpus, index_dir=args.index)


def print_update(report: Any, settings: Settings) -> None:
    for rejected in report.rejected:
        print(f"rag: not added {rejected.name}: {rejected.reason}", file=sys.stderr)
    for verb, names in (("added", report.added), ("replaced", report.replaced)):
        for name in names:
            print(f"{verb} {name}")
    for name in report.removed:
        print(f"removed {name}")
    if not report.changed:
        if not report.rejected:
            print("nothing changed")
        return
    how = (
        "full rebuild (no index to update)"
        if report.full_rebuild
        else f"reused {report.reused_chunks} passages without re-embedding"
    )
    print(
        f"embedded {report.embedded_chunks} passages and {report.embedded_sentences} "
        f"sentences in {report.embed_seconds:.1f} s; {how}; index now "
        f"{report.n_chunks} passages from {report.n_documents} documents "
        f"({report.seconds:.1f} s in all) -> {settings.index_dir}"
    )


def cmd_add(args: argparse.Namespace) -> int:
    from rag.index_update import add_documents

    settings = _settings(args)
    progress = (lambda line: print(f"  {line}", file=sys.stderr)) if sys.stderr.isatty() else None
    report = add_documents(settings, args.paths, progress=progress)
    print_update(report, settings)
    return 2 if report.rejected else 0


def cmd_list(args: argparse.Namespace) -> int:
    from rag.index_update import list_documents

    rows = list_documents(_settings(args))
    width = max((len(r.source) for r in rows), default=8)
    print(f"{'document':<{width}}  passages  pages  added                      title")
    for r in rows:
        pages = str(r.pages) if r.pages else "-"
        print(f"{r.source:<{width}}  {r.passages:>8}  {pages:>5}  {r.added_at:<25}  {r.title}")
    print(f"{len(rows)} documents, {sum(r.passages for r in rows)} passages")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from rag.index_update import remove_document

    settings = _settings(args)
    print_update(remove_document(settings, args.name), settings)
    return 0


def add_document_commands(sub: Any, common: Callable[..., None]) -> None:
    """Register ``add``, ``list`` and ``remove`` on the ``rag`` parser's subcommands."""
    p = sub.add_parser(
        "add", help="copy documents (.pdf .html .docx .md .txt) into the corpus and index them"
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    common(p, answering=False)
    p.set_defaults(func=cmd_add)

    p = sub.add_parser("list", help="the indexed documents, their passages and when each came")
    common(p, answering=False)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("remove", help="take a document out of the corpus and the index")
    p.add_argument("name", help="its file name (or the name without its extension)")
    common(p, answering=False)
    p.set_defaults(func=cmd_remove)
