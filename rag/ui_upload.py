"""Adding a document from the chat page: the upload handler and its status line.

Only a signed-in user can upload: ``build_app`` adds the "Add a document" button
only when the app has a login (``RAG_AUTH``), and ``rag.web_guard`` refuses the upload
route otherwise.  ``add_uploaded`` runs ``rag.index_update.add_documents`` on the
uploaded files in a worker thread and yields a status line while it works (reading,
embedding N passages, writing), then the outcome: what was added, with its passages
and the time it took, or the one line that says why a file was refused.  The new
index is then served by the pipeline (``Pipeline.use_index``), so the next question
can be answered from the new passages.

What this module does not do: check, read or index documents (``rag.index_update``),
or decide who is signed in (Gradio's login does).
"""

from __future__ import annotations

import html
import logging
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.corpus import ACCEPTED_SUFFIXES
from rag.errors import RagError
from rag.formats import MAX_BYTES
from rag.index import load_index
from rag.index_update import AddReport, add_documents

if TYPE_CHECKING:
    from rag.pipeline import Pipeline

log = logging.getLogger(__name__)

UPLOAD_TYPES = list(ACCEPTED_SUFFIXES)
# the upload cap Gradio enforces; each format's own limit is checked after (rag.formats)
MAX_UPLOAD_BYTES = max(MAX_BYTES.values())
UPLOAD_LABEL = "Add a document"
UPLOAD_HELP = (
    f"PDF, web page (.html), Word (.docx), Markdown or text; up to {MAX_UPLOAD_BYTES // 2**20} MB"
)
FAILED = "Sorry, the document could not be added; the index is unchanged."


def status_html(text: str, kind: str = "info") -> str:
    """The status line under the upload button (``kind``: info, busy, done, error).

    >>> status_html("Embedding 3 passages…", "busy")
    '<p class="upload-status busy" role="status">Embedding 3 passages…</p>'
    """
    return f'<p class="upload-status {kind}" role="status">{html.escape(text)}</p>'


def _paths(files: Any) -> list[Path]:
    """Gradio hands over one path, a list of paths, or file objects with ``.name``."""
    if files is None:
        return []
    items = files if isinstance(files, list | tuple) else [files]
    return [Path(str(getattr(item, "name", item))) for item in items]


def add_uploaded(pipeline: Pipeline, files: Any) -> Iterator[str]:
    """Add the uploaded files; yields status lines, the last one the outcome."""
    paths = _paths(files)
    if not paths:
        return
    lines: queue.Queue[str] = queue.Queue()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            lines.put(f"Reading {', '.join(p.name for p in paths)}…")
            outcome["report"] = add_documents(
                pipeline.settings, paths, pipeline.embedder, progress=_progress(lines)
            )
            if outcome["report"].changed:
                pipeline.use_index(load_index(pipeline.settings.index_dir))
        except RagError as exc:
            outcome["error"] = str(exc)
        except Exception:
            log.exception("adding %s failed", [p.name for p in paths])
            outcome["error"] = FAILED
        finally:
            lines.put("")  # done

    worker = threading.Thread(target=work, name="add-documents", daemon=True)
    worker.start()
    while True:
        line = lines.get()
        if not line:
            break
        yield status_html(line, "busy")
    worker.join()
    if "error" in outcome:
        yield status_html(outcome["error"], "error")
        return
    yield describe(outcome["report"])


def _progress(lines: queue.Queue[str]) -> Any:
    def say(line: str) -> None:
        lines.put(line[:1].upper() + line[1:] + "…")

    return say


def describe(report: AddReport) -> str:
    """The outcome of an upload, as the status line says it.

    >>> describe(AddReport(added=("a.pdf",), embedded_chunks=4, n_chunks=60, seconds=1.24))
    '<p class="upload-status done" role="status">Added a.pdf: 4 new passages, embedded in 1.2 s (60 in all). Ask about it now.</p>'
    """
    refused = " ".join(f"Not added {r.name}: {r.reason}." for r in report.rejected)
    names = (*report.added, *report.replaced)
    if not names:
        return status_html(refused or "Nothing was added.", "error")
    verb = "Added" if report.added else "Updated"
    text = (
        f"{verb} {', '.join(names)}: {report.embedded_chunks} new passages, embedded in "
        f"{report.seconds:.1f} s ({report.n_chunks} in all). Ask about it now."
    )
    return status_html(f"{text} {refused}".strip(), "done")
