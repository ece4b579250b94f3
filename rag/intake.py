"""Check files offered to the corpus, and hash what the corpus folder holds.

``check_new`` says in one line why a file cannot be added (not a file, a format this
app does not read, too large, unreadable or empty after cleaning, a duplicate of a
document already there by SHA-256, a name another document already uses), or returns
its cleaned ``Document``.  ``corpus_state`` hashes every entry of the corpus folder the
loader would read, without parsing any.

What this module does not do: copy files or change the index (``rag.index_update``),
or read formats (``rag.corpus``, ``rag.formats``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from rag.corpus import ACCEPTED_SUFFIXES, _reject_reason, read_document
from rag.errors import CorpusError
from rag.schema import Document


def check_new(
    path: Path, known: dict[str, str], accepted: dict[str, tuple[Path, Document]]
) -> tuple[str | None, Document | None]:
    """Why ``path`` cannot be added (one line), or (None, its document)."""
    if not path.is_file():
        return ("no such file" if not path.exists() else "not a regular file"), None
    if path.suffix.lower() not in ACCEPTED_SUFFIXES:
        return (
            f"not a document this app reads (suffix {path.suffix or 'none'!r}; "
            f"it reads {', '.join(ACCEPTED_SUFFIXES)})"
        ), None
    try:
        reason = _reject_reason(path, path.parent.resolve())
        if reason is None:
            digest = _sha256(path)
            twin = next((n for n, h in known.items() if h == digest), None)
            twin = twin or next((n for n, (_, d) in accepted.items() if d.sha256 == digest), None)
            if twin:
                return f"a duplicate of {twin}, already in the corpus", None
            clash = next(
                (n for n in (*known, *accepted) if Path(n).stem == path.stem and n != path.name),
                None,
            )
            if clash:
                return (
                    f"{clash} already uses the name {path.stem!r}; rename the file to add it"
                ), None
            if path.name in accepted:
                return "given twice", None
            document = read_document(path)
            if not document.blocks:
                return "no content left after cleaning", None
            return None, document
    except CorpusError as exc:
        return str(exc), None
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})", None
    return reason or "a hidden file (its name starts with a dot)", None


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def corpus_state(corpus: Path) -> dict[str, str]:
    """file name -> SHA-256 of every corpus entry that passes the loader's file checks.
    Reads bytes only: nothing is parsed or cleaned."""
    if not corpus.is_dir():
        return {}
    root = corpus.resolve()
    state = {}
    for path in sorted(corpus.iterdir()):
        try:
            if _reject_reason(path, root) is None:
                state[path.name] = _sha256(path)
        except (OSError, RuntimeError):
            continue  # the loader skips it too, with its warning
    return state
